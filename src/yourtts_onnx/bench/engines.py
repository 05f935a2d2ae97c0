"""What the benchmark speaks through, each with a record of how (:class:`How`), so every figure in the report
says which path and options produced it:

* :class:`ApiEngine` — the public :class:`~yourtts_onnx.runtime.synthesizer.Synthesizer` built with
  ``from_bundle`` (``backend=``, ``session_options=SessionOptions(threads=...)``, ``integrity=``), called with
  ``synthesize`` (whole sentences) and ``stream`` (windows): what a user of the API gets;
* :class:`BareModelEngine` — one ``model.onnx`` session from ``create_session`` with the same options,
  fed the ids, embedding and language the synthesizer planned (``Synthesizer.prepare``, outside the timing):
  the floor the API is compared against;
* :class:`TorchEngine` — our PyTorch YourTTS on the same ids.

Every engine maps a text to 1-D float32 samples; texts of several sentences are spoken utterance by
utterance and joined with the same pause as the synthesizer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from yourtts_onnx.bench.texts import LANGUAGE
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.bundle import GRAPH_MODEL
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.runtime.session import SessionOptions, create_session
from yourtts_onnx.runtime.synthesizer import Plan, Synthesizer

# Noise off: every engine gives the same waveform (up to rounding) for the same text, so outputs compare.
OPTIONS = SynthesisOptions(language=LANGUAGE, noise_scale=0.0, noise_scale_dp=0.0, length_scale=1.0)
OPTIONS_TEXT = "language en, default built-in speaker, noise_scale 0, noise_scale_dp 0, length_scale 1"


@dataclass(frozen=True)
class How:
    """The path and options that produced a figure."""

    path: str  # "API", "bare session", "PyTorch", "CLI", "graph"
    call: str  # e.g. "Synthesizer.synthesize", "yourtts-onnx synth --stream --out -"
    bundle: str | None = None  # bundle label (fp32, int8, ...)
    backend: str | None = None  # decoding backend; "split (auto)" when auto chose it
    threads: int | None = None
    integrity: str | None = None  # stamp | full | none
    cache: str | None = None  # optimised-graph cache: "off" or where
    options: str | None = None  # synthesis options
    copies: str | None = None  # graphs read from their CPU copy (e.g. "vocoder.ort-cpu.onnx")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        parts = [f"{self.path}: {self.call}"]
        if self.bundle:
            parts.append(f"{self.bundle} bundle")
        if self.backend:
            parts.append(f"backend {self.backend}")
        if self.copies:
            parts.append(f"CPU copy {self.copies}")
        if self.threads:
            parts.append(f"{self.threads} threads")
        if self.integrity:
            parts.append(f"integrity {self.integrity}")
        if self.cache:
            parts.append(f"graph cache {self.cache}")
        return ", ".join(parts)


class Engine(Protocol):
    label: str
    how: How

    def synthesize(self, text: str) -> np.ndarray: ...


def _join(pieces: list[np.ndarray], pause: int) -> np.ndarray:
    silence = np.zeros(pause, dtype=np.float32)
    out: list[np.ndarray] = []
    for i, piece in enumerate(pieces):
        if i and pause:
            out.append(silence)
        out.append(np.asarray(piece, dtype=np.float32).reshape(-1))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


class ApiEngine:
    """``Synthesizer.from_bundle(bundle, backend=..., session_options=SessionOptions(threads=...))``."""

    def __init__(
        self,
        label: str,
        bundle_label: str,
        bundle: Path,
        backend: str,
        threads: int,
        *,
        auto: str,
        integrity: str = "stamp",
    ) -> None:
        self.label = label
        t0 = time.perf_counter()
        self.synth = Synthesizer.from_bundle(
            bundle, session_options=SessionOptions(threads=threads), backend=backend, integrity=integrity
        )
        self.load_s = time.perf_counter() - t0
        name = self.synth.backend.name
        self.how = How(
            "API",
            "Synthesizer.synthesize",
            bundle_label,
            f"{name} (auto)" if name == auto else name,
            threads,
            integrity,
            "off",
            OPTIONS_TEXT,
            ", ".join(f for g, f in self.synth.backend.files.items() if f != self.synth.config.graphs[g].file)
            or None,
        )

    @property
    def streams(self) -> bool:
        return self.synth.streams

    def synthesize(self, text: str) -> np.ndarray:
        return self.synth.synthesize(text, OPTIONS).samples

    def stream(self, text: str) -> Iterator[np.ndarray]:
        """``Synthesizer.stream`` with the runtime's default windows; checks run before it returns."""
        return (chunk.samples for chunk in self.synth.stream(text, OPTIONS))

    def plan(self, text: str) -> Plan:
        return self.synth.prepare(text, OPTIONS)


