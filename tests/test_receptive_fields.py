"""Receptive fields recorded at export: exact for several architectures (measured by perturbing one input
frame of the torch modules), and proven on exported graphs of a non-default architecture: windows with the
recorded context reproduce whole decoding, windows with one frame less show seams, and an export whose
fields were too small fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from yourtts_onnx.errors import VerificationError
from yourtts_onnx.export.bundle_writer import export_bundle
from yourtts_onnx.export.checkpoint import load_checkpoint
from yourtts_onnx.export.checkpoint_config import YourTTSConfig
from yourtts_onnx.export.field_check import check_receptive_fields
from yourtts_onnx.export.random_checkpoint import SIZES, coqui_config, random_yourtts, write_random_checkpoint
from yourtts_onnx.export.receptive_fields import decoder_receptive_fields, measure_reach
from yourtts_onnx.export.verify import GraphReport
from yourtts_onnx.runtime.bundle import Bundle, ReceptiveField

pytestmark = pytest.mark.export

# Architectures other than YourTTS's (hop stays 256): other flow kernels/dilations/depth, resblock type 1
# with other kernels and dilations, other upsampling rates and kernels.
ARCHITECTURES: dict[str, dict[str, Any]] = {
    "yourtts": {},
    "flow-k3-d2-resblock1": {
        "kernel_size_flow": 3,
        "dilation_rate_flow": 2,
        "num_layers_flow": 3,
        "resblock_type_decoder": "1",
        "resblock_kernel_sizes_decoder": [3, 5],
        "resblock_dilation_sizes_decoder": [[1, 2, 4], [1, 3, 5]],
        "upsample_rates_decoder": [4, 4, 4, 4],
        "upsample_kernel_sizes_decoder": [8, 8, 8, 8],
    },
    "flow-k7-three-stages": {
        "kernel_size_flow": 7,
        "num_layers_flow": 2,
        "resblock_kernel_sizes_decoder": [5, 9],
        "resblock_dilation_sizes_decoder": [[1, 2], [2, 6]],
        "upsample_rates_decoder": [8, 8, 4],
        "upsample_kernel_sizes_decoder": [16, 16, 8],
    },
}
OTHER = ARCHITECTURES["flow-k3-d2-resblock1"]


def _model(overrides: dict[str, Any]) -> torch.nn.Module:
    raw = coqui_config(SIZES["tiny"], 165)
    raw["model_args"].update(overrides)
    config = YourTTSConfig.from_dict(raw, "<variant>")
    return random_yourtts(config, 3, seed=11, live=True).prepare_for_inference()


@pytest.mark.parametrize("arch", list(ARCHITECTURES), ids=list(ARCHITECTURES))
def test_recorded_fields_are_exactly_what_the_layers_reach(arch: str) -> None:
    """Changing one input frame (float64) changes exactly the output frames the formula says, for the flow
    and the vocoder; the decoder's field is their sum (its far edge is too faint to measure)."""
    model = _model(ARCHITECTURES[arch])
    fields = decoder_receptive_fields(model)
    measured = measure_reach(model, fields)
    assert measured == {"flow": fields["flow"], "vocoder": fields["vocoder"]}
    assert fields["decoder"] == fields["flow"] + fields["vocoder"]
    assert min(fields["flow"].left, fields["vocoder"].left) > 0
    if arch != "yourtts":
        assert fields != decoder_receptive_fields(_model({}))


def test_a_flow_that_is_the_identity_reaches_nothing() -> None:
    raw = coqui_config(SIZES["tiny"], 165)
    model = random_yourtts(YourTTSConfig.from_dict(raw, "<x>"), 3, seed=1, live=False).prepare_for_inference()
    fields = decoder_receptive_fields(model)
    assert measure_reach(model, fields)["flow"] == ReceptiveField(0, 0)  # within any recorded field


@pytest.fixture(scope="module")
def other_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("other-arch")
    ckpt = write_random_checkpoint(
        root / "ckpt",
        "tiny",
        seed=5,
        with_speaker_encoder=False,
        model_args={**OTHER, "use_sdp": False},
        live=True,
    )
    result = export_bundle(ckpt, root / "bundle", only=["components"], progress=lambda _m: None)
    assert result.ok
    fields = next(r for r in result.reports if r.graph == "receptive_fields")
    assert len(fields.cases) == 10 and fields.max_abs <= 1e-5  # 8 windowed decodings + 2 torch reaches
    return root / "bundle"


