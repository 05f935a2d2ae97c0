"""ONNX export of the reference checkpoint: golden parity in ONNX Runtime, component composition,
the bundle's config contract, and bad input."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from conftest import load_synthesis_cases
from yourtts_onnx.cli import main
from yourtts_onnx.errors import ExportError
from yourtts_onnx.export.bundle_writer import export_bundle
from yourtts_onnx.runtime.alignment import expand_prior
from yourtts_onnx.runtime.bundle import Bundle, sha256_file

CASES = load_synthesis_cases()
ATOL = 1e-4


def _session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def model_session(tiny_bundle):
    return _session(tiny_bundle / "model.onnx")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_model_onnx_reproduces_coqui(model_session, case):
    wav, lengths = model_session.run(
        None,
        {
            "input": case.input,
            "input_lengths": case.input_lengths,
            "scales": case.scales,
            "speaker_embedding": case.d_vectors.astype(np.float32),
            "language_id": case.language_ids,
        },
    )
    assert wav.shape == case.waveform.shape
    assert float(np.abs(wav - case.waveform).max()) <= ATOL
    np.testing.assert_array_equal(lengths, case.durations.sum(axis=(1, 2)).astype(np.int64) * 256)


def test_speaker_encoder_onnx_reproduces_window(tiny_bundle, golden_dir):
    x = np.load(golden_dir / "se_window_input.npy").astype(np.float32)
    want = np.load(golden_dir / "se_window_output.npy")
    (got,) = _session(tiny_bundle / "speaker_encoder.onnx").run(None, {"audio": x.reshape(1, -1)})
    assert float(np.abs(got.reshape(want.shape) - want).max()) <= ATOL


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_component_graphs_compose_to_model(tiny_bundle, model_session, case):
    feeds = {
        "input": case.input,
        "input_lengths": case.input_lengths,
        "language_id": case.language_ids,
    }
    emb = case.d_vectors.astype(np.float32)
    states, m_p, logs_p, mask = _session(tiny_bundle / "text_encoder.onnx").run(None, feeds)
    (logw,) = _session(tiny_bundle / "duration_predictor.onnx").run(
        None,
        {
            "encoder_states": states,
            "text_mask": mask,
            "speaker_embedding": emb,
            "language_id": case.language_ids,
            "scales": case.scales,
        },
    )
    prior = expand_prior(logw, mask, m_p, logs_p, float(case.scales[1]))
    np.testing.assert_array_equal(prior.durations, case.durations[:, 0, :].astype(np.int64))
    wav, lengths = _session(tiny_bundle / "decoder.onnx").run(
        None,
        {
            "m_p": prior.m_p,
            "logs_p": prior.logs_p,
            "frame_lengths": prior.frame_lengths,
            "speaker_embedding": emb,
            "scales": case.scales,
        },
    )
    e2e, e2e_lengths = model_session.run(None, {**feeds, "scales": case.scales, "speaker_embedding": emb})
    np.testing.assert_array_equal(lengths, e2e_lengths)
    assert float(np.abs(wav - e2e).max()) <= ATOL


def test_config_validates_against_schema_and_hashes_match(tiny_bundle):
    schema = json.loads(
        resources.files("yourtts_onnx").joinpath("schemas/bundle_config.schema.json").read_text()
    )
    config = json.loads((tiny_bundle / "config.json").read_text())
    jsonschema.validate(config, schema)
    assert set(config["graphs"]) == {
        "model",
        "speaker_encoder",
        "text_encoder",
        "duration_predictor",
        "decoder",
    }
    for name, meta in config["files"].items():
        assert sha256_file(tiny_bundle / name) == meta["sha256"]
        assert (tiny_bundle / name).stat().st_size == meta["bytes"]
    assert config["languages"] == {"en": 0, "fr-fr": 1, "pt-br": 2}
    bundle = Bundle.open(tiny_bundle)
    speakers = bundle.speaker_embeddings()
    assert set(speakers) == {"VCTK_p225", "VCTK_p226", "female-en-5", "male-pt-3"}
    assert speakers["VCTK_p225"].shape == (512,)


def test_graph_io_and_metadata_match_config(tiny_bundle):
    config = json.loads((tiny_bundle / "config.json").read_text())
    for name, graph in config["graphs"].items():
        model = onnx.load(str(tiny_bundle / graph["file"]))
        meta = {p.key: p.value for p in model.metadata_props}
        assert (
            meta["graph"] == name
            and meta["sample_rate"] == "16000"
            and meta["format"] == "yourtts-onnx-bundle"
        )
        assert json.loads(meta["languages"]) == config["languages"]
        assert [i.name for i in model.graph.input] == [t["name"] for t in graph["inputs"]]
        assert [o.name for o in model.graph.output] == [t["name"] for t in graph["outputs"]]
        for value, spec in zip(model.graph.input, graph["inputs"], strict=True):
            dims = [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
            assert dims == spec["shape"], (name, value.name)
        assert model.opset_import[0].version == config["opset"]


def test_only_model_writes_just_that_graph(tmp_path, reference_checkpoint):
    result = export_bundle(
        reference_checkpoint, tmp_path / "b", only=["model"], verify=False, progress=lambda m: None
    )
    assert result.graphs == ["model"]
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["config.json", "model.onnx", "speakers.npy"]


def test_unknown_opset_is_rejected(tmp_path, reference_checkpoint, capsys):
    code = main(
        ["export", "--checkpoint", str(reference_checkpoint), "--out", str(tmp_path / "b"), "--opset", "9"]
    )
    err = capsys.readouterr().err
    assert code == ExportError.exit_code and "unsupported --opset 9" in err
    assert not (tmp_path / "b").exists()


def test_unwritable_output_is_rejected(tmp_path, reference_checkpoint, capsys):
    # a path below a regular file cannot be created, whoever runs the test (root ignores mode bits)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code = main(["export", "--checkpoint", str(reference_checkpoint), "--out", str(blocker / "sub" / "b")])
    err = capsys.readouterr().err
    assert code == ExportError.exit_code and err.startswith("error: ") and err.count("\n") == 1
    assert "cannot create output directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_checkpoint_errors_surface_through_cli(tmp_path, capsys):
    code = main(["export", "--checkpoint", str(tmp_path), "--out", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert code == 3 and "no config.json" in err
    assert not (tmp_path / "b").exists()


def test_failed_export_leaves_nothing_behind(tmp_path, reference_checkpoint, monkeypatch):
    import yourtts_onnx.export.bundle_writer as writer

    calls = {"n": 0}
    original = writer.trace_to_onnx

    def flaky(spec, path, opset):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # an interrupted export
        return original(spec, path, opset)

    monkeypatch.setattr(writer, "trace_to_onnx", flaky)
    with pytest.raises(KeyboardInterrupt):
        export_bundle(reference_checkpoint, tmp_path / "b", verify=False, progress=lambda m: None)
    assert list(tmp_path.iterdir()) == []


def test_verify_command_reports_every_graph(tiny_bundle, reference_checkpoint, capsys):
    code = main(["verify", "--checkpoint", str(reference_checkpoint), "--bundle", str(tiny_bundle), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["ok"]
    assert {g["graph"] for g in report["graphs"]} == {
        "model",
        "speaker_encoder",
        "text_encoder",
        "duration_predictor",
        "decoder",
    }
    model = next(g for g in report["graphs"] if g["graph"] == "model")
    assert len(model["cases"]) >= 5 and model["max_abs"] <= 1e-4
