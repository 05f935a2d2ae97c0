"""Text normalisation for English, French and Portuguese (not part of Coqui's cleaner): what is written
in digits and abbreviations, read as people say it.

The YourTTS character set has no digits, so Coqui silently drops them (``"Prior to November 22, 1963."``
is spoken as ``"prior to november , ."``). :func:`normalize_text` rewrites the text before cleaning, in
this order (each step is a list of regex :class:`~.rewrite.Rule` applied by :func:`~.rewrite.substitute`):

0. the pronunciation lexicon, when one is given (:mod:`~yourtts_onnx.runtime.text.lexicon`; any language);
1. abbreviations (:mod:`.abbreviations`): ``Dr. Smith`` → ``Doctor Smith``, ``M. Dupont``, ``Sra. Silva``;
2. English years in context and decades (:mod:`.years`): ``in 2024``, ``the 1990s``;
3. clock times (:mod:`.times`): ``14:30``, ``3:45 pm``, ``14h30``;
4. telephone numbers, digit by digit (:mod:`.telephone`);
5. currency amounts (:mod:`.numbers`): ``$5.50``, ``3,50 €``, ``R$ 5,50``, ``£2``;
6. units and percentages (:mod:`.units`): ``5 km``, ``-3 °C``, ``12 %``;
7. ordinals, then every number left (:mod:`.numbers`), with the language's separators (fr/pt decimal
   commas); English 1100–1999 read as years.

Language codes are reduced to their primary subtag (``"fr-fr"`` → ``"fr"``, ``"pt-br"`` → ``"pt"``); other
languages are returned unchanged. Steps 2–7 run only when the text has a digit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spans import T
from .abbreviations import abbreviation_rules
from .numbers import SUPPORTED_NUMBER_LANGUAGES, currency_rules, number_language, number_rules
from .rewrite import Rule, apply_rules, substitute
from .telephone import telephone_rules
from .times import time_rules
from .units import unit_rules
from .years import year_rules

if TYPE_CHECKING:
    from yourtts_onnx.runtime.text.lexicon import Lexicon

__all__ = [
    "SUPPORTED_NUMBER_LANGUAGES",
    "Rule",
    "normalization_rules",
    "normalize_numbers",
    "normalize_text",
    "number_language",
    "substitute",
]

_RULES: dict[str, tuple[tuple[Rule, ...], tuple[Rule, ...]]] = {}


def _rules(code: str) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    """The word rules and the digit rules of ``code``, built once. Servers call this from many threads:
    both tables go into the cache in one assignment, so no thread sees one without the other (a second
    thread that misses builds them again, the same result)."""
    rules = _RULES.get(code)
    if rules is None:
        digits = (
            *year_rules(code),
            *time_rules(code),
            *telephone_rules(code),
            *currency_rules(code),
            *unit_rules(code),
            *number_rules(code),
        )
        rules = _RULES[code] = (abbreviation_rules(code), digits)
    return rules


def normalization_rules(language: str | None) -> tuple[Rule, ...]:
    """Every rule :func:`normalize_text` applies for ``language``, in order (``()`` for other languages)."""
    code = number_language(language)
    if code is None:
        return ()
    words, digits = _rules(code)
    return (*words, *digits)


def normalize_text(text: T, language: str | None, lexicon: Lexicon | None = None) -> T:
    """``text`` with the ``lexicon``'s words, then abbreviations, times, telephone numbers, amounts, units
    and numbers written out as words for ``language`` (en, fr, pt; other languages: the lexicon only).

    ``text`` is a ``str`` or a :class:`~yourtts_onnx.runtime.text.spans.TrackedText` (the result keeps
    every character's input offsets: every rule goes through :func:`~.rewrite.substitute`)."""
    if lexicon is not None:
        rule = lexicon.rule(language)
        if rule is not None:
            text = apply_rules(text, (rule,))
    code = number_language(language)
    if code is None:
        return text
    words, digits = _rules(code)
    text = apply_rules(text, words)
    if any(ch.isdigit() for ch in str(text)):
        text = apply_rules(text, digits)
    return text


# The historical name: the same function.
normalize_numbers = normalize_text
