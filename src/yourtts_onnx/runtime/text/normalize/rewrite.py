"""The one way a normalisation rule changes text: a regex and a function from its match to the words.

Every step of :func:`~yourtts_onnx.runtime.text.normalize.normalize_text` (lexicon, abbreviations, times,
telephone numbers, currencies, units, ordinals, numbers) is a :class:`Rule` applied by :func:`substitute`,
so that anything that must follow text through normalisation (e.g. mapping output characters back to the
input) wraps this single function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Replacement", "Rule", "apply_rules", "substitute"]

Replacement = Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class Rule:
    """One substitution: every non-overlapping match of ``pattern`` becomes ``replace(match)``."""

    name: str
    pattern: re.Pattern[str]
    replace: Replacement


def substitute(text: str, pattern: re.Pattern[str], replace: Replacement) -> str:
    """``text`` with every match of ``pattern`` replaced by ``replace(match)`` (left to right)."""
    return pattern.sub(replace, text)


def apply_rules(text: str, rules: Iterable[Rule]) -> str:
    """``text`` after each rule in order, each through :func:`substitute`."""
    for rule in rules:
        text = substitute(text, rule.pattern, rule.replace)
    return text
