"""The variants compared: our PyTorch model and ONNX Runtime over one of the bundles.

Every variant maps the same :class:`Batch` and scales to per-item waveforms.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.bench.ort_pipeline import Batch, OrtSettings, OrtTTS
from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule


@dataclass
class VariantSpec:
    """What to build: ``kind`` ``"torch"`` (checkpoint) or ``"onnx"`` (bundle + mode + settings)."""

    name: str
    kind: str
    description: str
    path: Path  # checkpoint directory (torch) or bundle directory (onnx)
    mode: str = "model"
    settings: OrtSettings = field(default_factory=OrtSettings)
    precision: str = "fp32"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "kind": self.kind, "description": self.description, "path": str(self.path),
            "precision": self.precision,
        }
        if self.kind == "onnx":
            out["mode"] = self.mode
            out["settings"] = self.settings.__dict__
        return out


class TorchVariant:
    def __init__(self, spec: VariantSpec, threads: int) -> None:
        import torch

        from yourtts_onnx.export.checkpoint import load_checkpoint

        torch.set_num_threads(threads)
        self.torch = torch
        self.spec = spec
        self.model = load_checkpoint(spec.path).model.eval()
        self.streams = False

    def synthesize(self, batch: Batch, scales: np.ndarray) -> list[np.ndarray]:
        t = self.torch
        with t.inference_mode():
            out = self.model.synthesize(
                t.from_numpy(batch.ids), t.from_numpy(batch.lengths), t.from_numpy(scales),
                t.from_numpy(batch.embeddings()), t.from_numpy(batch.languages()),
            )
        wav = out.waveform.numpy()
        return [wav[i, 0, : int(n)] for i, n in enumerate(out.output_lengths.numpy())]


class OnnxVariant:
    def __init__(self, spec: VariantSpec) -> None:
        self.spec = spec
        self.tts = OrtTTS.open(spec.path, spec.settings, spec.mode)
        self.streams = spec.mode in ("components", "split")

    def synthesize(self, batch: Batch, scales: np.ndarray) -> list[np.ndarray]:
        return self.tts.synthesize(batch, scales)

    def stream(
        self, ids: list[int], embedding: np.ndarray, language_id: int, scales: np.ndarray, schedule: ChunkSchedule
    ) -> Iterator[np.ndarray]:
        return self.tts.stream(ids, embedding, language_id, scales, schedule)


Variant = TorchVariant | OnnxVariant


def build(spec: VariantSpec, threads: int) -> Variant:
    return TorchVariant(spec, threads) if spec.kind == "torch" else OnnxVariant(spec)
