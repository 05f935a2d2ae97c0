"""The decoder alone (flow + HiFi-GAN, ~95% of the arithmetic): achieved GFLOP/s and % of the fp32 peak
per variant, and a sweep of ONNX Runtime settings and graph rewrites on the fp32 decoder.

Every runner decodes the same sampled latent ``[1, C, F]`` with the graph's noise off.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort

from yourtts_onnx.bench.ort_pipeline import OrtSettings, scales_array
from yourtts_onnx.bench.timing import interleaved
from yourtts_onnx.optimize.surgery import conv_transpose_to_conv

Runner = Callable[[], Any]


@dataclass
class DecoderInputs:
    z_p: np.ndarray  # [1, C, F]
    embedding: np.ndarray  # [1, D]

    def feeds(self) -> dict[str, np.ndarray]:
        f = self.z_p.shape[2]
        return {
            "m_p": self.z_p,
            "logs_p": np.zeros_like(self.z_p),
            "frame_lengths": np.array([f], dtype=np.int64),
            "speaker_embedding": self.embedding,
            "scales": scales_array(),
        }


def tile_frames(z_p: np.ndarray, frames: int) -> np.ndarray:
    reps = -(-frames // z_p.shape[2])
    return np.ascontiguousarray(np.tile(z_p, (1, 1, reps))[:, :, :frames])


def session_runner(session: ort.InferenceSession, inputs: DecoderInputs) -> Runner:
    feeds = inputs.feeds()
    return lambda: session.run(["output"], feeds)


def io_binding_runner(session: ort.InferenceSession, inputs: DecoderInputs, hop: int) -> Runner:
    """Inputs bound once, outputs written into preallocated buffers (no per-call allocation or copy)."""
    feeds = inputs.feeds()
    binding = session.io_binding()
    for name, value in feeds.items():
        binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(value))
    frames = inputs.z_p.shape[2]
    out = ort.OrtValue.ortvalue_from_numpy(np.empty((1, 1, frames * hop), dtype=np.float32))
    lengths = ort.OrtValue.ortvalue_from_numpy(np.empty((1,), dtype=np.int64))
    binding.bind_ortvalue_output("output", out)
    binding.bind_ortvalue_output("output_lengths", lengths)
    return lambda: session.run_with_iobinding(binding)


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


def _timed_session(path: Path | bytes, settings: OrtSettings) -> tuple[ort.InferenceSession, float]:
    start = time.perf_counter()
    source = path if isinstance(path, bytes) else os.fspath(path)
    session = ort.InferenceSession(source, settings.session_options(), providers=["CPUExecutionProvider"])
    return session, time.perf_counter() - start


def settings_sweep(decoder: Path, inputs: DecoderInputs, base: OrtSettings, hop: int, work: Path) -> dict[str, dict]:
    """Runners (and session load times) for ORT settings and rewrites of the fp32 decoder."""
    entries: dict[str, dict[str, Any]] = {}

    def add(name: str, what: str, session: ort.InferenceSession, load_s: float, runner: Runner | None = None) -> None:
        entries[name] = {"what": what, "load_s": load_s, "runner": runner or session_runner(session, inputs)}

    s, t = _timed_session(decoder, base)
    add("default", f"level {base.level}, {base.threads} threads, spinning, arena", s, t)
    add("io-binding", "inputs bound once, outputs into preallocated OrtValues", s, t, io_binding_runner(s, inputs, hop))
    for level in ("extended", "basic", "disable"):
        s, t = _timed_session(decoder, replace(base, level=level))
        add(f"level-{level}", f"graph optimisation level {level}", s, t)
    s, t = _timed_session(decoder, replace(base, spinning=False))
    add("no-spinning", "intra-op threads do not spin between ops", s, t)
    s, t = _timed_session(decoder, replace(base, arena=False, mem_pattern=False))
    add("no-arena", "no CPU memory arena, no memory pattern", s, t)
    s, t = _timed_session(decoder, replace(base, threads=1))
    add("1-thread", "intra-op threads 1 (scaling reference)", s, t)
    saved = work / f"{decoder.stem}.optimized.onnx"
    opts = base.session_options()
    opts.optimized_model_filepath = os.fspath(saved)
    ort.InferenceSession(os.fspath(decoder), opts, providers=["CPUExecutionProvider"])
    s, t = _timed_session(saved, replace(base, level="disable"))
    add("saved-optimized", "graph optimised once at level all, saved, loaded with optimisation off", s, t)
    model = onnx.load(os.fspath(decoder))
    rewritten = conv_transpose_to_conv(model)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "poly.onnx"
        onnx.save(model, os.fspath(path))
        s, t = _timed_session(path, base)
    add("polyphase", f"{rewritten} ConvTranspose rewritten as polyphase Conv (fp32)", s, t)
    return entries


def time_runners(runners: Mapping[str, Runner], reps: int) -> dict[str, Any]:
    return {name: st for name, st in interleaved(runners, reps, warmup=1).items()}
