"""Verify an existing bundle against the checkpoint it was exported from: every graph against PyTorch on
its validation grid, and the recorded receptive fields (equal to what the checkpoint's layers give, and
windowed decoding with them equal to whole decoding)."""

from __future__ import annotations

from pathlib import Path

from yourtts_onnx.errors import BundleError
from yourtts_onnx.export.bundle_writer import DECODER_STAGES, model_dims, verify_receptive_fields
from yourtts_onnx.export.checkpoint import load_checkpoint
from yourtts_onnx.export.graphs import speaker_encoder_spec, tts_specs
from yourtts_onnx.export.receptive_fields import decoder_receptive_fields
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
    dims = model_dims(ckpt, text)
    specs = [s for s in tts_specs(ckpt.model, dims) if bundle.has_graph(s.name)]
    if bundle.has_graph(GRAPH_SPEAKER_ENCODER):
        loaded = load_speaker_encoder(ckpt, trust=trust)
        if loaded is None:
            raise BundleError(
                f"{bundle_dir}: has a speaker encoder graph but {checkpoint_dir} has no speaker encoder"
            )
        specs.append(speaker_encoder_spec(loaded[0], bundle.config.embedding_dim))
    reports = [verify_graph(spec, bundle.graph_path(spec.name)) for spec in specs]
    recorded = bundle.config.receptive_fields
    if recorded:
        files = {name: bundle.graph_path(name) for name in DECODER_STAGES if bundle.has_graph(name)}
        report = verify_receptive_fields(ckpt, dims, recorded, files)
        expected = decoder_receptive_fields(ckpt.model)
        if recorded != expected:
            report.failures.insert(
                0,
                f"{report.graph}: config.json records { ({k: v.to_list() for k, v in recorded.items()}) }, "
                f"the checkpoint's layers give { ({k: v.to_list() for k, v in expected.items()}) }",
            )
        reports.append(report)
    return reports
