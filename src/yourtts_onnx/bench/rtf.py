"""Real-time factor of every variant over short/medium/long texts at several batch sizes.

RTF = wall time / seconds of audio produced (all items of the batch). Per case, the variants are timed
round-robin (:func:`timing.interleaved`); the untimed first call of each variant doubles as the warm-up
and gives the outputs the quality section compares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yourtts_onnx.bench.ort_pipeline import Batch
from yourtts_onnx.bench.timing import interleaved
from yourtts_onnx.bench.variants import Variant

Progress = Callable[[str], None]


@dataclass
class Case:
    text_class: str
    batch_size: int
    texts: list[str]
    tokens: list[int]
    audio_s: float = 0.0
    rtf: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text_class": self.text_class, "batch_size": self.batch_size, "texts": self.texts,
            "tokens": self.tokens, "audio_s": self.audio_s, "rtf": self.rtf, "seconds": self.seconds,
        }


def make_batches(
    texts: Mapping[str, Sequence[str]], batch_sizes: Sequence[int], encode: Callable[[str], list[int]],
    embedding: np.ndarray, language_id: int, pad_id: int,
) -> list[tuple[Case, Batch]]:
    out = []
    for cls, pool in texts.items():
        for bs in batch_sizes:
            chosen = [pool[i % len(pool)] for i in range(bs)]
            ids = [encode(t) for t in chosen]
            out.append((Case(cls, bs, chosen, [len(i) for i in ids]), Batch.of(ids, embedding, language_id, pad_id)))
    return out


def run_rtf(
    variants: Mapping[str, Variant], cases: list[tuple[Case, Batch]], scales: np.ndarray, reps: int,
    reference: str, sample_rate: int, progress: Progress,
) -> tuple[list[Case], dict[tuple[str, int], dict[str, list[np.ndarray]]]]:
    """Returns the cases with their RTF stats and, per (text class, batch size), each variant's outputs."""
    outputs: dict[tuple[str, int], dict[str, list[np.ndarray]]] = {}
    for case, batch in cases:
        progress(f"RTF: {case.text_class} x{case.batch_size} ({sum(case.tokens)} ids)")
        outs = {name: v.synthesize(batch, scales) for name, v in variants.items()}  # warm-up + outputs
        outputs[(case.text_class, case.batch_size)] = outs
        case.audio_s = sum(len(w) for w in outs[reference]) / sample_rate
        runs = {name: (lambda v=v, b=batch: v.synthesize(b, scales)) for name, v in variants.items()}
        stats = interleaved(runs, reps, warmup=0)
        for name, st in stats.items():
            case.seconds[name] = st.to_dict()
            case.rtf[name] = st.to_dict(1.0 / case.audio_s)
    return [c for c, _ in cases], outputs
