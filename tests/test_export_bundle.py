"""ONNX export of the reference checkpoint: golden parity in ONNX Runtime, component composition,
the bundle's config contract, one shared weights file, seedable duration noise, and bad input."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import yourtts_onnx
from conftest import STUB_BUNDLE, all_synthesis_cases
from runtime_helpers import EMBEDDING_ATOL, embedding_error
from yourtts_onnx.cli import main
from yourtts_onnx.errors import BundleError, ExportError
from yourtts_onnx.export.bundle_writer import export_bundle, model_dims
from yourtts_onnx.export.checkpoint import load_checkpoint
from yourtts_onnx.export.graphs import tts_specs
from yourtts_onnx.export.receptive_fields import decoder_receptive_fields
from yourtts_onnx.export.verify import verify_graph
from yourtts_onnx.runtime.alignment import expand_prior
from yourtts_onnx.runtime.bundle import Bundle, sha256_file
from yourtts_onnx.runtime.output_dir import OWNER_FILE
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.similarity import snr_db
from yourtts_onnx.runtime.text import TextFrontendConfig

pytestmark = pytest.mark.export

CASES = all_synthesis_cases()
ATOL = 1e-4
# model.onnx against Coqui's waveforms: observed 128.0-129.4 dB on both references; one flow weight moved by
# 1e-3 after export gives 109.9-113.8 dB (scripts/mutation_check.py), so 120 dB tells them apart
MIN_SNR_DB = 120.0
ALL_GRAPHS = {"model", "speaker_encoder", "text_encoder", "duration_predictor", "decoder", "flow", "vocoder"}


def _text_config(ckpt) -> TextFrontendConfig:
    return TextFrontendConfig.from_coqui(
        ckpt.config.characters.raw, ckpt.config.add_blank, ckpt.config.text_cleaner
    )


def _session(path: Path) -> ort.InferenceSession:
    return create_session(path, CPU_OPTIONS)


def _dp_noise(states: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((states.shape[0], 2, states.shape[2])).astype(np.float32)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_model_onnx_reproduces_coqui(reference_bundles, case):
    model_session = _session(reference_bundles(case.reference) / "model.onnx")
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
    assert snr_db(case.waveform, wav) >= MIN_SNR_DB
    np.testing.assert_array_equal(lengths, case.durations.sum(axis=(1, 2)).astype(np.int64) * 256)


def test_speaker_encoder_onnx_reproduces_window(tiny_bundle, golden_dir):
    x = np.load(golden_dir / "se_window_input.npy").astype(np.float32)
    want = np.load(golden_dir / "se_window_output.npy")
    session = _session(tiny_bundle / "speaker_encoder.onnx")
    (got,) = session.run(None, {"audio": x.reshape(1, -1)})
    # measured 1.2e-7 (both references); EMBEDDING_ATOL: other clips' embeddings are ≥ 2e-3 apart
    assert float(np.abs(got.reshape(want.shape) - want).max()) <= ATOL
    assert embedding_error(got, want) <= EMBEDDING_ATOL
    # negative controls: the window 0.1 s later (5.2e-3 away) and at half the level (1.4e-3) fail the check
    for other in (np.roll(x.reshape(1, -1), 1600, axis=1), 0.5 * x.reshape(1, -1)):
        (moved,) = session.run(None, {"audio": other})
        assert embedding_error(moved, want) > EMBEDDING_ATOL


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_component_graphs_compose_to_model(reference_bundles, case):
    tiny_bundle = reference_bundles(case.reference)
    model_session = _session(tiny_bundle / "model.onnx")
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
            "dp_noise": _dp_noise(states),  # multiplied by noise_scale_dp = 0 in these cases
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
    assert set(config["graphs"]) == ALL_GRAPHS
    on_disk = {p.name for p in tiny_bundle.iterdir()} - {"config.json", OWNER_FILE}
    assert (
        set(config["files"]) == on_disk == {*(f"{g}.onnx" for g in ALL_GRAPHS), "weights.bin", "speakers.npy"}
    )
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
        model = onnx.load(str(tiny_bundle / graph["file"]), load_external_data=False)
        assert (model.producer_name, model.producer_version) == ("yourtts-onnx", yourtts_onnx.__version__)
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
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        OWNER_FILE,
        "config.json",
        "model.onnx",
        "speakers.npy",
        "weights.bin",
    ]
    # the end-to-end graph alone holds all the model's weights: the shared file is just its distinct weights
    spans = set(_external_spans(tmp_path / "b" / "model.onnx").values())
    assert sum(length for _, _, length in spans) == (tmp_path / "b" / "weights.bin").stat().st_size


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
    (tmp_path / "ckpt").mkdir()
    code = main(["export", "--checkpoint", str(tmp_path / "ckpt"), "--out", str(tmp_path / "b")])
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
    assert {g["graph"] for g in report["graphs"]} == ALL_GRAPHS | {"receptive_fields"}
    fields = next(g for g in report["graphs"] if g["graph"] == "receptive_fields")
    # 2 lengths x windows of (decoder, flow, vocoder, flow + vocoder), and the torch reach of flow and vocoder
    assert len(fields["cases"]) == 10 and fields["max_abs"] <= 1e-5
    assert sum("one changed frame reaches" in c["inputs"] for c in fields["cases"]) == 2
    model = next(g for g in report["graphs"] if g["graph"] == "model")
    assert len(model["cases"]) >= 5 and model["max_abs"] <= 1e-4


# ------------------------------------------------------------------ weights stored once
def _external_spans(path: Path) -> dict[str, tuple[str, int, int]]:
    model = onnx.load(str(path), load_external_data=False)
    spans = {}
    for t in model.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            info = {e.key: e.value for e in t.external_data}
            spans[t.name] = (info["location"], int(info["offset"]), int(info["length"]))
    return spans


def test_graphs_share_one_weights_file_each_tensor_once(tiny_bundle):
    weights = tiny_bundle / "weights.bin"
    data = weights.read_bytes()
    seen: dict[bytes, tuple[int, int]] = {}
    used: set[tuple[int, int]] = set()
    by_graph: dict[str, set[tuple[int, int]]] = {}
    for name in ALL_GRAPHS:
        spans = _external_spans(tiny_bundle / f"{name}.onnx")
        assert spans, name
        by_graph[name] = set()
        for location, offset, length in spans.values():
            assert location == "weights.bin" and offset + length <= len(data)
            chunk = data[offset : offset + length]
            assert seen.setdefault(chunk, (offset, length)) == (offset, length), "same bytes stored twice"
            used.add((offset, length))
            by_graph[name].add((offset, length))
    # every byte of the file belongs to a tensor: nothing duplicated, nothing wasted
    assert sum(length for _, length in used) == len(data)
    # the end-to-end graph is the components': it and the split decoder add no weights of their own
    components = by_graph["text_encoder"] | by_graph["duration_predictor"] | by_graph["decoder"]
    assert by_graph["model"] <= components and by_graph["model"] >= by_graph["decoder"]
    assert by_graph["flow"] | by_graph["vocoder"] == by_graph["decoder"]
    # and the .onnx files hold structure only
    for name in ALL_GRAPHS:
        assert (tiny_bundle / f"{name}.onnx").stat().st_size < 0.5e6


def test_every_graph_loads_from_its_path_and_a_lone_copy_needs_its_weights(tiny_bundle, tmp_path):
    for name in ALL_GRAPHS:
        session = _session(tiny_bundle / f"{name}.onnx")
        assert session.get_inputs()
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "model.onnx").write_bytes((tiny_bundle / "model.onnx").read_bytes())
    with pytest.raises(BundleError, match=r"model\.onnx"):
        _session(lone / "model.onnx")
    (lone / "weights.bin").write_bytes((tiny_bundle / "weights.bin").read_bytes())
    assert _session(lone / "model.onnx").get_inputs()[0].name == "input"


# ------------------------------------------------------------------ seedable duration noise
def test_duration_predictor_takes_its_noise_as_input(tiny_bundle, reference_checkpoint):
    dp_path = tiny_bundle / "duration_predictor.onnx"
    ops = {n.op_type for n in onnx.load(str(dp_path), load_external_data=False).graph.node}
    assert not any(op.startswith("Random") for op in ops)
    model_ops = {
        n.op_type for n in onnx.load(str(tiny_bundle / "model.onnx"), load_external_data=False).graph.node
    }
    assert "RandomNormalLike" in model_ops  # model.onnx keeps drawing its own noise (documented)

    case = next(c for c in CASES if c.reference == reference_checkpoint.parent.name)
    states, _, _, mask = _session(tiny_bundle / "text_encoder.onnx").run(
        None, {"input": case.input, "input_lengths": case.input_lengths, "language_id": case.language_ids}
    )
    emb = case.d_vectors.astype(np.float32)
    scales = np.array([0.0, 1.0, 1.0], dtype=np.float32)  # the duration noise on
    noise = _dp_noise(states, seed=5)
    dp = _session(dp_path)

    def run(n: np.ndarray) -> np.ndarray:
        feeds = {"encoder_states": states, "text_mask": mask, "speaker_embedding": emb}
        return dp.run(None, {**feeds, "language_id": case.language_ids, "scales": scales, "dp_noise": n})[0]

    a, b, c = run(noise), run(noise.copy()), run(_dp_noise(states, seed=6))
    np.testing.assert_array_equal(a, b)  # same noise, same durations: a host can reproduce a synthesis
    assert float(np.abs(a - c).max()) > 1e-3  # the noise matters

    # the graph with its noise on against PyTorch, judged as the export judges it (float64 arbitration:
    # on the live reference the spline couplings amplify float32 rounding to ~1e-4 in PyTorch itself)
    ckpt = load_checkpoint(reference_checkpoint)
    spec = next(
        s for s in tts_specs(ckpt.model, model_dims(ckpt, _text_config(ckpt))) if s.name == dp_path.stem
    )
    point = {
        "encoder_states": states,
        "text_mask": mask,
        "speaker_embedding": emb,
        "language_id": case.language_ids,
        "scales": scales,
        "dp_noise": noise,
    }
    report = verify_graph(spec, dp_path, grid=[point])
    assert report.ok, report.failures
    durations = report.durations
    assert durations is not None and durations.differ == 0 and durations.tokens == int(mask.sum())


def test_plain_duration_predictor_keeps_every_declared_input():
    """The stub's checkpoint has the plain duration predictor, which uses neither ``scales`` nor ``dp_noise``:
    the exporter drops unused inputs, the bundle writer puts them back so every bundle has one contract."""
    config = json.loads((STUB_BUNDLE / "config.json").read_text())
    assert config["model"]["stochastic_duration_predictor"] is False
    dp = _session(STUB_BUNDLE / "duration_predictor.onnx")
    names = [i.name for i in dp.get_inputs()]
    assert names == [t["name"] for t in config["graphs"]["duration_predictor"]["inputs"]]
    assert names[-2:] == ["scales", "dp_noise"]
    rng = np.random.default_rng(0)
    feeds = {
        "encoder_states": rng.standard_normal((1, 12, 7)).astype(np.float32),
        "text_mask": np.ones((1, 1, 7), dtype=np.float32),
        "speaker_embedding": rng.standard_normal((1, 512)).astype(np.float32),
        "language_id": np.array([1], dtype=np.int64),
    }
    a = dp.run(
        None,
        {**feeds, "scales": np.array([0, 1, 0], np.float32), "dp_noise": np.zeros((1, 2, 7), np.float32)},
    )
    b = dp.run(
        None, {**feeds, "scales": np.array([1, 1, 1], np.float32), "dp_noise": _dp_noise(feeds["text_mask"])}
    )
    np.testing.assert_array_equal(a[0], b[0])


# ------------------------------------------------------------------ receptive fields
def test_receptive_fields_are_recorded_from_the_model(tiny_bundle, reference_checkpoint):
    config = json.loads((tiny_bundle / "config.json").read_text())
    fields = decoder_receptive_fields(load_checkpoint(reference_checkpoint).model)
    assert config["receptive_fields"] == {k: v.to_list() for k, v in fields.items()}
    assert Bundle.open(tiny_bundle).config.receptive_fields == fields
    d, f, v = (fields[k] for k in ("decoder", "flow", "vocoder"))
    assert (d.left, d.right) == (f.left + v.left, f.right + v.right) and min(f.left, v.left) > 0
    for name in ("decoder", "flow", "vocoder"):
        meta = {
            p.key: p.value
            for p in onnx.load(str(tiny_bundle / f"{name}.onnx"), load_external_data=False).metadata_props
        }
        assert json.loads(meta["receptive_field"]) == fields[name].to_list()


# ------------------------------------------------------------------ inspect
def test_inspect_bundle_and_lone_graph_with_external_weights(tiny_bundle, tmp_path, capsys):
    assert main(["inspect", str(tiny_bundle), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["graphs"]) == ALL_GRAPHS
    assert summary["total_bytes"] == sum(p.stat().st_size for p in tiny_bundle.iterdir())
    model = summary["graphs"]["model"]
    assert model["external"] == {
        "weights.bin": sum(
            length for _, _, length in set(_external_spans(tiny_bundle / "model.onnx").values())
        )
    }
    assert model["parameters"] > 1_000_000 and model["bytes"] == (tiny_bundle / "model.onnx").stat().st_size

    lone = tmp_path / "lone"
    lone.mkdir()
    for name in ("decoder.onnx", "weights.bin"):
        (lone / name).write_bytes((tiny_bundle / name).read_bytes())
    assert main(["inspect", str(lone / "decoder.onnx")]) == 0
    out = capsys.readouterr().out
    assert "in weights.bin" in out and "meta receptive_field" in out and "m_p" in out
    (lone / "weights.bin").unlink()
    assert main(["inspect", str(lone / "decoder.onnx")]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "weights.bin" in err and err.count("\n") == 1


# ------------------------------------------------------------------ live stages, the verification record
def test_verification_record_and_untrained_stage_warnings(tiny_bundle, reference, capsys):
    """config.json records what verification measured (SNR, durations agreement) and inspect shows it; the
    random-init reference is flagged as untrained (identity flow and duration flow), the live one is not."""
    record = json.loads((tiny_bundle / "config.json").read_text())["verification"]
    dp = record["graphs"]["duration_predictor"]
    assert (
        dp["durations"]["tokens"] > 0
        and dp["durations"]["equal"] + dp["durations"]["ties"] == dp["durations"]["tokens"]
    )
    assert all(g["min_snr_db"] is None or g["min_snr_db"] >= 80 for g in record["graphs"].values())
    warned = {w.split(":")[0] for w in record["warnings"]}
    assert warned == (set() if reference.short == "live" else {"flow", "duration_predictor"})
    assert main(["inspect", str(tiny_bundle)]) == 0
    out = capsys.readouterr().out
    assert "durations" in out and "min SNR" in out
    assert ("untrained initialisation" in out) == (reference.short == "tiny")


def test_perturbed_flow_after_export_fails_verification(reference_bundles, tmp_path, capsys):
    """Negative control: one coupling weight of the live flow moved by 1e-3 after export must fail `verify`
    (the flow graph's z lands ~5x beyond atol; PyTorch float32's own error is ~1e-6)."""
    from conftest import REFERENCE

    bundle = reference_bundles("yourtts-tiny-live")
    ckpt = tmp_path / "perturbed"
    shutil.copytree(REFERENCE / "yourtts-tiny-live" / "checkpoint", ckpt)
    raw = torch.load(ckpt / "model_file.pth", weights_only=True)
    raw["model"]["flow.flows.0.post.weight"][0, 0, 0] += 1e-3
    torch.save(raw, ckpt / "model_file.pth")
    assert main(["verify", "--checkpoint", str(ckpt), "--bundle", str(bundle)]) == 6
    captured = capsys.readouterr()
    failing = [line.split()[0] for line in captured.out.splitlines()[1:] if line.rstrip().endswith("FAIL")]
    assert "flow" in failing
    assert "float64 arbitration" in captured.err
