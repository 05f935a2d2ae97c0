"""Streaming: time to first audio of one sentence, whether later chunks keep ahead of playback, and how
far the stitched chunks are from the whole-sentence output (the seams' error).

Time to first audio is measured from the call (text already tokenised) to the first chunk: text encoder,
duration predictor, and the first decoder window with its context. Without streaming it is the whole
synthesis time. Playback is assumed to start when the first chunk arrives; a chunk is late ("underrun")
when it arrives after the audio before it has finished playing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yourtts_onnx.bench.ort_pipeline import Batch
from yourtts_onnx.bench.quality import snr_db
from yourtts_onnx.bench.timing import Stats
from yourtts_onnx.bench.variants import OnnxVariant, Variant
from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule


@dataclass
class StreamResult:
    first_audio: Stats = field(default_factory=Stats)
    total: Stats = field(default_factory=Stats)
    worst_slack_s: list[float] = field(default_factory=list)  # min over chunks of (deadline - arrival)
    chunks: list[int] = field(default_factory=list)  # samples per chunk
    seam_max_abs: float | None = None
    seam_snr_db: float | None = None
    streaming: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "streaming": self.streaming,
            "first_audio_s": self.first_audio.to_dict(),
            "total_s": self.total.to_dict(),
            "underruns": sum(1 for s in self.worst_slack_s if s < 0),
            "worst_slack_s": min(self.worst_slack_s) if self.worst_slack_s else None,
            "chunk_samples": self.chunks,
            "seam_max_abs": self.seam_max_abs,
            "seam_snr_db": self.seam_snr_db,
        }


def _one_stream(v: OnnxVariant, ids: list[int], emb: np.ndarray, lang: int, scales: np.ndarray,
                schedule: ChunkSchedule, sr: int) -> tuple[float, float, float, list[np.ndarray]]:
    start = time.perf_counter()
    chunks: list[np.ndarray] = []
    arrivals: list[float] = []
    for chunk in v.stream(ids, emb, lang, scales, schedule):
        arrivals.append(time.perf_counter() - start)
        chunks.append(chunk)
    total = time.perf_counter() - start
    played = len(chunks[0]) / sr
    slack = float("inf")  # playback starts with the first chunk: every later chunk must arrive before its turn
    for arrival, chunk in zip(arrivals[1:], chunks[1:], strict=True):
        slack = min(slack, arrivals[0] + played - arrival)
        played += len(chunk) / sr
    return arrivals[0], total, slack, chunks


def run_streaming(
    variants: Mapping[str, Variant], ids: list[int], embedding: np.ndarray, language_id: int,
    scales: np.ndarray, schedule: ChunkSchedule, reps: int, sample_rate: int, pad_id: int,
) -> dict[str, StreamResult]:
    results: dict[str, StreamResult] = {name: StreamResult(streaming=v.streams) for name, v in variants.items()}
    batch = Batch.of([ids], embedding, language_id, pad_id)
    whole = {name: v.synthesize(batch, scales)[0] for name, v in variants.items()}  # warm-up
    for rep in range(reps + 1):
        names = list(variants)
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            v, res = variants[name], results[name]
            if isinstance(v, OnnxVariant) and v.streams:
                first, total, slack, chunks = _one_stream(v, ids, embedding, language_id, scales, schedule, sample_rate)
                if rep == 0:  # warm-up round: keep the seams' error, not the times
                    stitched = np.concatenate(chunks)
                    res.chunks = [len(c) for c in chunks]
                    n = min(len(stitched), len(whole[name]))
                    res.seam_max_abs = float(np.max(np.abs(stitched[:n] - whole[name][:n])))
                    res.seam_snr_db = snr_db(whole[name], stitched)
                    continue
                if math.isfinite(slack):
                    res.worst_slack_s.append(slack)
            else:
                if rep == 0:
                    continue
                start = time.perf_counter()
                v.synthesize(batch, scales)
                first = total = time.perf_counter() - start
            res.first_audio.samples.append(first)
            res.total.samples.append(total)
    return results
