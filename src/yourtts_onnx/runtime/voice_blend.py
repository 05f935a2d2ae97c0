"""Voice blends: a voice written ``name(weight)+name(weight)+…`` is the weighted mean of the voices'
embeddings.

Each term names a voice (a built-in speaker, a saved voice, or a profile path) and an optional weight
(default 1): ``"female-en-5(2)+me(1)"``, ``"a+b"``. Weights are finite numbers in ``(0, 1e6]``; at most
:data:`~.limits.MAX_BLEND_TERMS` terms. The blend is ``Σ wᵢ·eᵢ / Σ wᵢ`` (computed in float64, stored as
float32). The model L2-normalises the speaker embedding before using it, so only the *ratios* of the
weights matter: ``a(2)+b(1)`` and ``a(4)+b(2)`` are the same voice, and a blend speaks exactly as the
embedding ``2·eₐ + e_b`` does.

An expression is a blend when it holds ``+`` or ``(`` (voice names cannot: see
:data:`~.voices.VOICE_NAME`); a single term with a weight (``"a(3)"``) is just that voice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import MAX_BLEND_CHARS, MAX_BLEND_TERMS, MAX_BLEND_WEIGHT

__all__ = ["BlendTerm", "blend_embeddings", "is_blend", "parse_blend"]

_TERM = re.compile(r"^\s*(?P<name>[^()+]*?)\s*(?:\((?P<weight>[^()]*)\))?\s*$")


@dataclass(frozen=True)
class BlendTerm:
    """One voice of a blend and its weight."""

    name: str
    weight: float


def is_blend(voice: object) -> bool:
    """Whether ``voice`` is written as a blend (holds ``+`` or ``(``)."""
    return isinstance(voice, str) and ("+" in voice or "(" in voice)


def _weight(text: str, expression: str, name: str) -> float:
    try:
        weight = float(text)
    except ValueError:
        raise InputError(
            f"voice blend '{expression}': the weight of '{name}' must be a number, got '{text.strip()}'"
        ) from None
    if not math.isfinite(weight) or weight <= 0 or weight > MAX_BLEND_WEIGHT:
        raise InputError(
            f"voice blend '{expression}': the weight of '{name}' must be greater than 0 and at most "
            f"{MAX_BLEND_WEIGHT:g}, got {text.strip()}"
        )
    return weight


def parse_blend(expression: str) -> tuple[BlendTerm, ...]:
    """The terms of ``"name(weight)+name(weight)…"``; an :class:`InputError` names what is wrong."""
    if not isinstance(expression, str):
        raise InputError(f"a voice blend must be a string, got {type(expression).__name__}")
    if len(expression) > MAX_BLEND_CHARS:
        raise InputError(
            f"voice blend is {len(expression)} characters long; at most {MAX_BLEND_CHARS} are taken"
        )
    parts = expression.split("+")
    if len(parts) > MAX_BLEND_TERMS:
        raise InputError(
            f"voice blend '{expression[:80]}' has {len(parts)} terms; at most {MAX_BLEND_TERMS} are taken"
        )
    terms: list[BlendTerm] = []
    for index, part in enumerate(parts, 1):
        match = _TERM.match(part)
        if match is None:
            raise InputError(
                f"voice blend '{expression}': term {index} ('{part.strip()}') is not written name or "
                "name(weight)"
            )
        name = match.group("name")
        if not name:
            raise InputError(f"voice blend '{expression}': term {index} has no voice name")
        weight_text = match.group("weight")
        weight = 1.0 if weight_text is None else _weight(weight_text, expression, name)
        terms.append(BlendTerm(name, weight))
    return tuple(terms)


def blend_embeddings(terms: Sequence[BlendTerm], embedding_of: Callable[[str], np.ndarray]) -> np.ndarray:
    """``Σ wᵢ·eᵢ / Σ wᵢ`` of the terms' embeddings (``embedding_of(name)``), as float32."""
    if not terms:
        raise InputError("a voice blend needs at least one voice")
    vectors = [np.asarray(embedding_of(term.name), dtype=np.float64).reshape(-1) for term in terms]
    shapes = {v.shape for v in vectors}
    if len(shapes) != 1:
        raise InputError("the voices of a blend have embeddings of different sizes")
    weights = np.array([term.weight for term in terms], dtype=np.float64)
    mean = np.tensordot(weights, np.stack(vectors), axes=1) / weights.sum()
    if not np.all(np.isfinite(mean)) or not np.any(mean):
        raise InputError("the voice blend's embedding is all zero (the voices cancel out)")
    return mean.astype(np.float32)
