"""Streaming through the API: ``Synthesizer.stream`` on one sentence — time to first audio, whether later
chunks keep ahead of playback, and how far the stitched chunks are from ``Synthesizer.synthesize`` (the seams'
error).

Time to first audio runs from the ``stream`` call (planning, voice and checks included) to the first chunk.
A backend that cannot stream within sentences (``Synthesizer.streams`` false: ``model.onnx``, or a bundle
without receptive fields) yields the whole sentence as its first chunk. Playback starts when the first chunk
arrives; a chunk is late (an underrun) when it arrives after the audio before it has finished playing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yourtts_onnx.bench.engines import ApiEngine
from yourtts_onnx.bench.timing import Stats
from yourtts_onnx.runtime.similarity import snr_db


@dataclass
class StreamResult:
    streams: bool
    first_audio: Stats = field(default_factory=Stats)
    total: Stats = field(default_factory=Stats)
    slack_s: list[float] = field(default_factory=list)  # per run: min over chunks of (deadline - arrival)
    chunks: list[int] = field(default_factory=list)  # samples per chunk (first run)
    seam_max_abs: float | None = None
    seam_snr_db: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "streams": self.streams,
            "first_audio_s": self.first_audio.to_dict(),
            "total_s": self.total.to_dict(),
            "underruns": sum(1 for s in self.slack_s if s < 0),
            "worst_slack_s": min(self.slack_s) if self.slack_s else None,
            "chunk_samples": self.chunks,
            "seam_max_abs": self.seam_max_abs,
            "seam_snr_db": self.seam_snr_db,
        }


def one_stream(
    engine: ApiEngine, text: str, sample_rate: int
) -> tuple[float, float, float | None, list[np.ndarray]]:
    """(first chunk s, total s, worst slack s or None with one chunk, the chunks)."""
    start = time.perf_counter()
    arrivals: list[float] = []
    chunks: list[np.ndarray] = []
    for chunk in engine.stream(text):
        arrivals.append(time.perf_counter() - start)
        chunks.append(chunk)
    total = time.perf_counter() - start
    played = arrivals[0] + len(chunks[0]) / sample_rate  # when the audio received so far ends
    slack: float | None = None
    for arrival, chunk in zip(arrivals[1:], chunks[1:], strict=True):
        slack = played - arrival if slack is None else min(slack, played - arrival)
        played = max(played, arrival) + len(chunk) / sample_rate
    return arrivals[0], total, slack, chunks


def run_streaming(
    engines: Mapping[str, ApiEngine], text: str, reps: int, sample_rate: int
) -> dict[str, StreamResult]:
    """Round-robin over the engines; the first (untimed) round keeps each engine's seam error against its
    own ``synthesize`` of the same text."""
    results = {name: StreamResult(streams=e.streams) for name, e in engines.items()}
    names = list(engines)
    for rep in range(reps + 1):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            engine, res = engines[name], results[name]
            first, total, slack, chunks = one_stream(engine, text, sample_rate)
            if rep == 0:
                whole = engine.synthesize(text)
                stitched = np.concatenate(chunks)
                res.chunks = [len(c) for c in chunks]
                n = min(len(stitched), len(whole))
                res.seam_max_abs = float(np.max(np.abs(stitched[:n] - whole[:n]))) if n else 0.0
                if len(stitched) != len(whole):
                    res.seam_max_abs = float("inf")
                res.seam_snr_db = snr_db(whole, stitched)
                continue
            res.first_audio.samples.append(first)
            res.total.samples.append(total)
            if slack is not None:
                res.slack_s.append(slack)
    return results
