"""Sentence splitting and length capping, so long text can be synthesised piece by piece.

Every table and number the rules use comes from a :class:`~.sentence_rules.SentenceRules` (the bundle's
``text.sentences``; :func:`~.sentence_rules.default_sentence_rules` when none is given). The algorithm is
stated step by step in ``docs/consumers.md`` (section 3.2), which other hosts follow.

Lengths are counted in **cleaned characters**: ``len(apply_cleaner(piece, language, rules))``. That is
an upper bound on the number of character ids the tokenizer produces (unknown characters are dropped);
with blanks the model input is ``2 * n + 1`` ids. Number expansion makes text longer, so expand numbers
*before* chunking (``chunk_text(..., normalize_numbers=True)`` does it and returns expanded text).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from yourtts_onnx.errors import InputError

from .cleaners import CleanerRules, apply_cleaner, default_rules
from .lexicon import Lexicon
from .normalize import normalize_text as _normalize_numbers
from .sentence_rules import Abbreviations, SentenceRules, default_sentence_rules

__all__ = ["cap_sentence", "chunk_text", "split_sentences"]


@functools.lru_cache(maxsize=1)
def _default_rules() -> SentenceRules:
    return default_sentence_rules()


def _class(chars: str) -> str:
    """A regex character class matching exactly ``chars`` (non-empty)."""
    return "[" + "".join(re.escape(ch) for ch in chars) + "]"


@dataclass(frozen=True)
class _Patterns:
    paragraph: re.Pattern[str]  # a blank line: newline, optional whitespace, newline, whitespace
    spaces: re.Pattern[str]  # a run of whitespace
    boundary: re.Pattern[str]  # terminator run, closers, then the (single, collapsed) space
    clause_break: re.Pattern[str] | None  # whitespace after clause punctuation or a spaced dash


@functools.lru_cache(maxsize=16)
def _patterns(
    terminators: str,
    closers: str,
    spaced_closers: str,
    whitespace: str,
    clause_punctuation: str,
    clause_dashes: str,
) -> _Patterns:
    ws = _class(whitespace)
    not_newline = whitespace.replace("\n", "")
    gap = f"{_class(not_newline)}*" if not_newline else ""
    close = f"{_class(closers)}*" if closers else ""
    spaced = f"(?: {_class(spaced_closers)}{close})?" if spaced_closers else ""
    breaks = []
    if clause_punctuation:
        breaks.append(f"(?<={_class(clause_punctuation)}){ws}+")
    if clause_dashes:
        breaks.append(f"(?<={ws}{_class(clause_dashes)}){ws}+")
    return _Patterns(
        paragraph=re.compile(f"\\n{gap}\\n{ws}*"),
        spaces=re.compile(f"{ws}+"),
        boundary=re.compile(f"(?P<term>{_class(terminators)}+)(?P<close>{close}{spaced})(?P<space> )"),
        clause_break=re.compile("|".join(breaks)) if breaks else None,
    )


def _patterns_for(rules: SentenceRules) -> _Patterns:
    return _patterns(
        rules.terminators,
        rules.closers,
        rules.spaced_closers,
        rules.whitespace,
        rules.clause_punctuation,
        rules.clause_dashes,
    )


def _ends_sentence(paragraph: str, match: re.Match[str], abbr: Abbreviations, rules: SentenceRules) -> bool:
    term = match.group("term")
    rest = paragraph[match.end() :].lstrip(rules.openers)
    nxt = rest[:1]
    if any(ch in rules.final_terminators for ch in term):
        return True
    if len(term) > 1 or term in rules.ellipses:  # an ellipsis ("..", "...", "…")
        return nxt.isupper()
    # A single period (or another terminator that is neither final nor an ellipsis).
    if nxt.islower():
        return False
    start = match.start()
    word_start = paragraph.rfind(" ", 0, start) + 1  # the paragraph's only whitespace is " "
    raw_word = paragraph[word_start:start].lstrip(rules.openers)
    word = raw_word.lower()
    if not word:
        return True
    if word in abbr.never:
        return False
    if word in abbr.before_number and nxt.isdecimal():
        return False
    if word in abbr.may_end:
        return nxt.isupper()
    # An initial such as "J. R. R. Tolkien" (but English "I" is a word).
    initial = len(raw_word) == 1 and raw_word.isupper() and raw_word not in abbr.not_initials
    return not initial


def split_sentences(text: str, language: str | None, rules: SentenceRules | None = None) -> list[str]:
    """Split ``text`` into sentences; whitespace inside each sentence is collapsed to single spaces.

    Sentences end at ``.``, ``!``, ``?`` (and runs such as ``?!``), optionally followed by closing quotes
    or brackets, when whitespace follows. A period does not end a sentence after the language's common
    abbreviations (en "Mr.", "Dr.", "e.g."; fr "M.", "Mme."; pt "Sr.", "Sra.", ...), after a single-letter
    initial, or when a lower-case letter follows. An ellipsis ends a sentence only before an upper-case
    letter. Numbers such as "3.5" are never split (no whitespace follows the period). A blank line always
    ends a sentence. Unknown languages use ``default_abbreviations`` (the union of all lists by default).
    All of these tables come from ``rules`` (default: :func:`~.sentence_rules.default_sentence_rules`).
    """
    rules = _default_rules() if rules is None else rules
    pats = _patterns_for(rules)
    abbr = rules.abbreviations_for(language)
    sentences: list[str] = []
    for paragraph in pats.paragraph.split(text):
        paragraph = pats.spaces.sub(" ", paragraph).strip(" ")
        if not paragraph:
            continue
        start = 0
        for match in pats.boundary.finditer(paragraph):
            if _ends_sentence(paragraph, match, abbr, rules):
                piece = paragraph[start : match.start("space")].strip(" ")
                if piece:
                    sentences.append(piece)
                start = match.end()
        tail = paragraph[start:].strip(" ")
        if tail:
            sentences.append(tail)
    return sentences


def _measure_for(language: str | None, rules: CleanerRules | None) -> Callable[[str], int]:
    active = rules if rules is not None else default_rules("multilingual_cleaners")
    return lambda piece: len(apply_cleaner(piece, language, active))


def _pack(pieces: list[str], limit: int, measure: Callable[[str], int]) -> list[str]:
    """Greedily join ``pieces`` with spaces while the joined text fits."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}" if current else piece
        if not current or measure(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def _hard_split(word: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    parts: list[str] = []
    current = ""
    for ch in word:
        candidate = current + ch
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        if measure(ch) > limit:
            raise InputError(
                f"max_chars={limit} is too small: the character {ch!r} alone cleans to "
                f"{measure(ch)} characters"
            )
        current = ch
    if current:
        parts.append(current)
    return parts


def cap_sentence(
    sentence: str,
    max_chars: int,
    *,
    language: str | None = None,
    rules: CleanerRules | None = None,
    sentence_rules: SentenceRules | None = None,
) -> list[str]:
    """Split one sentence into pieces of at most ``max_chars`` cleaned characters.

    Splits at clause punctuation (``,`` ``;`` ``:`` and spaced dashes; ``sentence_rules``) first, packing
    clauses greedily, then at whitespace, and cuts a single word longer than the limit into pieces. Pieces
    that clean to nothing are left out. The cleaner is ``rules`` (default: ``multilingual_cleaners``) for
    ``language``.

    Raises:
        InputError: ``max_chars`` is below 1, or a single character cleans to more than ``max_chars``.
    """
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
        raise InputError(f"max_chars must be a positive integer, got {max_chars!r}")
    srules = _default_rules() if sentence_rules is None else sentence_rules
    pats = _patterns_for(srules)
    measure = _measure_for(language, rules)
    sentence = sentence.strip(srules.whitespace)
    if measure(sentence) <= max_chars:
        return [sentence] if measure(sentence) > 0 else []
    clauses = pats.clause_break.split(sentence) if pats.clause_break is not None else [sentence]
    out: list[str] = []
    for clause_chunk in _pack(clauses, max_chars, measure):
        if measure(clause_chunk) <= max_chars:
            out.append(clause_chunk)
            continue
        words = [word for word in pats.spaces.split(clause_chunk) if word]
        for word_chunk in _pack(words, max_chars, measure):
            if measure(word_chunk) <= max_chars:
                out.append(word_chunk)
            else:
                out.extend(_hard_split(word_chunk, max_chars, measure))
    return [piece.strip(srules.whitespace) for piece in out if measure(piece) > 0]


def chunk_text(
    text: str,
    language: str | None,
    max_chars: int,
    *,
    rules: CleanerRules | None = None,
    normalize_numbers: bool = False,
    sentence_rules: SentenceRules | None = None,
    lexicon: Lexicon | None = None,
) -> list[str]:
    """Sentences of ``text``, each capped to ``max_chars`` cleaned characters (see :func:`cap_sentence`).

    With ``normalize_numbers`` the numbers are written out first and the chunks hold the expanded text
    (encoding them again with number expansion changes nothing). Returns ``[]`` for empty text.
    ``rules`` is the cleaner, ``sentence_rules`` the splitting tables (defaults as in :func:`cap_sentence`);
    ``lexicon``: pronunciations applied first, with the normalisation.
    """
    if normalize_numbers:
        text = _normalize_numbers(text, language, lexicon)
    chunks: list[str] = []
    for sentence in split_sentences(text, language, sentence_rules):
        chunks.extend(
            cap_sentence(sentence, max_chars, language=language, rules=rules, sentence_rules=sentence_rules)
        )
    return chunks
