"""Config variants the released YourTTS does not use but Coqui supports: the plain duration
predictor and HiFi-GAN resblock type 1. Each builds, runs and exports with ONNX parity."""

from __future__ import annotations

import pytest
import torch

from yourtts_onnx.export.checkpoint_config import YourTTSConfig
from yourtts_onnx.export.graphs import ModelDims, tts_specs
from yourtts_onnx.export.onnx_export import trace_to_onnx
from yourtts_onnx.export.random_checkpoint import SIZES, coqui_config, random_yourtts
from yourtts_onnx.export.verify import verify_graph

pytestmark = pytest.mark.export


def _variant(**model_args) -> YourTTSConfig:
    raw = coqui_config(SIZES["tiny"], 165)
    raw["model_args"].update(model_args)
    return YourTTSConfig.from_dict(raw, "<variant>")


@pytest.mark.parametrize(
    "overrides",
    [{"use_sdp": False}, {"resblock_type_decoder": "1"}],
    ids=["plain-duration-predictor", "resblock-type-1"],
)
def test_variant_runs_and_exports(tmp_path, overrides):
    config = _variant(**overrides)
    model = random_yourtts(config, num_languages=3, seed=3).prepare_for_inference()
    with torch.no_grad():
        out = model.synthesize(
            torch.randint(1, 165, (2, 30)),
            torch.tensor([30, 11]),
            torch.tensor([0.0, 1.0, 0.0]),
            torch.randn(2, 512),
            torch.tensor([1, 2]),
        )
    assert out.waveform.shape[-1] == int(out.output_lengths.max()) > 0
    dims = ModelDims(num_chars=165, num_languages=3, embedding_dim=512, hidden=32, language_dim=4)
    spec = next(s for s in tts_specs(model, dims) if s.name == "model")
    path = tmp_path / "model.onnx"
    trace_to_onnx(spec, path, 17)
    report = verify_graph(spec, path)
    assert report.ok, report.failures


def test_unsupported_resblock_type_is_a_clear_error():
    from yourtts_onnx.errors import CheckpointError

    with pytest.raises(CheckpointError, match="resblock_type_decoder"):
        _variant(resblock_type_decoder="3")