class _Planned:
    """Engines fed with the synthesizer's plan of each text, made once outside the timing."""

    def __init__(self, planner: ApiEngine) -> None:
        self.planner = planner
        self._plans: dict[str, Plan] = {}

    def _plan(self, text: str) -> Plan:
        if text not in self._plans:
            self._plans[text] = self.planner.plan(text)
        return self._plans[text]


class BareModelEngine(_Planned):
    """One ``model.onnx`` session (``create_session``, the same :class:`SessionOptions`), ``session.run`` only."""

    def __init__(self, label: str, bundle_label: str, planner: ApiEngine, threads: int) -> None:
        super().__init__(planner)
        self.label = label
        bundle = planner.synth.bundle
        t0 = time.perf_counter()
        self.session = create_session(
            bundle.graph_path(GRAPH_MODEL),
            SessionOptions(threads=threads),
            sha256=bundle.file_sha256(GRAPH_MODEL),
        )
        self.load_s = time.perf_counter() - t0
        self.how = How(
            "bare session",
            "create_session(model.onnx).run",
            bundle_label,
            "model.onnx",
            threads,
            None,
            "off",
            OPTIONS_TEXT,
        )

    def synthesize(self, text: str) -> np.ndarray:
        plan = self._plan(text)
        embedding = np.asarray(plan.embedding, dtype=np.float32).reshape(1, -1)
        pieces = []
        for utterance in plan.utterances:
            feeds = {
                cat.INPUT_IDS: np.asarray([utterance.ids], dtype=np.int64),
                cat.INPUT_LENGTHS: np.array([len(utterance.ids)], dtype=np.int64),
                cat.SCALES: plan.scales.array(),
                cat.SPEAKER_EMBEDDING: embedding,
                cat.LANGUAGE_ID: np.array([plan.language_id], dtype=np.int64),
            }
            wav, lengths = self.session.run([cat.WAVEFORM, cat.WAVEFORM_LENGTHS], feeds)
            pieces.append(wav.reshape(-1)[: int(lengths[0])])
        return _join(pieces, plan.pause)


class TorchEngine(_Planned):
    """Our PyTorch YourTTS (``YourTTS.synthesize``) on the synthesizer's ids, batch 1."""

    def __init__(self, label: str, checkpoint: Path, planner: ApiEngine, threads: int) -> None:
        import torch

        from yourtts_onnx.export.checkpoint import load_checkpoint

        super().__init__(planner)
        torch.set_num_threads(threads)
        self.torch = torch
        self.label = label
        t0 = time.perf_counter()
        self.model = load_checkpoint(checkpoint).model.eval()
        self.load_s = time.perf_counter() - t0
        self.how = How(
            "PyTorch", "YourTTS.synthesize (our model)", "checkpoint", None, threads, None, None, OPTIONS_TEXT
        )

    def synthesize(self, text: str) -> np.ndarray:
        t = self.torch
        plan = self._plan(text)
        pieces = []
        with t.inference_mode():
            for utterance in plan.utterances:
                out = self.model.synthesize(
                    t.tensor([utterance.ids], dtype=t.int64),
                    t.tensor([len(utterance.ids)], dtype=t.int64),
                    t.from_numpy(plan.scales.array()),
                    t.from_numpy(np.asarray(plan.embedding, dtype=np.float32).reshape(1, -1)),
                    t.tensor([plan.language_id], dtype=t.int64),
                )
                n = int(out.output_lengths[0])
                pieces.append(out.waveform.numpy().reshape(-1)[:n])
        return _join(pieces, plan.pause)
