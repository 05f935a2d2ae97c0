"""Units and percentages after a number: ``"5 km"`` → "five kilometers", ``"2,5 kg"`` (fr) → "deux virgule
cinq kilogrammes", ``"-3 °C"`` → "minus three degrees Celsius", ``"12 %"`` → "douze pour cent".

The singular is used for exactly one (en, pt) and below two (fr); percentages never change.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .numbers import _LANGS, _digits, _number_re, _pad, _say_number
from .rewrite import Rule

__all__ = ["UNITS", "unit_rules"]

# symbol → (singular, plural) per language
UNITS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "km/h": ("kilometer per hour", "kilometers per hour"),
        "mph": ("mile per hour", "miles per hour"),
        "km": ("kilometer", "kilometers"),
        "m": ("meter", "meters"),
        "cm": ("centimeter", "centimeters"),
        "mm": ("millimeter", "millimeters"),
        "kg": ("kilogram", "kilograms"),
        "g": ("gram", "grams"),
        "mg": ("milligram", "milligrams"),
        "l": ("liter", "liters"),
        "ml": ("milliliter", "milliliters"),
        "°c": ("degree Celsius", "degrees Celsius"),
        "°f": ("degree Fahrenheit", "degrees Fahrenheit"),
        "°": ("degree", "degrees"),
        "%": ("percent", "percent"),
    },
    "fr": {
        "km/h": ("kilomètre par heure", "kilomètres par heure"),
        "mph": ("mile par heure", "miles par heure"),
        "km": ("kilomètre", "kilomètres"),
        "m": ("mètre", "mètres"),
        "cm": ("centimètre", "centimètres"),
        "mm": ("millimètre", "millimètres"),
        "kg": ("kilogramme", "kilogrammes"),
        "g": ("gramme", "grammes"),
        "mg": ("milligramme", "milligrammes"),
        "l": ("litre", "litres"),
        "ml": ("millilitre", "millilitres"),
        "°c": ("degré Celsius", "degrés Celsius"),
        "°f": ("degré Fahrenheit", "degrés Fahrenheit"),
        "°": ("degré", "degrés"),
        "%": ("pour cent", "pour cent"),
    },
    "pt": {
        "km/h": ("quilômetro por hora", "quilômetros por hora"),
        "mph": ("milha por hora", "milhas por hora"),
        "km": ("quilômetro", "quilômetros"),
        "m": ("metro", "metros"),
        "cm": ("centímetro", "centímetros"),
        "mm": ("milímetro", "milímetros"),
        "kg": ("quilograma", "quilogramas"),
        "g": ("grama", "gramas"),
        "mg": ("miligrama", "miligramas"),
        "l": ("litro", "litros"),
        "ml": ("mililitro", "mililitros"),
        "°c": ("grau Celsius", "graus Celsius"),
        "°f": ("grau Fahrenheit", "graus Fahrenheit"),
        "°": ("grau", "graus"),
        "%": ("por cento", "por cento"),
    },
}

# longest symbols first, so "km/h" wins over "km" and "°C" over "°"
_SYMBOLS = sorted(UNITS["en"], key=len, reverse=True)
_UNIT_RE = "|".join(re.escape(s) for s in _SYMBOLS)


def _unit(match: re.Match[str], code: str) -> str:
    lang = _LANGS[code]
    integer, frac = match.group("int"), match.group("frac")
    value = Decimal(f"{_digits(lang, integer)}.{frac or 0}")
    singular = value < 2 if code == "fr" else (value == 1 and frac is None)
    one, many = UNITS[code][match.group("unit").lower()]
    number = _say_number(integer, frac, lang, negative=bool(match.group("sign")))
    return _pad(match, f"{number} {one if singular else many}")


def unit_rules(code: str) -> tuple[Rule, ...]:
    """The unit rule of a number language (percentages included)."""
    lang = _LANGS[code]
    pattern = re.compile(
        rf"{_number_re(lang, sign=True)}[ \u00a0\u202f]?(?P<unit>{_UNIT_RE})(?![\w/])", re.IGNORECASE
    )
    return (Rule("unit", pattern, lambda m: _unit(m, code)),)
