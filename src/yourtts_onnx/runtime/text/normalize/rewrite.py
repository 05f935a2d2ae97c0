"""The one way a normalisation rule changes text: a regex and a function from its match to the words.

Every step of :func:`~yourtts_onnx.runtime.text.normalize.normalize_text` (lexicon, abbreviations, times,
telephone numbers, currencies, units, ordinals, numbers) is a :class:`Rule` applied by :func:`substitute`,
so that anything that must follow text through normalisation wraps this single function: it is
:func:`~yourtts_onnx.runtime.text.spans.rewrite`, which also takes a
:class:`~yourtts_onnx.runtime.text.spans.TrackedText` and then keeps every output character's input offsets
(word timestamps). A new rule gets them for free by being a :class:`Rule`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..spans import T, rewrite

__all__ = ["Replacement", "Rule", "apply_rules", "substitute"]

Replacement = Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class Rule:
    """One substitution: every non-overlapping match of ``pattern`` becomes ``replace(match)``."""

    name: str
    pattern: re.Pattern[str]
    replace: Replacement


def substitute(text: T, pattern: re.Pattern[str], replace: Replacement) -> T:
    """``text`` with every match of ``pattern`` replaced by ``replace(match)`` (left to right); a ``str`` or
    a :class:`~yourtts_onnx.runtime.text.spans.TrackedText` (whose spans follow the replacements)."""
    return rewrite(text, pattern, replace)


def apply_rules(text: T, rules: Iterable[Rule]) -> T:
    """``text`` after each rule in order, each through :func:`substitute`."""
    for rule in rules:
        text = substitute(text, rule.pattern, rule.replace)
    return text
