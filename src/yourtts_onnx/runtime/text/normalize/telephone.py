"""Telephone numbers read digit by digit, group by group: international ``"+33 1 23 45 67 89"``,
``"+1 (555) 123-4567"``; en ``"(555) 123-4567"``, ``"555-123-4567"``, ``"555.123.4567"``; fr
``"01 23 45 67 89"``, ``"01.23.45.67.89"``; pt ``"(11) 91234-5678"``, ``"91234-5678"``.

Groups are joined by commas (short pauses); ``+`` is read as "plus" (pt "mais").
"""

from __future__ import annotations

import re

from .numbers import _n2w
from .rewrite import Rule

__all__ = ["telephone_rules"]

_PLUS = {"en": "plus", "fr": "plus", "pt": "mais"}
_MIN_DIGITS = 7
_MAX_DIGITS = 15  # E.164

_INTERNATIONAL = r"\+\d{1,3}(?:[ .\-]?\(?\d{1,5}\)?){2,6}"
_FORMATS = {
    "en": r"(?:\(\d{3}\)\s?|\d{3}[-.])\d{3}[-.]\d{4}",
    "fr": r"0\d(?:[ .]\d{2}){4}",
    "pt": r"\(\d{2}\)\s?\d{4,5}-\d{4}|9\d{4}-\d{4}",
}


def _read(match: re.Match[str], code: str) -> str:
    text = match.group(0)
    groups = re.findall(r"\d+", text)
    count = sum(len(g) for g in groups)
    if not _MIN_DIGITS <= count <= _MAX_DIGITS:
        return text
    spoken = ", ".join(" ".join(_n2w(int(d), code) for d in group) for group in groups)
    return f"{_PLUS[code]} {spoken}" if text.startswith("+") else spoken


def telephone_rules(code: str) -> tuple[Rule, ...]:
    """The telephone rule of a number language."""
    pattern = re.compile(rf"(?<![\w+\-.])(?:{_INTERNATIONAL}|{_FORMATS[code]})(?![\w\-]|[.,]\d)")
    return (Rule("telephone", pattern, lambda m: _read(m, code)),)
