"""Common abbreviations written out: en ``Dr. Mr. Mrs. Ms. Prof. St. Mt. Jr. Sr. vs. etc. e.g. i.e. No.``;
fr ``M. MM. Mme Mmes Mlle Dr Pr St Ste n° etc.``; pt ``Sr. Sra. Srta. Dr. Dra. Prof. Profa. Sto. Sta. nº
etc.``

Titles are expanded only before a capitalised word (``"Dr. Smith"``, ``"M. Dupont"``) and lose their period,
so the sentence splitter never sees it. Abbreviations that may end a sentence (``etc.``, en ``St.`` read as
"Street", ``Jr.``) keep their period when it ends one: before the end of the text or a capitalised word.
English ``St.`` is "Saint" before a capitalised word and "Street" otherwise; ``No.``/``n°``/``nº`` are
expanded only before a digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .rewrite import Rule

__all__ = ["abbreviation_rules"]


@dataclass(frozen=True)
class _Abbr:
    written: str  # regex of the written form, period included when required
    spoken: str
    before: str  # what must follow: "name" (a capitalised word), "digit", or "any"
    may_end: bool = False  # keeps a sentence-ending period


_NAME = r"(?=\s+[A-ZÀ-ÖØ-Þ])"
_DIGIT = r"(?=\s*\d)"
_ANY = r"(?![\w])"

_TABLE: dict[str, tuple[_Abbr, ...]] = {
    "en": (
        _Abbr(r"Mrs\.?", "Missus", "name"),
        _Abbr(r"Mr\.?", "Mister", "name"),
        _Abbr(r"Ms\.?", "Miz", "name"),
        _Abbr(r"Dr\.?", "Doctor", "name"),
        _Abbr(r"Prof\.", "Professor", "name"),
        _Abbr(r"St\.", "Saint", "name"),
        _Abbr(r"Mt\.", "Mount", "name"),
        _Abbr(r"St\.", "Street", "any", may_end=True),
        _Abbr(r"Jr\.", "Junior", "any", may_end=True),
        _Abbr(r"Sr\.", "Senior", "any", may_end=True),
        _Abbr(r"vs\.?", "versus", "any"),
        _Abbr(r"etc\.", "et cetera", "any", may_end=True),
        _Abbr(r"e\.g\.", "for example", "any"),
        _Abbr(r"i\.e\.", "that is", "any"),
        _Abbr(r"No\.", "number", "digit"),
    ),
    "fr": (
        _Abbr(r"MM\.", "Messieurs", "name"),
        _Abbr(r"M\.", "Monsieur", "name"),
        _Abbr(r"Mmes\.?", "Mesdames", "name"),
        _Abbr(r"Mme\.?", "Madame", "name"),
        _Abbr(r"Mlles\.?", "Mesdemoiselles", "name"),
        _Abbr(r"Mlle\.?", "Mademoiselle", "name"),
        _Abbr(r"Dr\.?", "Docteur", "name"),
        _Abbr(r"Pr\.?", "Professeur", "name"),
        _Abbr(r"Ste\.?", "Sainte", "name"),
        _Abbr(r"St\.?", "Saint", "name"),
        _Abbr(r"[Nn]°", "numéro", "digit"),
        _Abbr(r"etc\.", "et cetera", "any", may_end=True),
    ),
    "pt": (
        _Abbr(r"Srta\.", "Senhorita", "name"),
        _Abbr(r"Sra\.", "Senhora", "name"),
        _Abbr(r"Sr\.", "Senhor", "name"),
        _Abbr(r"Dra\.", "Doutora", "name"),
        _Abbr(r"Dr\.", "Doutor", "name"),
        _Abbr(r"Profa\.", "Professora", "name"),
        _Abbr(r"Prof\.", "Professor", "name"),
        _Abbr(r"Sta\.", "Santa", "name"),
        _Abbr(r"Sto\.", "Santo", "name"),
        _Abbr(r"[Nn]\.?[º°]", "número", "digit"),
        _Abbr(r"etc\.", "etcétera", "any", may_end=True),
    ),
}

_FOLLOW = {"name": _NAME, "digit": _DIGIT, "any": _ANY}


def _ends_sentence(match: re.Match[str]) -> bool:
    rest = match.string[match.end() :]
    stripped = rest.lstrip()
    return not stripped or (rest[:1].isspace() and stripped[:1].isupper())


def _expand(abbr: _Abbr) -> Rule:
    follow = _FOLLOW[abbr.before]
    if abbr.before == "any" and abbr.written.endswith(r"\."):
        follow = ""  # the period already ends the written form
    pattern = re.compile(rf"(?<![\w.]){abbr.written}{follow}")

    def replace(match: re.Match[str]) -> str:
        keep = abbr.may_end and match.group(0).endswith(".") and _ends_sentence(match)
        return abbr.spoken + ("." if keep else "")

    return Rule("abbreviation", pattern, replace)


_RULES: dict[str, tuple[Rule, ...]] = {code: tuple(map(_expand, table)) for code, table in _TABLE.items()}


def abbreviation_rules(code: str) -> tuple[Rule, ...]:
    """The abbreviation rules of a number language, in order (longer forms first)."""
    return _RULES[code]
