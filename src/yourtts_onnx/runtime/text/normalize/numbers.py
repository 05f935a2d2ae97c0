"""Numbers and currency amounts written out as words for English, French and Portuguese (the last steps
of :func:`~yourtts_onnx.runtime.text.normalize.normalize_text`):

1. currency amounts with ``$``, ``US$``, ``R$``, ``€`` or ``£`` before or after the number
   (``"$5.50"`` → ``"five dollars and fifty cents"``, ``"3 millions €"`` keeps the scale word);
2. ordinals: en ``1st 2nd 3rd 4th``, fr ``1er 1re 1ère 2e 2ème 2nd``, pt ``1º 1ª``;
3. plain numbers with the language's separators: en ``1,234.5``; fr ``1 234,5`` (space, no-break space
   or narrow no-break space between thousands) and ``3.5``; pt ``1.234,5`` and ``3.5``; a leading ``-``
   after a space or at the start reads as minus. English 1100–1999 are read as years
   (``"1963"`` → ``"nineteen sixty-three"``); numbers with leading zeros or more than 12 digits are
   read digit by digit.

Words come from ``num2words`` (imported on first use); its commas are removed so that they do not become
pauses. The other modules of this package use the helpers here to say their numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from yourtts_onnx.errors import MissingDependencyError

from .rewrite import Rule

__all__ = ["SUPPORTED_NUMBER_LANGUAGES", "currency_rules", "number_language", "number_rules"]

SUPPORTED_NUMBER_LANGUAGES: tuple[str, ...] = ("en", "fr", "pt")

_num2words: Callable[..., str] | None = None


def _n2w(value: Any, lang: str, **kwargs: Any) -> str:
    global _num2words
    if _num2words is None:
        try:
            from num2words import num2words
        except ImportError as exc:  # pragma: no cover - num2words is a core dependency
            raise MissingDependencyError(
                "'num2words' is required to read numbers aloud: pip install num2words"
            ) from exc
        _num2words = num2words
    return _num2words(value, lang=lang, **kwargs).replace(",", "")


@dataclass(frozen=True)
class _Currency:
    one: str
    many: str
    cent_one: str
    cent_many: str
    feminine: bool = False  # the number agrees: pt "duas libras"


@dataclass(frozen=True)
class _Lang:
    code: str
    integer: str  # regex for the integer part, thousands separators included
    thousands: str  # characters removed from the integer part
    decimal: str  # regex character class of decimal separators
    minus: str
    percent: str
    conjunction: str  # between units and cents
    currencies: dict[str, _Currency]
    scales: str  # regex of scale words that may follow an amount ("million")
    scale_of: str  # inserted between a large scale word and the currency ("de"), or ""
    large_scales: frozenset[str]


_SPACES = " \u00a0\u202f"

_LANGS: dict[str, _Lang] = {
    "en": _Lang(
        code="en",
        integer=r"\d{1,3}(?:,\d{3})+(?!\d)|\d+",
        thousands=",",
        decimal=r"[.]",
        minus="minus",
        percent="percent",
        conjunction="and",
        currencies={
            "$": _Currency("dollar", "dollars", "cent", "cents"),
            "US$": _Currency("dollar", "dollars", "cent", "cents"),
            "R$": _Currency("real", "reais", "centavo", "centavos"),
            "€": _Currency("euro", "euros", "cent", "cents"),
            "£": _Currency("pound", "pounds", "penny", "pence"),
        },
        scales=r"thousand|million|billion|trillion",
        scale_of="",
        large_scales=frozenset(),
    ),
    "fr": _Lang(
        code="fr",
        integer=rf"\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?!\d)|\d+",
        thousands=_SPACES,
        decimal=r"[,.]",
        minus="moins",
        percent="pour cent",
        conjunction="et",
        currencies={
            "$": _Currency("dollar", "dollars", "cent", "cents"),
            "US$": _Currency("dollar", "dollars", "cent", "cents"),
            "R$": _Currency("réal", "réaux", "centavo", "centavos"),
            "€": _Currency("euro", "euros", "centime", "centimes"),
            "£": _Currency("livre", "livres", "penny", "pence"),
        },
        scales=r"mille|millions?|milliards?",
        scale_of="de",
        large_scales=frozenset({"million", "millions", "milliard", "milliards"}),
    ),
    "pt": _Lang(
        code="pt",
        integer=r"\d{1,3}(?:\.\d{3})+(?!\d)|\d+",
        thousands=".",
        decimal=r"[,.]",
        minus="menos",
        percent="por cento",
        conjunction="e",
        currencies={
            "$": _Currency("dólar", "dólares", "centavo", "centavos"),
            "US$": _Currency("dólar", "dólares", "centavo", "centavos"),
            "R$": _Currency("real", "reais", "centavo", "centavos"),
            "€": _Currency("euro", "euros", "cêntimo", "cêntimos"),
            "£": _Currency("libra", "libras", "pêni", "pence", feminine=True),
        },
        scales=r"mil|milhão|milhões|bilhão|bilhões",
        scale_of="de",
        large_scales=frozenset({"milhão", "milhões", "bilhão", "bilhões"}),
    ),
}

_CURRENCY = r"US\$|R\$|\$|€|£"


def number_language(language: str | None) -> str | None:
    """The ``num2words`` language used for ``language`` (``"pt-br"`` → ``"pt"``), or ``None``."""
    if not language:
        return None
    primary = language.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in _LANGS else None


@dataclass(frozen=True)
class _Patterns:
    currency_before: re.Pattern[str]
    currency_after: re.Pattern[str]
    ordinal: re.Pattern[str]
    number: re.Pattern[str]


def _number_re(lang: _Lang, sign: bool) -> str:
    sign_part = r"(?P<sign>(?<![\w\-])-)?" if sign else ""
    return rf"{sign_part}(?<![\d])(?P<int>{lang.integer})(?:{lang.decimal}(?P<frac>\d+))?(?!\d)"


_ORDINALS = {
    "en": r"(?<!\d)(?P<n>\d+)(?P<suf>st|nd|rd|th)\b",
    "fr": r"(?<!\d)(?P<n>\d+)(?P<suf>ème|eme|ère|ere|er|re|nde|nd|e|è)\b",
    "pt": r"(?<!\d)(?P<n>\d+)\.?(?P<suf>[ºª])",
}


def _patterns(lang: _Lang) -> _Patterns:
    cached = _PATTERN_CACHE.get(lang.code)
    if cached is not None:
        return cached
    num = _number_re(lang, sign=False)
    scale = rf"(?:\s+(?P<scale>{lang.scales})\b)?"
    pats = _Patterns(
        currency_before=re.compile(rf"(?P<cur>{_CURRENCY})\s?{num}{scale}", re.IGNORECASE),
        currency_after=re.compile(rf"{num}{scale}\s?(?P<cur>{_CURRENCY})", re.IGNORECASE),
        ordinal=re.compile(_ORDINALS[lang.code], re.IGNORECASE),
        number=re.compile(_number_re(lang, sign=True)),
    )
    _PATTERN_CACHE[lang.code] = pats
    return pats


_PATTERN_CACHE: dict[str, _Patterns] = {}


def _digits(lang: _Lang, integer: str) -> str:
    return "".join(ch for ch in integer if ch not in lang.thousands)


_MAX_CARDINAL_DIGITS = 12  # longer digit strings (ids, card numbers) are read digit by digit


def _spell_digits(digits: str, lang: _Lang) -> str:
    return " ".join(_n2w(int(d), lang.code) for d in digits)


def _say_integer(digits: str, lang: _Lang, *, as_year: bool = False) -> str:
    if (len(digits) > 1 and digits.startswith("0")) or len(digits) > _MAX_CARDINAL_DIGITS:
        return _spell_digits(digits, lang)
    value = int(digits)
    try:
        if as_year and lang.code == "en" and 1100 <= value <= 1999:
            return _n2w(value, "en", to="year")
        return _n2w(value, lang.code)
    except (OverflowError, ValueError, NotImplementedError):
        return _spell_digits(digits, lang)


def _say_number(
    integer: str, frac: str | None, lang: _Lang, *, negative: bool = False, allow_year: bool = False
) -> str:
    digits = _digits(lang, integer)
    if frac is None:
        as_year = allow_year and integer == digits and not negative and len(digits) == 4
        words = _say_integer(digits, lang, as_year=as_year)
    else:
        try:
            words = _n2w(Decimal(f"{int(digits)}.{frac}"), lang.code)
        except (InvalidOperation, OverflowError, ValueError, NotImplementedError):
            words = f"{_say_integer(digits, lang)} {_spell_digits(frac, lang)}"
    return f"{lang.minus} {words}" if negative else words


def _pad(match: re.Match[str], words: str) -> str:
    """Keep words apart from letters glued to the number ("mp3" → "mp three")."""
    text = match.string
    start, end = match.span()
    if start > 0 and text[start - 1].isalpha():
        words = " " + words
    if end < len(text) and text[end].isalnum():
        words = words + " "
    return words


def _feminine(words: str, code: str) -> str:
    """The number agreeing with a feminine noun: fr "une heure", pt "uma hora", "vinte e duas horas"."""
    if code == "fr":
        return words[:-2] + "une" if words == "un" or words.endswith((" un", "-un")) else words
    if code == "pt":
        parts = words.split(" ")
        parts[-1] = {"um": "uma", "dois": "duas"}.get(parts[-1], parts[-1])
        return " ".join(parts)
    return words


def _currency(match: re.Match[str], lang: _Lang) -> str:
    cur = lang.currencies[match.group("cur").upper()]
    digits = _digits(lang, match.group("int"))
    frac = match.group("frac")
    scale = match.group("scale")
    if scale:
        amount = _say_number(match.group("int"), frac, lang)
        if lang.scale_of and scale.lower() in lang.large_scales:
            elide = lang.code == "fr" and cur.many[0] in "aeiouéè"
            of = "d'" if elide else f"{lang.scale_of} "
            return _pad(match, f"{amount} {scale} {of}{cur.many}")
        return _pad(match, f"{amount} {scale} {cur.many}")
    if frac is not None and len(frac) not in (1, 2):
        return _pad(match, f"{_say_number(match.group('int'), frac, lang)} {cur.many}")
    units = int(digits)
    cents = 0 if frac is None else int(frac.ljust(2, "0"))
    parts: list[str] = []
    if units or not cents:
        singular = units == 1 or (lang.code == "fr" and units == 0)
        amount = _say_integer(digits, lang)
        if cur.feminine:
            amount = _feminine(amount, lang.code)
        parts.append(f"{amount} {cur.one if singular else cur.many}")
    if cents:
        parts.append(f"{_n2w(cents, lang.code)} {cur.cent_one if cents == 1 else cur.cent_many}")
    return _pad(match, f" {lang.conjunction} ".join(parts))


def _ordinal(match: re.Match[str], lang: _Lang) -> str:
    n = int(match.group("n"))
    suffix = match.group("suf").lower()
    try:
        if lang.code == "fr" and n == 1 and suffix in ("re", "ère", "ere"):
            words = "première"
        elif lang.code == "fr" and n == 2 and suffix in ("nd", "nde"):
            words = "second" if suffix == "nd" else "seconde"
        else:
            words = _n2w(n, lang.code, to="ordinal")
            if lang.code == "pt" and suffix == "ª":
                words = " ".join(w[:-1] + "a" if w.endswith("o") else w for w in words.split(" "))
    except (OverflowError, ValueError, NotImplementedError):
        return match.group(0)
    return _pad(match, words)


def _plain_number(match: re.Match[str], lang: _Lang) -> str:
    negative = bool(match.group("sign"))
    return _pad(
        match, _say_number(match.group("int"), match.group("frac"), lang, negative=negative, allow_year=True)
    )


def currency_rules(code: str) -> tuple[Rule, ...]:
    """Currency amounts, symbol before then after the number."""
    lang = _LANGS[code]
    pats = _patterns(lang)
    return (
        Rule("currency", pats.currency_before, lambda m: _currency(m, lang)),
        Rule("currency", pats.currency_after, lambda m: _currency(m, lang)),
    )


def number_rules(code: str) -> tuple[Rule, ...]:
    """Ordinals, then plain numbers (the last steps: whatever digits are left)."""
    lang = _LANGS[code]
    pats = _patterns(lang)
    return (
        Rule("ordinal", pats.ordinal, lambda m: _ordinal(m, lang)),
        Rule("number", pats.number, lambda m: _plain_number(m, lang)),
    )
