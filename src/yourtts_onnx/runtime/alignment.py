"""Host-side glue between the component graphs: durations → frames → prior statistics per frame.

``text_encoder.onnx`` and ``duration_predictor.onnx`` give per-token statistics and log-durations;
``decoder.onnx`` wants per-frame statistics. This is the same arithmetic the end-to-end graph does
inside (ceil of the scaled durations, at least one frame per item, each token's mean and log-std
repeated over its frames, zero padding after the last frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FramePrior:
    m_p: np.ndarray  # [B, C, F] float32
    logs_p: np.ndarray  # [B, C, F] float32
    frame_lengths: np.ndarray  # [B] int64
    durations: np.ndarray  # [B, T] int64 frames per token


def frame_durations(log_durations: np.ndarray, text_mask: np.ndarray, length_scale: float) -> np.ndarray:
    """``ceil(exp(log_durations) * mask * length_scale)`` as int64 ``[B, T]`` (float32 arithmetic, as in the graph)."""
    w = np.exp(log_durations.astype(np.float32)) * text_mask.astype(np.float32) * np.float32(length_scale)
    return np.ceil(w[:, 0, :]).astype(np.int64)


def expand_prior(
    log_durations: np.ndarray, text_mask: np.ndarray, m_p: np.ndarray, logs_p: np.ndarray, length_scale: float
) -> FramePrior:
    durations = frame_durations(log_durations, text_mask, length_scale)
    frame_lengths = np.maximum(durations.sum(axis=1), 1)
    batch, channels, _ = m_p.shape
    longest = int(frame_lengths.max())
    out_m = np.zeros((batch, channels, longest), dtype=np.float32)
    out_s = np.zeros((batch, channels, longest), dtype=np.float32)
    for b in range(batch):
        reps = durations[b]
        n = int(reps.sum())
        if n:
            out_m[b, :, :n] = np.repeat(m_p[b], reps, axis=1)
            out_s[b, :, :n] = np.repeat(logs_p[b], reps, axis=1)
    return FramePrior(out_m, out_s, frame_lengths.astype(np.int64), durations)
