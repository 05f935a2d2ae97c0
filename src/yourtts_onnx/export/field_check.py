"""Check recorded receptive fields by decoding in windows: windows with that much context must reproduce
whole-sentence decoding, for ``decoder.onnx`` alone and for ``flow.onnx`` then ``vocoder.onnx``.

A window of frames ``[a, b)`` is decoded from the input frames ``[a - left, b + right)`` (clipped to the
sentence) and only the output of ``[a, b)`` is kept; windows of a few frames, smaller than the fields, make
every output frame depend on context. The latent is random (the graphs run on any latent): ``z_p`` standard
normal, the decoder fed ``m_p = z_p``, ``logs_p = 0`` and noise scale 0, as a streaming host does. A field
one frame too small shows at the seams; a correct one leaves only float rounding.

Torch-free: numpy and ONNX Runtime. The result is a :class:`~yourtts_onnx.export.verify.GraphReport`
(graph ``receptive_fields``), collected with the other verification reports of an export.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yourtts_onnx.export.verify import CaseResult, GraphReport, snr_db
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.bundle import GRAPH_DECODER, GRAPH_FLOW, GRAPH_VOCODER, ReceptiveField
from yourtts_onnx.runtime.graph_catalog import Z_P, Z
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session, run_session

REPORT_NAME = "receptive_fields"
#: (frames, window frames): a short sentence with tiny windows and a longer one with wider windows
CASES: tuple[tuple[int, int], ...] = ((29, 3), (96, 10))
ATOL = 1e-5

Run = Callable[[np.ndarray], np.ndarray]  # [1, C, W] → [1, C', W * upsample]


@dataclass(frozen=True)
class Stage:
    name: str
    run: Run
    field: ReceptiveField
    upsample: int = 1


def decode_in_windows(stages: Sequence[Stage], x: np.ndarray, window: int) -> np.ndarray:
    """Run ``stages`` (in order) over windows of ``window`` frames of ``x [1, C, F]`` with each stage's
    context, and concatenate the kept outputs along time."""
    total = x.shape[2]
    pieces = []
    for start in range(0, total, window):
        end = min(total, start + window)
        ranges: list[tuple[int, int]] = []  # the input frames each stage needs, last stage first
        lo, hi = start, end
        for stage in reversed(stages):
            lo, hi = max(0, lo - stage.field.left), min(total, hi + stage.field.right)
            ranges.append((lo, hi))
        ranges.reverse()
        y = np.ascontiguousarray(x[:, :, ranges[0][0] : ranges[0][1]])
        for i, stage in enumerate(stages):
            lo, hi = ranges[i]
            keep_lo, keep_hi = ranges[i + 1] if i + 1 < len(stages) else (start, end)
            out = stage.run(y)
            k = stage.upsample
            y = np.ascontiguousarray(out[:, :, (keep_lo - lo) * k : (keep_hi - lo) * k])
        pieces.append(y)
    return np.concatenate(pieces, axis=2)


def _stages(
    paths: Mapping[str, Path], fields: Mapping[str, ReceptiveField], emb: np.ndarray, hop: int
) -> dict[str, Stage]:
    stages: dict[str, Stage] = {}
    if GRAPH_DECODER in paths:
        session = create_session(paths[GRAPH_DECODER], CPU_OPTIONS)

        def decoder(z_p: np.ndarray) -> np.ndarray:
            feeds = {
                cat.M_P: z_p,
                cat.LOGS_P: np.zeros_like(z_p),
                cat.FRAME_LENGTHS: np.array([z_p.shape[2]], dtype=np.int64),
                cat.SPEAKER_EMBEDDING: emb,
                cat.SCALES: np.array([0.0, 1.0, 0.0], dtype=np.float32),
            }
            return run_session(session, feeds, [cat.WAVEFORM], GRAPH_DECODER)[0]

        stages[GRAPH_DECODER] = Stage(GRAPH_DECODER, decoder, fields[GRAPH_DECODER], hop)
    if GRAPH_FLOW in paths and GRAPH_VOCODER in paths:
        flow_session = create_session(paths[GRAPH_FLOW], CPU_OPTIONS)
        vocoder_session = create_session(paths[GRAPH_VOCODER], CPU_OPTIONS)

        def flow(z_p: np.ndarray) -> np.ndarray:
            lengths = np.array([z_p.shape[2]], dtype=np.int64)
            feeds = {Z_P: z_p, cat.FRAME_LENGTHS: lengths, cat.SPEAKER_EMBEDDING: emb}
            return run_session(flow_session, feeds, [Z], GRAPH_FLOW)[0]

        def vocoder(z: np.ndarray) -> np.ndarray:
            feeds = {Z: z, cat.SPEAKER_EMBEDDING: emb}
            return run_session(vocoder_session, feeds, [cat.WAVEFORM], GRAPH_VOCODER)[0]

        stages[GRAPH_FLOW] = Stage(GRAPH_FLOW, flow, fields[GRAPH_FLOW])
        stages[GRAPH_VOCODER] = Stage(GRAPH_VOCODER, vocoder, fields[GRAPH_VOCODER], hop)
    return stages


def check_receptive_fields(
    paths: Mapping[str, Path],
    fields: Mapping[str, ReceptiveField],
    *,
    channels: int,
    embedding_dim: int,
    hop: int,
    cases: Sequence[tuple[int, int]] = CASES,
    atol: float = ATOL,
    seed: int = 0,
) -> GraphReport:
    """Windowed decoding with ``fields`` against whole decoding, for every decoder graph in ``paths``
    (stage name → ONNX file): ``decoder``; ``flow``, ``vocoder`` and the two chained. Differences are
    measured relative to the output's scale (``max-abs / max(1, max |whole|)``) against ``atol``."""
    report = GraphReport(REPORT_NAME, atol)
    rng = np.random.default_rng(seed)
    emb = rng.standard_normal((1, embedding_dim)).astype(np.float32)
    stages = _stages(paths, fields, emb, hop)
    chains: list[list[Stage]] = []
    if GRAPH_DECODER in stages:
        chains.append([stages[GRAPH_DECODER]])
    if GRAPH_FLOW in stages:
        chains += [[stages[GRAPH_FLOW]], [stages[GRAPH_VOCODER]], [stages[GRAPH_FLOW], stages[GRAPH_VOCODER]]]
    for frames, window in cases:
        z_p = rng.standard_normal((1, channels, frames)).astype(np.float32)
        first_input = {GRAPH_DECODER: z_p, GRAPH_FLOW: z_p}
        if GRAPH_FLOW in stages:
            first_input[GRAPH_VOCODER] = stages[GRAPH_FLOW].run(z_p)
        for chain in chains:
            x = first_input[chain[0].name]
            whole = x
            for stage in chain:
                whole = stage.run(whole)
            windows = decode_in_windows(chain, x, window)
            label = " + ".join(f"{s.name} {s.field.to_list()}" for s in chain)
            desc = f"{label}: {frames} frames in windows of {window}"
            if windows.shape != whole.shape:
                report.failures.append(
                    f"{desc}: windows give shape {list(windows.shape)} != {list(whole.shape)}"
                )
                continue
            err = float(np.abs(windows - whole).max()) / max(1.0, float(np.abs(whole).max()))
            report.cases.append(CaseResult(desc, err, snr_db(whole, windows), None))
            if not err <= atol or not math.isfinite(err):
                report.failures.append(
                    f"{REPORT_NAME} [{desc}]: windows differ from whole decoding by {err:.3g} (> {atol:g}): "
                    "the recorded receptive field is too small"
                )
    return report
