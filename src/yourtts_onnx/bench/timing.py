"""Interleaved timing: every repetition runs every variant once, in a rotated order, so slow phases of a
noisy machine hit all variants alike. Medians and min/max are reported; ratios are taken between
medians measured in the same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


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
    """Time each callable ``reps`` times, round-robin with a rotating start; ``warmup`` untimed calls first."""
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
