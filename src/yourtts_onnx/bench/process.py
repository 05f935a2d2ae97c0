"""Cold start and peak RSS, each measured in a fresh interpreter (:mod:`yourtts_onnx.bench.probe`)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from yourtts_onnx.bench.probe import run_probe

Progress = Callable[[str], None]


@dataclass
class ProbeConfig:
    label: str
    bundle: str
    mode: str
    extra: list[str] = field(default_factory=list)


def _summary(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    values = [r[key] for r in runs]
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "samples": values}


def cold_starts(
    configs: Sequence[ProbeConfig], text: str, threads: int, reps: int, progress: Progress, *, warmup: bool = True
) -> dict[str, dict[str, Any]]:
    """Process start → first sample, ``reps`` times per config (round-robin after one untimed run each,
    which also fills the OS page cache and any saved-optimised-graph cache)."""
    for c in configs if warmup else ():
        run_probe("cold", c.bundle, c.mode, text, threads=threads, extra=c.extra)
    runs: dict[str, list[dict[str, Any]]] = {c.label: [] for c in configs}
    for rep in range(reps):
        order = list(configs[rep % len(configs) :]) + list(configs[: rep % len(configs)])
        for c in order:
            runs[c.label].append(run_probe("cold", c.bundle, c.mode, text, threads=threads, extra=c.extra))
    out = {}
    for c in configs:
        r = runs[c.label]
        out[c.label] = {
            "bundle": c.bundle, "mode": c.mode, "extra": c.extra,
            **{k: _summary(r, k) for k in ("cold_s", "interpreter_s", "imports_s", "sessions_s", "first_audio_s")},
        }
        progress(f"cold start {c.label}: {out[c.label]['cold_s']['median']:.3f} s")
    return out


def peak_rss(configs: Sequence[ProbeConfig], text: str, threads: int, progress: Progress) -> dict[str, dict[str, Any]]:
    out = {}
    for c in configs:
        r = run_probe("rss", c.bundle, c.mode, text, threads=threads, extra=c.extra)
        out[c.label] = {"bundle": c.bundle, "mode": c.mode, "extra": c.extra, "maxrss_mb": r["maxrss_mb"],
                        "samples": r["samples"]}
        progress(f"peak RSS {c.label}: {r['maxrss_mb']:.0f} MB")
    return out
