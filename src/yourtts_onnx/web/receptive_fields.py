"""Receptive fields of ``flow.onnx`` and ``vocoder.onnx`` measured on the graphs themselves — a fallback for
bundles exported before ``config.json`` recorded ``receptive_fields`` (new exports compute them exactly from the
model's layers, and ``web-export`` uses those).

Output frame ``f`` of a convolutional stage depends on input frames ``[f - left, f + right]``; the same graph
run twice on the same shape computes every output the same way, so a perturbation of input frame ``c`` changes
exactly the outputs ``[c - right, c + left]`` (bit for bit nothing else). A few positions of a random input are
perturbed, the widest reach on each side is kept, and a small margin is added (extra context only costs a
little compute). Frames are widened until the reach stays clear of the edges.
"""

from __future__ import annotations

import numpy as np

from yourtts_onnx.errors import ExportError
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.bundle import GRAPH_FLOW, GRAPH_VOCODER, ReceptiveField
from yourtts_onnx.runtime.graph_catalog import Z_P, Z
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session

MARGIN = 2  # frames added on each side of the measured reach
MAX_FRAMES = 4096


def _steps(out: np.ndarray) -> np.ndarray:
    """``[1, C, T]`` → ``[C, T]``: rows of time steps."""
    arr = np.asarray(out)
    return arr.reshape(-1, arr.shape[-1])


def _reach(run, channels: int, frames: int, upsample: int, seed: int) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
    """Widest (left, right) reach over a few perturbed positions, or ``None`` when it touches an edge."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, channels, frames)).astype(np.float32)
    base = _steps(run(x))
    left = right = 0
    for centre in (frames // 2 - 3, frames // 2, frames // 2 + 5):
        y = x.copy()
        y[:, :, centre] += 1.0
        changed = np.flatnonzero(np.any(_steps(run(y)) != base, axis=0))
        if changed.size == 0:
            continue
        first, last = int(changed[0]) // upsample, int(changed[-1]) // upsample
        if first <= 0 or last >= frames - 1:
            return None
        # outputs [c - right, c + left] changed
        left, right = max(left, last - centre), max(right, centre - first)
    return left, right


def _measure(run, channels: int, upsample: int) -> ReceptiveField:  # type: ignore[no-untyped-def]
    frames = 128
    while frames <= MAX_FRAMES:
        reach = _reach(run, channels, frames, upsample, seed=frames)
        if reach is not None:
            return ReceptiveField(reach[0] + MARGIN, reach[1] + MARGIN)
        frames *= 2
    raise ExportError(f"cannot measure the receptive field: it reaches past {MAX_FRAMES} frames")


def measure_receptive_fields(
    flow: bytes, vocoder: bytes, *, channels: int, embedding_dim: int, hop: int
) -> dict[str, ReceptiveField]:
    """``{"flow", "vocoder", "decoder"}`` measured from the serialised graphs (fp32 or not)."""
    emb = np.random.default_rng(0).standard_normal((1, embedding_dim)).astype(np.float32)
    emb /= np.linalg.norm(emb)
    flow_session = create_session(flow, CPU_OPTIONS)
    vocoder_session = create_session(vocoder, CPU_OPTIONS)

    def run_flow(x: np.ndarray) -> np.ndarray:
        feeds = {
            Z_P: x,
            cat.FRAME_LENGTHS: np.array([x.shape[2]], dtype=np.int64),
            cat.SPEAKER_EMBEDDING: emb,
        }
        return flow_session.run([Z], feeds)[0]

    def run_vocoder(x: np.ndarray) -> np.ndarray:
        return vocoder_session.run([cat.WAVEFORM], {Z: x, cat.SPEAKER_EMBEDDING: emb})[0]

    flow_field = _measure(run_flow, channels, 1)
    vocoder_field = _measure(run_vocoder, channels, hop)
    return {"decoder": flow_field + vocoder_field, GRAPH_FLOW: flow_field, GRAPH_VOCODER: vocoder_field}
