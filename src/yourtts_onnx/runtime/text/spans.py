"""Character offsets through the text pipeline: one mechanism that every rewrite step reports into.

Word timestamps need, for every model input id, the characters of the *input* text it came from, through
normalisation (the pronunciation lexicon, abbreviations, times, numbers, ...; later SSML), cleaning and
sentence splitting. Rather than each step keeping its own bookkeeping, every step rewrites text through the
helpers of this module, which accept either a plain ``str`` or a :class:`TrackedText` and return the same
kind:

* :func:`rewrite` ``(text, pattern, repl)`` — ``pattern.sub(repl, text)`` where ``repl`` is a function of
  the match or a *literal* string (no backslash escapes). Normalisation's one substitution function
  (:func:`~.normalize.rewrite.substitute`, which applies every :class:`~.normalize.rewrite.Rule`: lexicon,
  abbreviations, times, amounts, units, numbers) is this function, so a new rule gets offsets for free;
  a step that called ``pattern.sub`` itself would fail loudly on a :class:`TrackedText` (not a ``str``).
* :func:`replace_literal`, :func:`remove_chars`, :func:`lowercase`, :func:`nfc`, :func:`strip_one` —
  the cleaner's steps (:func:`~.cleaners.apply_cleaner`), built on the same edit primitive.

On a ``str`` the helpers are the plain string operations (the fast path that chunking's length measure
uses); on a :class:`TrackedText` they produce exactly the same text (the ``str`` result is computed the
same way) and carry, for every character of it, the span ``[start, end)`` of the input it came from:

1. a character that a step leaves alone keeps its span;
2. the characters written in place of a match all take the *union* of the spans of the characters matched
   (``"3,50 €"`` → ``"trois euros et cinquante centimes"``: every one of those letters points at ``[0, 6)``);
   a replacement equal to what it replaces is no edit, so spans stay per character;
3. an insertion (an empty match) takes the empty span at the input position where it happens;
4. ``lowercase`` maps each character's lower-case form to that character (``"İ"`` → two characters, both
   pointing at it); ``nfc`` maps each combining sequence's composed form to the whole sequence (a sequence:
   a character that is not a mark, Unicode category ``M*``, and the marks after it; when composing the
   sequences one by one differs from composing the whole text, the whole text is one sequence).

:func:`locate_pieces` finds the pieces that sentence splitting returns (with whitespace runs collapsed to
one space) in the tracked text they were cut from, so the pieces keep their spans too. The tokenizer then
gives each character id the span of its character (:attr:`~.tokenizer.Encoding.spans`); blanks have none.
``docs/consumers.md`` (section "Word timestamps") states the same rules for other hosts.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "Span",
    "TrackedText",
    "locate_pieces",
    "lowercase",
    "nfc",
    "remove_chars",
    "replace_literal",
    "rewrite",
    "strip_one",
]

Span = tuple[int, int]
Replacement = Callable[[re.Match[str]], str] | str


@dataclass(frozen=True)
class TrackedText:
    """Text and, for each of its characters, the span ``[starts[i], ends[i])`` of the input it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __post_init__(self) -> None:
        if not len(self.starts) == len(self.ends) == len(self.text):
            raise ValueError("TrackedText: one span per character is needed")

    @classmethod
    def of(cls, text: str) -> TrackedText:
        """The input itself: character ``i`` spans ``[i, i + 1)``."""
        return cls(text, tuple(range(len(text))), tuple(range(1, len(text) + 1)))

    def __str__(self) -> str:
        return self.text

    def __len__(self) -> int:
        return len(self.text)

    def span(self, i: int) -> Span:
        return self.starts[i], self.ends[i]

    def slice(self, start: int, end: int) -> TrackedText:
        return TrackedText(self.text[start:end], self.starts[start:end], self.ends[start:end])

    def _position(self, i: int) -> int:
        """The input position before current character ``i`` (the end of the input after the last)."""
        if i < len(self.text):
            return self.starts[i]
        return self.ends[-1] if self.text else 0

    def splice(self, edits: Iterable[tuple[int, int, str]]) -> TrackedText:
        """Replace ``text[start:end]`` by ``new`` for each edit (sorted, not overlapping), by rules 2 and 3."""
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        at = 0
        for start, end, new in edits:
            if start < at or end < start:
                raise ValueError("TrackedText.splice: edits must be sorted and must not overlap")
            parts.append(self.text[at:start])
            starts.extend(self.starts[at:start])
            ends.extend(self.ends[at:start])
            if end > start:
                lo, hi = min(self.starts[start:end]), max(self.ends[start:end])
            else:
                lo = hi = self._position(start)
            parts.append(new)
            starts.extend([lo] * len(new))
            ends.extend([hi] * len(new))
            at = end
        parts.append(self.text[at:])
        starts.extend(self.starts[at:])
        ends.extend(self.ends[at:])
        return TrackedText("".join(parts), tuple(starts), tuple(ends))


T = TypeVar("T", str, TrackedText)


