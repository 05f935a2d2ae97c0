"""English years: four-digit numbers after a word that introduces a year (``"in 2024"`` → "in twenty
twenty-four", ``"since 1066"``), and decades (``"the 1990s"`` → "the nineteen nineties").

Other four-digit numbers from 1100 to 1999 are read as years by the number rule; French and Portuguese
read years as cardinals, as their speakers do.
"""

from __future__ import annotations

import re

from .numbers import _n2w
from .rewrite import Rule

__all__ = ["year_rules"]

_YEAR_WORDS = r"in|since|by|from|until|till|year|circa|before|after|during|between|and"
_CONTEXT = re.compile(rf"\b(?P<w>{_YEAR_WORDS})\s+(?P<y>[12]\d{{3}})(?![\d,.]\d|\w)", re.IGNORECASE)
_DECADE = re.compile(r"(?<![\w.,])(?P<y>[12]\d{2}0)'?s\b")
_PLURALS = {"ty": "ties", "ten": "tens", "hundred": "hundreds", "thousand": "thousands"}


def _year(value: int) -> str:
    return _n2w(value, "en", to="year")


def _in_context(match: re.Match[str]) -> str:
    value = int(match.group("y"))
    if not 1000 <= value <= 2099:
        return match.group(0)
    return f"{match.group('w')} {_year(value)}"


def _decade(match: re.Match[str]) -> str:
    words = _year(int(match.group("y")))
    for end, plural in _PLURALS.items():
        if words.endswith(end):
            return words[: -len(end)] + plural
    return words + "s"  # pragma: no cover - every decade ends in -ty, hundred or thousand


def year_rules(code: str) -> tuple[Rule, ...]:
    """Year rules (English only; other languages have none)."""
    if code != "en":
        return ()
    return (Rule("year", _CONTEXT, _in_context), Rule("year", _DECADE, _decade))
