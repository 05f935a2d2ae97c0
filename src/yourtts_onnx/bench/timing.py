"""Interleaved timing: every repetition runs every variant once, in a rotated order, so slow phases of a
noisy machine hit all variants alike. Medians and min/max are reported; ratios are taken between
medians measured in the same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: seconds of pause before each timed call when engines of different runtimes share the process: their idle
#: threads keep spinning for a while after a call (ONNX Runtime's default, which Piper and sherpa-onnx use;
#: OpenMP's in PyTorch) and take the cores from whatever runs next. Measured: our INT8 short-text synthesis
#: took 104 ms right after a Piper call, 80 ms after a 50 ms pause, 80 ms after one of our own calls (ours stop
#: spinning at the end of each run: ``runtime.session``)
SETTLE_S = 0.1


@dataclass
class Stats:
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def min(self) -> float:
        return min(self.samples) if self.samples else float("nan")

    @property
    def max(self) -> float:
        return max(self.samples) if self.samples else float("nan")

    def to_dict(self, scale: float = 1.0) -> dict[str, Any]:
        return {
            "median": self.median * scale,
            "min": self.min * scale,
            "max": self.max * scale,
            "samples": [s * scale for s in self.samples],
        }


def interleaved(
    runs: Mapping[str, Callable[[], Any]], reps: int, *, warmup: int = 1, settle: float = 0.0
) -> dict[str, Stats]:
    """Time each callable ``reps`` times, round-robin with a rotating start; ``warmup`` untimed calls first;
    ``settle``: seconds of untimed pause before each timed call (:data:`SETTLE_S` where runtimes are mixed)."""
    names = list(runs)
    for _ in range(warmup):
        for name in names:
            runs[name]()
    stats = {name: Stats() for name in names}
    for rep in range(reps):
        order = names[rep % len(names) :] + names[: rep % len(names)] if names else []
        for name in order:
            if settle:
                time.sleep(settle)
            start = time.perf_counter()
            runs[name]()
            stats[name].samples.append(time.perf_counter() - start)
    return stats
