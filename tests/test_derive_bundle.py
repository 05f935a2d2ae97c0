"""Bundles derived by ``quantize``: INT8, fp16, and fp32 (an older bundle rewritten in the current layout),
each written like an export with one shared weights file; and the polyphase rewrite INT8 relies on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import yourtts_onnx
from runtime_helpers import INT8_MIN_SNR_DB
from yourtts_onnx.cli import main
from yourtts_onnx.optimize.derive import derive_bundle
from yourtts_onnx.optimize.surgery import conv_transpose_to_conv
from yourtts_onnx.runtime.bundle import Bundle, sha256_file
from yourtts_onnx.runtime.output_dir import OWNER_FILE
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer

pytestmark = pytest.mark.export

TEXT = "The quick brown fox jumps over the lazy dog while the sun sets slowly behind the distant green hills."
ALL_GRAPHS = {"model", "speaker_encoder", "text_encoder", "duration_predictor", "decoder", "flow", "vocoder"}


def _convtranspose_model(c_in: int, c_out: int, k: int, s: int) -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((c_in, c_out, k)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(c_out).astype(np.float32), "b")
    node = helper.make_node(
        "ConvTranspose",
        ["x", "w", "b"],
        ["y"],
        kernel_shape=[k],
        strides=[s],
        pads=[(k - s) // 2, (k - s) // 2],
    )
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c_in, "n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c_out, "m"])],
        [w, b],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize(("k", "s"), [(16, 8), (4, 2), (11, 5)])
def test_polyphase_rewrite_equals_conv_transpose(k: int, s: int) -> None:
    model = _convtranspose_model(6, 5, k, s)
    x = np.random.default_rng(2).standard_normal((1, 6, 23)).astype(np.float32)
    want = create_session(model.SerializeToString(), CPU_OPTIONS).run(None, {"x": x})[0]
    assert conv_transpose_to_conv(model) == 1
    onnx.checker.check_model(model)
    assert not any(n.op_type == "ConvTranspose" for n in model.graph.node)
    got = create_session(model.SerializeToString(), CPU_OPTIONS).run(None, {"x": x})[0]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-4)


def _synthesize(bundle_dir: Path) -> np.ndarray:
    bundle = Bundle.open(bundle_dir, verify_hashes=False)
    tok = Tokenizer(TextFrontendConfig.from_dict(bundle.config.text))
    ids = np.array([tok.encode(TEXT, "en")], dtype=np.int64)
    emb = next(iter(bundle.speaker_embeddings().values()))[None, :]
    out, lengths = create_session(bundle.graph_path("model"), CPU_OPTIONS).run(
        None,
        {
            "input": ids,
            "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
            "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32),
            "speaker_embedding": emb,
            "language_id": np.array([0], dtype=np.int64),
        },
    )
    return out[0, 0, : int(lengths[0])]


def _snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    noise = float(np.sum((reference.astype(np.float64) - test) ** 2))
    return 10 * np.log10(float(np.sum(reference.astype(np.float64) ** 2)) / noise)


def _spans(path: Path) -> set[tuple[int, int]]:
    model = onnx.load(str(path), load_external_data=False)
    out = set()
    for t in model.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            info = {e.key: e.value for e in t.external_data}
            assert info["location"] == "weights.bin"
            out.add((int(info["offset"]), int(info["length"])))
    return out


def _check_layout(out: Path, labels: dict[str, str], copies: frozenset[str] = frozenset()) -> None:
    """``copies``: the CPU copies the bundle must have besides its graphs (``vocoder.ort-cpu.onnx``)."""
    raw = json.loads((out / "config.json").read_text())
    assert set(raw["files"]) == {*(f"{g}.onnx" for g in ALL_GRAPHS), "weights.bin", "speakers.npy", *copies}
    assert {p.name for p in out.iterdir()} == {*raw["files"], "config.json", OWNER_FILE}
    for name, meta in raw["files"].items():
        assert sha256_file(out / name) == meta["sha256"] and (out / name).stat().st_size == meta["bytes"]
    size = (out / "weights.bin").stat().st_size
    used = set().union(*(_spans(out / f) for f in (*(f"{g}.onnx" for g in ALL_GRAPHS), *copies)))
    assert sum(length for _, length in used) == size  # every stored tensor is used, none twice
    for name in ALL_GRAPHS:
        model = onnx.load(str(out / f"{name}.onnx"), load_external_data=False)
        meta = {p.key: p.value for p in model.metadata_props}
        assert (meta["graph"], meta["precision"]) == (name, labels[name])
        assert (model.producer_name, model.producer_version) == ("yourtts-onnx", yourtts_onnx.__version__)
        assert raw["graphs"][name]["precision"] == labels[name]
        assert create_session(out / f"{name}.onnx", CPU_OPTIONS).get_outputs()


def test_int8_bundle_shares_weights_and_stays_close_to_fp32(tmp_path: Path, tiny_bundle: Path) -> None:
    out = tmp_path / "int8"
    result = derive_bundle(tiny_bundle, out, "int8", progress=lambda _m: None)
    labels = {
        "model": "mixed",
        "decoder": "mixed",
        "vocoder": "int8",
        "flow": "mixed",
        "speaker_encoder": "fp16",
        "text_encoder": "fp32",
        "duration_predictor": "fp32",
    }
    assert result.graphs == labels
    flow = onnx.load(str(out / "flow.onnx"), load_external_data=False)
    large = [t for t in flow.graph.initializer if np.prod(t.dims) >= 1024]
    half = {t.name for t in large if t.data_type == onnx.TensorProto.FLOAT16}
    assert half and all(".cond_layer." in n for n in half)  # only the conditioning layers are fp16
    # the shipped recipe (HiFi-GAN + the flow's WaveNet convolutions): in_layers/res_skip_layers are INT8,
    # the coupling layers' pre/post convolutions stay fp32
    int8 = {t.name for t in large if t.data_type == onnx.TensorProto.INT8}
    assert any(".in_layers." in n for n in int8) and any(".res_skip_layers." in n for n in int8)
    assert not any(".post." in n or ".pre." in n or ".cond_layer." in n for n in int8)
    assert any(t.data_type == onnx.TensorProto.FLOAT and ".post." in t.name for t in flow.graph.initializer)
    assert json.loads((out / "config.json").read_text())["int8_recipe"] == {
        "flow": "wavenet",
        "text_encoder": "none",
    }
    bundle = Bundle.open(out)  # hashes verified
    assert bundle.config.precision == "int8"
    assert bundle.config.receptive_fields == Bundle.open(tiny_bundle).config.receptive_fields
    _check_layout(out, labels, frozenset({"vocoder.ort-cpu.onnx"}))
    assert (out / "weights.bin").stat().st_size < 0.65 * (tiny_bundle / "weights.bin").stat().st_size

    # model.onnx is kept and costs little: nearly all it reads is the components' weights
    components = set().union(*(_spans(out / f"{g}.onnx") for g in ALL_GRAPHS - {"model"}))
    own = sum(length for span in _spans(out / "model.onnx") - components for length in [span[1]])
    assert own < 0.05 * (out / "weights.bin").stat().st_size

    a, b = _synthesize(tiny_bundle), _synthesize(out)
    assert len(a) == len(b)  # durations come from fp32 graphs in both
    assert _snr_db(a, b) > INT8_MIN_SNR_DB  # measured 34.23 dB (tiny), 34.42 dB (live): runtime_helpers

    audio = (0.1 * np.sin(np.arange(32000) / 16000 * 2 * np.pi * 140)).astype(np.float32)[None, :]
    e32 = create_session(tiny_bundle / "speaker_encoder.onnx", CPU_OPTIONS).run(None, {"audio": audio})[0]
    e16 = create_session(out / "speaker_encoder.onnx", CPU_OPTIONS).run(None, {"audio": audio})[0]
    assert float(np.sum(e32 * e16) / np.linalg.norm(e32) / np.linalg.norm(e16)) > 0.9999


def test_fp16_bundle_halves_weights(
    tmp_path: Path, tiny_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fp16"
    assert main(["quantize", "--bundle", str(tiny_bundle), "--precision", "fp16", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    # the weights that decide durations stay fp32 wherever they are (model.onnx holds them too)
    labels = {**dict.fromkeys(ALL_GRAPHS, "fp16"), "text_encoder": "fp32", "duration_predictor": "fp32"}
    _check_layout(out, {**labels, "model": "mixed"})
    assert Bundle.open(out).config.precision == "fp16"
    assert (out / "weights.bin").stat().st_size < 0.55 * (tiny_bundle / "weights.bin").stat().st_size
    a, b = _synthesize(tiny_bundle), _synthesize(out)
    # equal lengths = equal durations: on the live reference, fp16 duration-predictor weights changed one
    # token's frames (77056 vs 77312 samples) before those weights were kept fp32
    assert len(a) == len(b) and _snr_db(a, b) > 30


def _make_old_bundle(tiny_bundle: Path, old: Path) -> None:
    """The layout before shared weights: self-contained graphs, no flow/vocoder, no receptive fields."""
    old.mkdir()
    raw = json.loads((tiny_bundle / "config.json").read_text())
    for name in ("flow", "vocoder"):
        del raw["graphs"][name]
    raw.pop("receptive_fields")
    for graph in raw["graphs"].values():
        onnx.save(onnx.load(str(tiny_bundle / graph["file"])), str(old / graph["file"]))
    shutil.copyfile(tiny_bundle / "speakers.npy", old / "speakers.npy")
    raw["files"] = {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in sorted(old.iterdir())
    }
    (old / "config.json").write_text(json.dumps(raw, indent=2))


def test_fp32_derive_rewrites_an_older_bundle(tmp_path: Path, tiny_bundle: Path) -> None:
    old, out = tmp_path / "old", tmp_path / "new"
    _make_old_bundle(tiny_bundle, old)
    assert not (old / "weights.bin").exists()
    result = derive_bundle(old, out, "fp32", progress=lambda _m: None)
    assert set(result.graphs) == ALL_GRAPHS
    _check_layout(out, dict.fromkeys(ALL_GRAPHS, "fp32"))
    bundle = Bundle.open(out)
    assert bundle.config.receptive_fields == {}  # unknown without the checkpoint: not invented
    # the split graphs, run back to back, are the decoder
    rng = np.random.default_rng(0)
    z_p = rng.standard_normal((1, 32, 40)).astype(np.float32)
    emb = rng.standard_normal((1, 512)).astype(np.float32)
    n = np.array([40], dtype=np.int64)
    (z,) = create_session(out / "flow.onnx", CPU_OPTIONS).run(
        None, {"z_p": z_p, "frame_lengths": n, "speaker_embedding": emb}
    )
    (split,) = create_session(out / "vocoder.onnx", CPU_OPTIONS).run(None, {"z": z, "speaker_embedding": emb})
    whole = create_session(out / "decoder.onnx", CPU_OPTIONS).run(
        None,
        {
            "m_p": z_p,
            "logs_p": np.zeros_like(z_p),
            "frame_lengths": n,
            "speaker_embedding": emb,
            "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32),
        },
    )[0]
    assert float(np.abs(split - whole).max()) <= 1e-5
    # the same distinct weights as a fresh export: the split graphs and model.onnx add none
    assert (out / "weights.bin").stat().st_size == (tiny_bundle / "weights.bin").stat().st_size


def test_derive_refuses_a_derived_source(
    tmp_path: Path, tiny_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fp16"
    derive_bundle(tiny_bundle, out, "fp16", progress=lambda _m: None)
    code = main(["quantize", "--bundle", str(out), "--precision", "int8", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code != 0 and "derive from an fp32 export" in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_int8_recipe_quantises_the_flow_and_text_encoder_convolutions(
    tmp_path: Path, live_bundle: Path
) -> None:
    """The recipes beyond HiFi-GAN (issue 22) on live weights: the chosen convolutions of flow.onnx and
    text_encoder.onnx become QDQ (int8 weights), the labels say so, cond_layer and the duration predictor stay,
    and the quality module measures the result against the fp32 bundle."""
    from yourtts_onnx.bench.int8_quality import measure
    from yourtts_onnx.optimize.int8_recipe import Int8Recipe

    out = tmp_path / "int8"
    recipe = Int8Recipe(flow="wavenet", text_encoder="convs")
    result = derive_bundle(live_bundle, out, "int8", recipe=recipe, progress=lambda _m: None)
    assert result.graphs["flow"] == "mixed" and result.graphs["text_encoder"] == "mixed"
    assert result.graphs["duration_predictor"] == "fp32"
    raw = json.loads((out / "config.json").read_text())
    assert raw["int8_recipe"] == {"flow": "wavenet", "text_encoder": "convs"}

    def int8_weights(graph: str) -> set[str]:
        model = onnx.load(str(out / f"{graph}.onnx"), load_external_data=False)
        return {t.name for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8}

    flow = int8_weights("flow")
    assert any(".in_layers." in n for n in flow) and any(".res_skip_layers." in n for n in flow)
    assert not any("cond_layer" in n or ".post." in n for n in flow)
    te = int8_weights("text_encoder")
    assert any("conv_q" in n for n in te) and any("conv_2" in n for n in te)
    assert not int8_weights("duration_predictor")

    # control: the fp32 bundle against itself passes every gate exactly; the recipe changes the waveform
    q = measure(live_bundle, {"fp32": live_bundle, "more": out}, speakers=1, progress=lambda _m: None)
    same, more = q["recipes"]["fp32"], q["recipes"]["more"]
    assert (
        same["durations_changed_tokens"] == 0 and same["noise0"]["snr_db"] == float("inf") and same["passes"]
    )
    assert same["noise0"]["embedding_cosine_min"] == pytest.approx(1.0, abs=1e-6)
    assert more["tokens"] == same["tokens"] > 0 and more["noise0"]["snr_db"] < 200
    assert set(more["gates"]) == {"durations_equal", "snr_db", "speaker_cosine"}
    assert more["passes"] == all(more["gates"].values())
