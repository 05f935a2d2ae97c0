"""Clock times read as people say them: en ``"14:30"``, ``"3:45 pm"``, ``"7 a.m."``; fr ``"14h30"``,
``"14 h"``, ``"14:30"``; pt ``"14h30"``, ``"14:30"``.

Hours must be 0–23 (1–12 with am/pm) and minutes two digits 00–59; anything else is left to the number
rules (``"3:2"`` stays a ratio, ``"25:61"`` two numbers).
"""

from __future__ import annotations

import re

from .numbers import _feminine, _n2w
from .rewrite import Rule

__all__ = ["time_rules"]

_AMPM = {"a": "ay em", "p": "pee em"}
# am/pm, written "pm", "PM", "p.m." or "p. m."
_AMPM_RE = r"(?P<ampm>[ap])\.?\s?m(?P<stop>\.)?(?!\w)"
_CLOCK = r"(?<![\d:.,])(?P<h>\d{1,2}):(?P<m>[0-5]\d)(?![\d:]|[.,]\d)"


def _keep_stop(match: re.Match[str]) -> str:
    """A period that is part of the time ("p.m.") and also ends the sentence is kept."""
    if not match.groupdict().get("stop"):
        return ""
    rest = match.string[match.end() :]
    stripped = rest.lstrip()
    return "." if not stripped or (rest[:1].isspace() and stripped[:1].isupper()) else ""


def _english(match: re.Match[str]) -> str:
    hour = int(match.group("h"))
    minute = int(match.groupdict().get("m") or 0)
    ampm = match.group("ampm")
    if hour > 23 or (ampm and not 1 <= hour <= 12):
        return match.group(0)
    words = _n2w(hour, "en")
    if minute == 0:
        if ampm:
            pass
        elif hour <= 12 and hour > 0:
            words += " o'clock"
        else:
            words += " hundred"
    elif minute < 10:
        words += " oh " + _n2w(minute, "en")
    else:
        words += " " + _n2w(minute, "en")
    if ampm:
        words += " " + _AMPM[ampm.lower()] + _keep_stop(match)
    return words


def _romance(match: re.Match[str], code: str) -> str:
    hour = int(match.group("h"))
    minute_text = match.group("m")
    if hour > 23:
        return match.group(0)
    hour_words = _feminine(_n2w(hour, code), code)
    if code == "fr":
        noun = "heure" if hour <= 1 else "heures"
        words = f"{hour_words} {noun}"
        if minute_text and int(minute_text):
            words += " " + _feminine(_n2w(int(minute_text), code), code)
    else:
        noun = "hora" if hour <= 1 else "horas"
        words = f"{hour_words} {noun}"
        if minute_text and int(minute_text):
            words += " e " + _n2w(int(minute_text), code)
    return words


_EN_CLOCK = re.compile(rf"{_CLOCK}(?:\s?{_AMPM_RE})?", re.IGNORECASE)
_EN_HOUR = re.compile(rf"(?<![\d:.,])(?P<h>\d{{1,2}})\s?{_AMPM_RE}", re.IGNORECASE)
# "14h30", "14 h 30", "14h" (an "h" followed by a letter is a word: "4 heures")
_H_CLOCK = re.compile(r"(?<![\d:.,])(?P<h>\d{1,2})\s?h(?:\s?(?P<m>[0-5]\d))?(?![\w])")
_COLON_CLOCK = re.compile(_CLOCK)


def time_rules(code: str) -> tuple[Rule, ...]:
    """The time rules of a number language (``"en"``, ``"fr"``, ``"pt"``)."""
    if code == "en":
        return (Rule("time", _EN_CLOCK, _english), Rule("time", _EN_HOUR, _english))
    return (
        Rule("time", _H_CLOCK, lambda m: _romance(m, code)),
        Rule("time", _COLON_CLOCK, lambda m: _romance(m, code)),
    )
