"""SSML ``<say-as interpret-as="...">``: a short text read the way the element asks, with the normaliser's
number reading (:mod:`.numbers`, :mod:`.times`) for English, French and Portuguese.

* ``characters``, ``spell-out``: one character at a time (``"SQL"`` → ``"S Q L"``; digits as words);
* ``cardinal``: the number rules (``"1,234"`` → ``"one thousand two hundred thirty-four"``);
* ``ordinal``: ``"3"``, ``"3rd"``, ``"3e"``, ``"3º"`` → ``"third"``, ``"troisième"``, ``"terceiro"``;
* ``digits``: every digit on its own (``"2024"`` → ``"two zero two four"``);
* ``date``: day, month and year fields split by ``/``, ``-``, ``.`` or spaces, in the order of the
  ``format`` attribute (``mdy``, ``dmy``, ``ymd``, ``md``, ``dm``, ``ym``, ``my``, ``y``; default: ``ymd``
  when the first field has four digits, else ``mdy`` in English and ``dmy`` in French and Portuguese);
  a field out of range leaves the text to the number rules;
* ``time``: the clock-time rules, then the number rules (``"14:30"``, ``"3:45 pm"``, ``"14h30"``);
* ``telephone``: digit by digit, groups joined by commas, ``+`` read as "plus" (pt "mais").

Other languages (no number reader) get the text unchanged, except ``characters`` and ``spell-out``.
"""

from __future__ import annotations

import re

from .numbers import _LANGS, _n2w, _pad, _patterns, _say_number, number_language
from .rewrite import apply_rules
from .times import time_rules

__all__ = ["INTERPRETATIONS", "say_as"]

INTERPRETATIONS = ("characters", "spell-out", "cardinal", "ordinal", "digits", "date", "time", "telephone")

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "pt": [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
}
_DATE_FORMATS = ("mdy", "dmy", "ymd", "ydm", "md", "dm", "ym", "my", "y", "m", "d")
_ORDINAL = re.compile(r"(?P<n>\d+)\.?\s?(?:st|nd|rd|th|ème|eme|ère|ere|er|re|nde|nd|e|è|º|ª)?", re.IGNORECASE)


def _digit(ch: str, code: str | None) -> str:
    return _n2w(int(ch), code) if code is not None else ch


def _characters(text: str, code: str | None) -> str:
    return " ".join(_digit(ch, code) if ch.isdigit() else ch for ch in text if ch.isalnum())


def _digits(text: str, code: str | None) -> str:
    if code is None:
        return text
    spoken = re.sub(r"\d", lambda m: f" {_digit(m.group(0), code)} ", text)
    return " ".join(spoken.split())


def _cardinal(text: str, code: str) -> str:
    lang = _LANGS[code]

    def say(match: re.Match[str]) -> str:  # never read as a year: a cardinal is a quantity
        negative = bool(match.group("sign"))
        return _pad(match, _say_number(match.group("int"), match.group("frac"), lang, negative=negative))

    return _patterns(lang).number.sub(say, text)


def _ordinal(text: str, code: str) -> str:
    def say(match: re.Match[str]) -> str:
        try:
            return _n2w(int(match.group("n")), code, to="ordinal")
        except (OverflowError, ValueError, NotImplementedError):
            return match.group(0)

    return _ORDINAL.sub(say, text)


def _telephone(text: str, code: str) -> str:
    groups = re.findall(r"\d+", text)
    spoken = ", ".join(" ".join(_n2w(int(d), code) for d in group) for group in groups)
    if text.lstrip().startswith("+"):
        spoken = ("mais " if code == "pt" else "plus ") + spoken
    return spoken


def _date(text: str, code: str, fmt: str | None) -> str:
    fields = re.findall(r"\d+", text)
    if not fields or re.sub(r"[\d/.\-\s,]", "", text):
        return _cardinal(text, code)
    order = (fmt or "").lower()
    if order not in _DATE_FORMATS:
        order = "ymd" if len(fields[0]) == 4 else ("mdy" if code == "en" else "dmy")
    if len(fields) != len(order):
        order = order[: len(fields)] if len(fields) < len(order) else order
        if len(fields) != len(order):
            return _cardinal(text, code)
    parts = dict(zip(order, (int(f) for f in fields), strict=True))
    day, month, year = parts.get("d"), parts.get("m"), parts.get("y")
    if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
        return _cardinal(text, code)
    month_name = _MONTHS[code][month - 1] if month is not None else None
    if code == "en":
        year_words = None
        if year is not None:
            year_words = _n2w(year, "en", to="year") if 1000 <= year <= 2999 else _n2w(year, "en")
        day_words = _n2w(day, "en", to="ordinal") if day is not None else None
        if month_name and day_words:
            head = f"{month_name} {day_words}"
            return f"{head}, {year_words}" if year_words else head
        return " ".join(w for w in (day_words, month_name, year_words) if w)
    first = "premier" if code == "fr" else "primeiro"
    day_words = (first if day == 1 else _n2w(day, code)) if day is not None else None
    year_words = _n2w(year, code) if year is not None else None
    joiner = " de " if code == "pt" else " "
    return joiner.join(w for w in (day_words, month_name, year_words) if w)


def say_as(text: str, interpret_as: str, language: str | None, fmt: str | None = None) -> str:
    """``text`` read as ``interpret_as`` (one of :data:`INTERPRETATIONS`) in ``language``; ``fmt``: the
    ``format`` attribute (dates). Raises ``ValueError`` for another ``interpret_as``."""
    kind = interpret_as.strip().lower()
    if kind not in INTERPRETATIONS:
        raise ValueError(f"unknown interpret-as {interpret_as!r}")
    code = number_language(language)
    if kind in ("characters", "spell-out"):
        return _characters(text, code)
    if code is None or code not in _LANGS:
        return text
    if kind == "digits":
        return _digits(text, code)
    if kind == "cardinal":
        return _cardinal(text, code)
    if kind == "ordinal":
        return _ordinal(text, code)
    if kind == "telephone":
        return _telephone(text, code)
    if kind == "time":
        return _cardinal(apply_rules(text, time_rules(code)), code)
    return _date(text, code, fmt)
