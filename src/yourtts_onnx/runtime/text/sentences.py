"""Sentence splitting and length capping, so long text can be synthesised piece by piece.

Lengths are counted in **cleaned characters**: ``len(apply_cleaner(piece, language, rules))``. That is
an upper bound on the number of character ids the tokenizer produces (unknown characters are dropped);
with blanks the model input is ``2 * n + 1`` ids. Number expansion makes text longer, so expand numbers
*before* chunking (``chunk_text(..., normalize_numbers=True)`` does it and returns expanded text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from yourtts_onnx.errors import InputError

from .cleaners import CleanerRules, apply_cleaner, default_rules
from .numbers import normalize_numbers as _normalize_numbers

__all__ = ["cap_sentence", "chunk_text", "split_sentences"]


@dataclass(frozen=True)
class _Abbreviations:
    never: frozenset[str]  # a period after these never ends a sentence ("Mr.", "e.g."; "M." is an initial)
    before_number: frozenset[str]  # ... unless it is not followed by a digit ("No. 5", "p. 12")
    may_end: frozenset[str]  # end a sentence only when an upper-case letter follows ("etc.")
    english_i: bool = False  # "I." ends a sentence rather than being an initial


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ABBREVIATIONS: dict[str, _Abbreviations] = {
    "en": _Abbreviations(
        never=_words(
            "mr mrs ms mx dr prof sr jr st mt ft gen col capt lt sgt rev hon gov sen rep pres messrs "
            "e.g i.e cf approx dept est vs viz al ca"
        ),
        before_number=_words(
            "no nos nr p pp vol fig ch chap art sec jan feb mar apr jun jul aug sep sept oct nov dec"
        ),
        may_end=_words("etc a.m p.m u.s u.k inc ltd corp co"),
        english_i=True,
    ),
    "fr": _Abbreviations(
        never=_words("mm mme mmes mlle mlles dr pr me mgr st ste cf env p.ex ex av bd vs"),
        before_number=_words("n no p pp vol art chap fig janv févr avr juil sept oct nov déc"),
        may_end=_words("etc cie"),
    ),
    "pt": _Abbreviations(
        never=_words(
            "sr sra srs sras srta srtas dr dra drs dras prof profa profs eng exmo exma sto sta "
            "p.ex ex av cf aprox vs"
        ),
        before_number=_words(
            "n nº p pp pág pag vol art cap fig jan fev mar abr mai jun jul ago set out nov dez"
        ),
        may_end=_words("etc ltda cia"),
    ),
}


def _abbreviations(language: str | None) -> _Abbreviations:
    primary = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    known = _ABBREVIATIONS.get(primary)
    if known is not None:
        return known
    sets = list(_ABBREVIATIONS.values())
    return _Abbreviations(
        never=frozenset().union(*(a.never for a in sets)),
        before_number=frozenset().union(*(a.before_number for a in sets)),
        may_end=frozenset().union(*(a.may_end for a in sets)),
        english_i=True,
    )


# A terminator run, optional closing quotes/brackets, then whitespace.
# French typography may put a (no-break) space before the closing guillemet: "« Oui. » Puis".
_BOUNDARY = re.compile(
    r"(?P<term>[.!?…。！？]+)"
    r"(?P<close>[\"'”’»)\]]*(?:[ \u00a0\u202f][»”][\"'”’»)\]]*)?)"
    r"(?P<space>\s+)"
)
_OPENERS = "\"'“‘«([¿¡"
_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*")
_SPACES = re.compile(r"\s+")


def _ends_sentence(paragraph: str, match: re.Match[str], abbr: _Abbreviations) -> bool:
    term = match.group("term")
    rest = paragraph[match.end() :].lstrip(_OPENERS)
    nxt = rest[:1]
    if any(ch in term for ch in "!?！？。"):
        return True
    if len(term) > 1 or term == "…":  # an ellipsis ("..", "...", "…")
        return nxt.isupper()
    # A single period.
    if nxt.islower():
        return False
    start = match.start()
    word_start = start
    while word_start > 0 and not paragraph[word_start - 1].isspace():
        word_start -= 1
    raw_word = paragraph[word_start:start].lstrip(_OPENERS)
    word = raw_word.lower()
    if not word:
        return True
    if word in abbr.never:
        return False
    if word in abbr.before_number and nxt.isdigit():
        return False
    if word in abbr.may_end:
        return nxt.isupper()
    # An initial such as "J. R. R. Tolkien" (but English "I" is a word).
    initial = len(raw_word) == 1 and raw_word.isupper() and not (raw_word == "I" and abbr.english_i)
    return not initial


def split_sentences(text: str, language: str | None) -> list[str]:
    """Split ``text`` into sentences; whitespace inside each sentence is collapsed to single spaces.

    Sentences end at ``.``, ``!``, ``?`` (and runs such as ``?!``), optionally followed by closing quotes
    or brackets, when whitespace follows. A period does not end a sentence after the language's common
    abbreviations (en "Mr.", "Dr.", "e.g."; fr "M.", "Mme."; pt "Sr.", "Sra.", ...), after a single-letter
    initial, or when a lower-case letter follows. An ellipsis ends a sentence only before an upper-case
    letter. Numbers such as "3.5" are never split (no whitespace follows the period). A blank line always
    ends a sentence. Unknown languages use the union of all abbreviation lists.
    """
    abbr = _abbreviations(language)
    sentences: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        paragraph = _SPACES.sub(" ", paragraph).strip()
        if not paragraph:
            continue
        start = 0
        for match in _BOUNDARY.finditer(paragraph):
            if _ends_sentence(paragraph, match, abbr):
                piece = paragraph[start : match.start("space")].strip()
                if piece:
                    sentences.append(piece)
                start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def _measure_for(language: str | None, rules: CleanerRules | None) -> Callable[[str], int]:
    active = rules if rules is not None else default_rules("multilingual_cleaners")
    return lambda piece: len(apply_cleaner(piece, language, active))


_CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+|(?<=\s[-–—])\s+")


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
) -> list[str]:
    """Split one sentence into pieces of at most ``max_chars`` cleaned characters.

    Splits at clause punctuation (``,`` ``;`` ``:`` and spaced dashes) first, packing clauses greedily,
    then at spaces, and cuts a single word longer than the limit into pieces. Pieces that clean to
    nothing are left out. The cleaner is ``rules`` (default: ``multilingual_cleaners``) for ``language``.

    Raises:
        InputError: ``max_chars`` is below 1, or a single character cleans to more than ``max_chars``.
    """
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
        raise InputError(f"max_chars must be a positive integer, got {max_chars!r}")
    measure = _measure_for(language, rules)
    sentence = sentence.strip()
    if measure(sentence) <= max_chars:
        return [sentence] if measure(sentence) > 0 else []
    out: list[str] = []
    for clause_chunk in _pack(_CLAUSE_BREAK.split(sentence), max_chars, measure):
        if measure(clause_chunk) <= max_chars:
            out.append(clause_chunk)
            continue
        for word_chunk in _pack(clause_chunk.split(), max_chars, measure):
            if measure(word_chunk) <= max_chars:
                out.append(word_chunk)
            else:
                out.extend(_hard_split(word_chunk, max_chars, measure))
    return [piece.strip() for piece in out if measure(piece) > 0]


def chunk_text(
    text: str,
    language: str | None,
    max_chars: int,
    *,
    rules: CleanerRules | None = None,
    normalize_numbers: bool = False,
) -> list[str]:
    """Sentences of ``text``, each capped to ``max_chars`` cleaned characters (see :func:`cap_sentence`).

    With ``normalize_numbers`` the numbers are written out first and the chunks hold the expanded text
    (encoding them again with number expansion changes nothing). Returns ``[]`` for empty text.
    """
    if normalize_numbers:
        text = _normalize_numbers(text, language)
    chunks: list[str] = []
    for sentence in split_sentences(text, language):
        chunks.extend(cap_sentence(sentence, max_chars, language=language, rules=rules))
    return chunks