def test_other_architecture_records_its_fields_and_windows_equal_whole(other_bundle: Path) -> None:
    bundle = Bundle.open(other_bundle)
    ckpt = load_checkpoint(other_bundle.parent / "ckpt")
    assert bundle.config.receptive_fields == decoder_receptive_fields(ckpt.model)
    raw = json.loads((other_bundle / "config.json").read_text())
    assert set(raw["receptive_fields"]) == {"decoder", "flow", "vocoder"}
    report = _check(other_bundle, bundle.config.receptive_fields)
    assert report.ok and len(report.cases) == 8 and report.max_abs <= 1e-5, report.failures


# With random weights a far frame's influence fades fast (the edges of the exact field matter at ~1e-8 and
# the fused decoder still decodes cleanly with a third of its field), so windows show seams only for a field
# well short of the exact one: a quarter of the flow's or the vocoder's, no context for the decoder. The
# exact edges are checked by the torch reach (above, and in every export).
@pytest.mark.parametrize(("stage", "fraction"), [("flow", 4), ("vocoder", 4), ("decoder", 0)])
def test_a_too_small_field_shows_seams(other_bundle: Path, stage: str, fraction: int) -> None:
    fields = dict(Bundle.open(other_bundle).config.receptive_fields)
    f = fields[stage]
    fields[stage] = (
        ReceptiveField(f.left // fraction, f.right // fraction) if fraction else ReceptiveField(0, 0)
    )
    report = _check(other_bundle, fields)
    assert not report.ok and all("receptive field is too small" in f for f in report.failures)
    seams = [c for c in report.cases if c.max_abs > 1e-5]
    assert seams and all(c.inputs.startswith(stage) or f"+ {stage}" in c.inputs for c in seams)
    assert max(c.max_abs for c in seams) > 1e-4  # a real seam, far above float rounding


def _check(bundle_dir: Path, fields: dict[str, ReceptiveField]) -> GraphReport:
    bundle = Bundle.open(bundle_dir, verify_hashes=False)
    stages = {name: bundle.graph_path(name) for name in ("decoder", "flow", "vocoder")}
    hidden = bundle.config.graphs["flow"].inputs[0].shape[1]
    assert isinstance(hidden, int)
    return check_receptive_fields(
        stages,
        fields,
        channels=hidden,
        embedding_dim=bundle.config.embedding_dim,
        hop=bundle.config.hop_length,
    )


def test_export_fails_when_the_recorded_field_is_one_frame_too_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yourtts_onnx.export.bundle_writer as writer

    def one_short(model: torch.nn.Module) -> dict[str, ReceptiveField]:
        fields = decoder_receptive_fields(model)
        vocoder = ReceptiveField(fields["vocoder"].left - 1, fields["vocoder"].right)
        return {**fields, "vocoder": vocoder, "decoder": fields["flow"] + vocoder}

    monkeypatch.setattr(writer, "decoder_receptive_fields", one_short)
    ckpt = write_random_checkpoint(
        tmp_path / "ckpt", "tiny", seed=5, with_speaker_encoder=False, model_args={"use_sdp": False}
    )
    with pytest.raises(VerificationError, match=r"vocoder \[6, 7\]: one changed frame reaches \[7, 7\]"):
        export_bundle(ckpt, tmp_path / "bundle", only=["components"], progress=lambda _m: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_verify_catches_a_recorded_field_that_is_wrong(other_bundle: Path, tmp_path: Path) -> None:
    from yourtts_onnx.export.bundle_verify import verify_bundle

    copy = tmp_path / "bundle"
    shutil.copytree(other_bundle, copy)
    raw = json.loads((copy / "config.json").read_text())
    left, right = raw["receptive_fields"]["vocoder"]
    raw["receptive_fields"]["vocoder"] = [left, right - 1]
    raw["receptive_fields"]["decoder"][1] -= 1
    (copy / "config.json").write_text(json.dumps(raw))
    reports = verify_bundle(other_bundle.parent / "ckpt", copy)
    fields = next(r for r in reports if r.graph == "receptive_fields")
    assert all(r.ok for r in reports if r is not fields)
    assert "config.json records" in fields.failures[0]
    assert any(f"vocoder [{left}, {right - 1}]: one changed frame reaches" in f for f in fields.failures)
