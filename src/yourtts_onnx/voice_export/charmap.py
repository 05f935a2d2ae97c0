"""Per-character id tables that let other hosts' simple frontends reproduce the YourTTS tokenizer.

Piper (``phoneme_type: "text"``) and sherpa-onnx (``frontend: "characters"``) look every input character up
in a table; they cannot run the YourTTS cleaner. Because every step of ``multilingual_cleaners`` except
NFC composition and whitespace collapsing works one character at a time, the cleaner can be folded into
the table: the entry for a character is the ids of that character cleaned on its own (``"É"`` → the id of
``"é"``, ``";"`` → the id of ``","``, ``"("`` → nothing, ``"&"`` → ``"and"`` for English).

Piper decomposes its input to NFD first, so accented letters reach the table as a base letter followed by
a combining mark. :func:`composition_table` lists those marks; the Piper export gives each mark an extra
id and composes it with the preceding letter inside the graph (see :mod:`.graph`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from yourtts_onnx.runtime.text import CleanerRules, TextFrontendConfig, apply_cleaner

#: Code points scanned for table entries. Every vocabulary character (Latin, Cyrillic, punctuation) and
#: everything that lower-cases or normalises to one lives in the Basic Multilingual Plane.
SCAN_LIMIT = 0x10000


def _local_rules(rules: CleanerRules) -> CleanerRules:
    """The cleaner without whitespace collapsing (which needs context); whitespace is mapped separately."""
    return CleanerRules(
        name=rules.name,
        steps=tuple(s for s in rules.steps if s != "collapse_whitespace"),
        default_replacements=rules.default_replacements,
        language_replacements=rules.language_replacements,
        language_match=rules.language_match,
        removed_symbols=rules.removed_symbols,
        whitespace=rules.whitespace,
    )


def _single_char_ids(text: TextFrontendConfig) -> dict[str, int]:
    return {tok: idx for tok, idx in text.char_to_id.items() if len(tok) == 1}


def clean_char(ch: str, language: str, text: TextFrontendConfig) -> str:
    """``ch`` cleaned on its own, as if inside a sentence between spaces.

    A whitespace character becomes one space. A replacement with words in it loses its outer spaces
    (``"&"`` → ``"and"``), because ``"a & b"`` cleans to ``"a and b"`` once whitespace runs collapse;
    a replacement that is only whitespace stays one space (``"-"`` → ``" "``).
    """
    rules = text.cleaner_rules
    if "collapse_whitespace" not in rules.steps:
        return apply_cleaner(ch, language, _local_rules(rules))
    if ch in rules.whitespace:
        return " "
    cleaned = apply_cleaner(ch, language, _local_rules(rules))
    inner = cleaned.strip(rules.whitespace)
    if not inner:
        return " " if cleaned else ""
    return "".join(" " if c in rules.whitespace else c for c in inner)


def char_table(text: TextFrontendConfig, language: str) -> dict[str, tuple[int, ...]]:
    """Input character → YourTTS character ids (no blanks), for every character whose cleaning yields at
    least one known character or that the cleaner removes (those map to ``()``).

    Characters left out are unknown to the model: YourTTS drops them, and so do Piper and sherpa-onnx
    (with a logged warning).
    """
    lookup = _single_char_ids(text)
    rules = text.cleaner_rules
    removed = set(rules.removed_symbols) if "remove_symbols" in rules.steps else set()
    sources = {src for src, _dst in rules.replacements_for(language)}
    table: dict[str, tuple[int, ...]] = {}
    for cp in range(SCAN_LIMIT):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        # Cheap filter before the full per-character cleaner.
        if not (
            ch in lookup
            or ch in removed
            or ch in sources
            or ch in rules.whitespace
            or any(c in lookup for c in unicodedata.normalize("NFC", ch).lower())
        ):
            continue
        cleaned = clean_char(ch, language, text)
        ids = tuple(lookup[c] for c in cleaned if c in lookup)
        if ids or not cleaned:
            table[ch] = ids
    return table


@dataclass(frozen=True)
class Composition:
    """Combining marks that NFD splits off vocabulary letters, and how to put them back.

    ``marks[m]`` is the m-th mark; ``pairs[(base_id, m)]`` is the id of the precomposed letter.
    """

    marks: tuple[str, ...]
    pairs: dict[tuple[int, int], int]


def composition_table(text: TextFrontendConfig, language: str) -> Composition:
    """Marks whose composition with a preceding letter yields a vocabulary letter.

    For every vocabulary character ``v`` whose NFD is ``base + mark`` with ``base`` known after cleaning
    (``"É"`` → ``"E"`` → the id of ``"e"``), the pair ``(id(base), mark)`` composes to ``id(v)``; the
    upper-case forms compose to the lower-case letter because the base already maps to the lower case.
    """
    lookup = _single_char_ids(text)
    marks: list[str] = []
    pairs: dict[tuple[int, int], int] = {}
    for token, idx in sorted(lookup.items(), key=lambda kv: kv[1]):
        nfd = unicodedata.normalize("NFD", token)
        if len(nfd) != 2 or not unicodedata.combining(nfd[1]):
            continue
        base_clean = clean_char(nfd[0], language, text)
        if len(base_clean) != 1 or base_clean not in lookup:
            continue
        mark = nfd[1]
        if mark not in marks:
            marks.append(mark)
        pairs[(lookup[base_clean], marks.index(mark))] = idx
    return Composition(marks=tuple(marks), pairs=pairs)