def rewrite(text: T, pattern: re.Pattern[str], repl: Replacement) -> T:
    """``pattern.sub(repl, text)`` for a ``str`` or a :class:`TrackedText` (``repl``: a function of the match,
    or a literal string)."""
    fn: Callable[[re.Match[str]], str] = repl if callable(repl) else (lambda _m, s=repl: s)
    if isinstance(text, str):
        return pattern.sub(fn, text)
    edits = []
    for match in pattern.finditer(text.text):
        new = fn(match)
        if new != match.group(0):
            edits.append((match.start(), match.end(), new))
    return text.splice(edits) if edits else text


@functools.lru_cache(maxsize=256)
def _literal(src: str) -> re.Pattern[str]:
    return re.compile(re.escape(src))


@functools.lru_cache(maxsize=64)
def _any_of(chars: str) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(ch) for ch in chars) + "]+")


def replace_literal(text: T, src: str, dst: str) -> T:
    """Every occurrence of ``src`` replaced by ``dst``, left to right (``str.replace``)."""
    if isinstance(text, str):
        return text.replace(src, dst)
    return rewrite(text, _literal(src), dst)


def remove_chars(text: T, chars: str) -> T:
    """Every character found in ``chars`` deleted."""
    if not chars:
        return text
    if isinstance(text, str):
        return text.translate(dict.fromkeys(map(ord, chars)))
    return rewrite(text, _any_of(chars), "")


def lowercase(text: T) -> T:
    """``str.lower`` (full case mapping, Greek final sigma included)."""
    if isinstance(text, str):
        return text.lower()
    whole = text.text.lower()
    if len(whole) == len(text.text):
        return TrackedText(whole, text.starts, text.ends)
    edits = []
    at = 0
    for i, ch in enumerate(text.text):
        n = len(ch.lower())
        piece = whole[at : at + n]
        at += n
        if piece != ch:
            edits.append((i, i + 1, piece))
    if at != len(whole):  # pragma: no cover - lower() is a per-character mapping in length
        return text.splice([(0, len(text.text), whole)])
    return text.splice(edits)


def nfc(text: T) -> T:
    """Unicode NFC normalisation."""
    if isinstance(text, str):
        return unicodedata.normalize("NFC", text)
    s = text.text
    whole = unicodedata.normalize("NFC", s)
    if whole == s:
        return text
    # combining sequences: a character that is not a mark (category M*) and the marks after it
    bounds = [i for i, ch in enumerate(s) if i == 0 or not unicodedata.category(ch).startswith("M")]
    bounds.append(len(s))
    edits = []
    out = []
    for a, b in itertools.pairwise(bounds):
        piece = unicodedata.normalize("NFC", s[a:b])
        out.append(piece)
        if piece != s[a:b]:
            edits.append((a, b, piece))
    if "".join(out) != whole:  # composition across sequences (conjoining jamo): one span for all
        return text.splice([(0, len(s), whole)])
    return text.splice(edits)


def strip_one(text: T, ch: str) -> T:
    """One leading and one trailing ``ch`` removed (when present)."""
    s = str(text)
    start = 1 if s.startswith(ch) else 0
    end = len(s) - 1 if s.endswith(ch) and len(s) > start else len(s)
    if isinstance(text, str):
        return text[start:end]
    return text.slice(start, end)


def locate_pieces(source: TrackedText, pieces: Sequence[str], whitespace: str) -> list[TrackedText]:
    """Each of ``pieces`` (in order, from text split out of ``source.text``; a single space in a piece stands
    for a run of ``whitespace`` characters) as a :class:`TrackedText` with its characters' spans.

    Text between pieces may be left out (sentence splitting drops pieces that clean to nothing).

    Raises:
        ValueError: a piece is not found in order (a bug in the splitter, not bad input).
    """
    ws = frozenset(whitespace) | {" "}
    s = source.text
    at = 0
    out: list[TrackedText] = []
    for piece in pieces:
        found = None
        for begin in range(at, len(s) - len(piece.replace(" ", "")) + 1):
            end = _match_at(s, begin, piece, ws)
            if end is not None:
                found = (begin, end)
                break
        if found is None:
            raise ValueError(
                f"internal error: sentence piece {piece!r} is not found in the text it came from"
            )
        tracked = source.slice(*found)
        if tracked.text != piece:
            tracked = rewrite(tracked, _any_of("".join(sorted(ws))), " ")
        if tracked.text != piece:  # pragma: no cover - _match_at guarantees it
            raise ValueError(f"internal error: sentence piece {piece!r} does not match its source text")
        out.append(tracked)
        at = found[1]
    return out


def _match_at(s: str, i: int, piece: str, ws: frozenset[str]) -> int | None:
    """The end of ``piece`` matched at ``s[i:]`` (a space matching a whitespace run), or ``None``."""
    j = i
    n = len(s)
    for ch in piece:
        if ch == " ":
            if j >= n or s[j] not in ws:
                return None
            while j < n and s[j] in ws:
                j += 1
        else:
            if j >= n or s[j] != ch:
                return None
            j += 1
    return j
