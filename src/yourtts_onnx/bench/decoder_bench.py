"""The decoder alone (flow + HiFi-GAN, ~95% of the arithmetic): achieved GFLOP/s and % of the fp32 peak per
bundle, and a sweep of :class:`~yourtts_onnx.runtime.session.SessionOptions` and graph rewrites on the fp32
decoder. A graph-level measurement: sessions come from ``create_session`` (the runtime's factory).

Every runner decodes the same latent ``[1, C, F]`` with the graph's noise off: ``decoder.onnx`` when the
bundle has it, else ``flow.onnx`` then ``vocoder.onnx``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from yourtts_onnx.optimize.surgery import conv_transpose_to_conv
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.bundle import GRAPH_DECODER, GRAPH_FLOW, GRAPH_VOCODER, Bundle
from yourtts_onnx.runtime.graph_catalog import Z_P, Z
from yourtts_onnx.runtime.session import SessionOptions, create_session

Runner = Callable[[], Any]


@dataclass
class DecoderInputs:
    z_p: np.ndarray  # [1, C, F]
    embedding: np.ndarray  # [1, D]

    @property
    def frames(self) -> int:
        return int(self.z_p.shape[2])

    def decoder_feeds(self) -> dict[str, np.ndarray]:
        return {
            cat.M_P: self.z_p,
            cat.LOGS_P: np.zeros_like(self.z_p),
            cat.FRAME_LENGTHS: np.array([self.frames], dtype=np.int64),
            cat.SPEAKER_EMBEDDING: self.embedding,
            cat.SCALES: np.array([0.0, 1.0, 0.0], dtype=np.float32),
        }


def tile_frames(z_p: np.ndarray, frames: int) -> np.ndarray:
    reps = -(-frames // z_p.shape[2])
    return np.ascontiguousarray(np.tile(z_p, (1, 1, reps))[:, :, :frames])


def decoder_graphs(bundle: Bundle) -> tuple[str, ...]:
    """The graphs that decode a latent in this bundle (``decoder``, else ``flow`` + ``vocoder``)."""
    if bundle.has_graph(GRAPH_DECODER):
        return (GRAPH_DECODER,)
    if bundle.has_graph(GRAPH_FLOW) and bundle.has_graph(GRAPH_VOCODER):
        return (GRAPH_FLOW, GRAPH_VOCODER)
    return ()


def bundle_runner(
    bundle: Bundle, inputs: DecoderInputs, options: SessionOptions
) -> tuple[Runner, float, str]:
    """(runner, session load seconds, which graphs) for the bundle's decoder."""
    graphs = decoder_graphs(bundle)
    t0 = time.perf_counter()
    sessions = {
        g: create_session(bundle.graph_path(g), options, sha256=bundle.file_sha256(g)) for g in graphs
    }
    load_s = time.perf_counter() - t0
    if graphs == (GRAPH_DECODER,):
        return session_runner(sessions[GRAPH_DECODER], inputs), load_s, "decoder.onnx"
    flow, vocoder = sessions[GRAPH_FLOW], sessions[GRAPH_VOCODER]
    flow_feeds = {
        Z_P: inputs.z_p,
        cat.FRAME_LENGTHS: np.array([inputs.frames], np.int64),
        cat.SPEAKER_EMBEDDING: inputs.embedding,
    }

    def run() -> Any:
        (z,) = flow.run([Z], flow_feeds)
        return vocoder.run([cat.WAVEFORM], {Z: z, cat.SPEAKER_EMBEDDING: inputs.embedding})

    return run, load_s, "flow.onnx + vocoder.onnx"


def session_runner(session: Any, inputs: DecoderInputs) -> Runner:
    feeds = inputs.decoder_feeds()
    return lambda: session.run([cat.WAVEFORM], feeds)


def torch_runner(model: Any, inputs: DecoderInputs, threads: int) -> Runner:
    import torch

    torch.set_num_threads(threads)
    z = torch.from_numpy(inputs.z_p)
    mask = torch.ones(1, 1, z.shape[2])
    g = model.speaker_condition(torch.from_numpy(inputs.embedding))
    zero = torch.zeros(())

    def run() -> Any:
        with torch.inference_mode():
            return model.decode(z, torch.zeros_like(z), mask, g, zero)

    return run


def settings_sweep(
    decoder: Path, inputs: DecoderInputs, threads: int, work: Path
) -> dict[str, dict[str, Any]]:
    """Runners (and session load times) for session options and rewrites of the fp32 ``decoder.onnx``."""
    base = SessionOptions(threads=threads)
    entries: dict[str, dict[str, Any]] = {}

    def add(name: str, what: str, source: Path | bytes, options: SessionOptions) -> None:
        t0 = time.perf_counter()
        session = create_session(source, options, name=decoder.name)
        entries[name] = {
            "what": what,
            "load_s": time.perf_counter() - t0,
            "runner": session_runner(session, inputs),
        }

    add(
        "default",
        f"SessionOptions(threads={threads}): level all, spinning within a run, arena (the runtime's)",
        decoder,
        base,
    )
    add(
        "no-spinning",
        "intra-op threads sleep between ops",
        decoder,
        base.with_(spinning=False),
    )
    add("no-arena", "no CPU memory arena", decoder, base.with_(arena=False))
    for level in ("extended", "basic", "disable"):
        add(
            f"level-{level}",
            f"graph optimisation level {level}",
            decoder,
            base.with_(graph_optimization=level),
        )
    add("1-thread", "1 intra-op thread (scaling reference)", decoder, base.with_(threads=1))
    cached = base.with_(cache_dir=os.fspath(work / "ort-cache"))
    create_session(decoder, cached)  # optimise once and save (untimed)
    add(
        "saved-optimized",
        "graph optimised once, saved, reloaded (SessionOptions.cache_dir; --cache-optimized)",
        decoder,
        cached,
    )
    model = onnx.load(os.fspath(decoder))
    rewritten = conv_transpose_to_conv(model)
    add(
        "polyphase",
        f"{rewritten} ConvTranspose rewritten as polyphase Conv (fp32)",
        model.SerializeToString(),
        base,
    )
    return entries
