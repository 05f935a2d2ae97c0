"""Real-time factor of every engine over short/medium/long texts.

RTF = wall time of one call / seconds of audio it returned. Per text, the engines are timed round-robin
(:func:`timing.interleaved`); an untimed first call of each engine is the warm-up and gives the outputs the
quality section compares. Ratios between engines are ratios of medians measured in the same run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from yourtts_onnx.bench.engines import Engine
from yourtts_onnx.bench.timing import SETTLE_S, interleaved

Progress = Callable[[str], None]
Outputs = dict[str, dict[str, np.ndarray]]  # text class → engine label → samples


def run_rtf(
    engines: Mapping[str, Engine], texts: Mapping[str, str], reps: int, sample_rate: int, progress: Progress
) -> tuple[list[dict[str, Any]], Outputs]:
    """One case per text class: each engine's audio length, seconds and RTF (median/min/max/samples)."""
    cases: list[dict[str, Any]] = []
    outputs: Outputs = {}
    for text_class, text in texts.items():
        progress(f"RTF: {text_class} ({len(text.split())} words)")
        outs = {name: e.synthesize(text) for name, e in engines.items()}  # warm-up, and the outputs
        outputs[text_class] = outs
        stats = interleaved(
            {name: (lambda e=e, t=text: e.synthesize(t)) for name, e in engines.items()},
            reps,
            warmup=0,
            settle=SETTLE_S,  # PyTorch's OpenMP threads spin on after its calls
        )
        per: dict[str, Any] = {}
        for name, st in stats.items():
            audio_s = len(outs[name]) / sample_rate
            per[name] = {
                "audio_s": audio_s,
                "samples": len(outs[name]),
                "seconds": st.to_dict(),
                "rtf": st.to_dict(1.0 / audio_s) if audio_s else None,
            }
        cases.append({"text_class": text_class, "text": text, "words": len(text.split()), "engines": per})
    return cases, outputs


def ratio_of_medians(cases: list[dict[str, Any]], test: str, reference: str) -> list[float]:
    """``seconds(test) / seconds(reference)`` per case (medians of the same run; > 1: test is slower)."""
    return [
        c["engines"][test]["seconds"]["median"] / c["engines"][reference]["seconds"]["median"]
        for c in cases
        if test in c["engines"] and reference in c["engines"]
    ]
