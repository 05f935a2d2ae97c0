"""Verify an existing bundle against the checkpoint it was exported from."""

from __future__ import annotations

from pathlib import Path

from yourtts_onnx.errors import BundleError
from yourtts_onnx.export.bundle_writer import model_dims
from yourtts_onnx.export.checkpoint import load_checkpoint
from yourtts_onnx.export.graphs import speaker_encoder_spec, tts_specs
from yourtts_onnx.export.speaker_encoder_loader import load_speaker_encoder
from yourtts_onnx.export.verify import GraphReport, verify_graph
from yourtts_onnx.runtime.bundle import GRAPH_SPEAKER_ENCODER, Bundle
from yourtts_onnx.runtime.text import TextFrontendConfig


def verify_bundle(
    checkpoint_dir: str | Path, bundle_dir: str | Path, *, trust: bool = False
) -> list[GraphReport]:
    bundle = Bundle.open(bundle_dir)
    ckpt = load_checkpoint(checkpoint_dir, trust=trust)
    text = TextFrontendConfig.from_dict(bundle.config.text)
    specs = [s for s in tts_specs(ckpt.model, model_dims(ckpt, text)) if bundle.has_graph(s.name)]
    if bundle.has_graph(GRAPH_SPEAKER_ENCODER):
        loaded = load_speaker_encoder(ckpt, trust=trust)
        if loaded is None:
            raise BundleError(
                f"{bundle_dir}: has a speaker encoder graph but {checkpoint_dir} has no speaker encoder"
            )
        specs.append(speaker_encoder_spec(loaded[0], bundle.config.embedding_dim))
    return [verify_graph(spec, bundle.graph_path(spec.name)) for spec in specs]
