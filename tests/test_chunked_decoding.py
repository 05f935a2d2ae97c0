"""Chunked (streaming) decoding, the decoder split, the polyphase rewrite and derived bundles."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from yourtts_onnx.optimize.derive import derive_bundle
from yourtts_onnx.optimize.surgery import conv_transpose_to_conv
from yourtts_onnx.runtime.bundle import Bundle, sha256_file
from yourtts_onnx.runtime.chunked_decoding import (
    ChunkSchedule,
    ReceptiveField,
    Stage,
    decode_chunks,
    decoder_stage,
    flow_vocoder_stages,
    stitch,
)
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.similarity import snr_db
from yourtts_onnx.runtime.synthesizer import Synthesizer

TEXT = "The quick brown fox jumps over the lazy dog while the sun sets slowly behind the distant green hills."
QUIET = {"language": "en", "noise_scale": 0.0, "noise_scale_dp": 0.0}
# The receptive fields of YourTTS's default sizes (the reference model has them): flow 32 frames, HiFi-GAN 9,
# both 41, each side. Given here so that the chunking is tested on its own, whatever config.json records.
FLOW_FIELD, VOCODER_FIELD, DECODER_FIELD = (
    ReceptiveField(32, 32),
    ReceptiveField(9, 9),
    ReceptiveField(41, 41),
)


@pytest.mark.parametrize("frames", [1, 7, 16, 17, 100, 1000])
def test_schedule_covers_every_frame_once(frames):
    bounds = ChunkSchedule(first=16, growth=2.0, max_frames=256).bounds(frames)
    assert bounds[0][0] == 0 and bounds[-1][1] == frames
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert all(e - s <= 256 + 8 for s, e in bounds)


def test_windows_of_a_convolution_match_the_whole_signal():
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal(9).astype(np.float32)

    def conv(x: np.ndarray) -> np.ndarray:  # 'same' convolution, zero padded: reach 4 frames each way
        full = np.convolve(x[0, 0], kernel, mode="full")
        return full[4 : 4 + x.shape[2]][None, None, :].astype(np.float32)

    z = rng.standard_normal((1, 1, 300)).astype(np.float32)
    whole = conv(z)
    chunks = list(decode_chunks([Stage(conv, ReceptiveField(4, 4))], z, schedule=ChunkSchedule(first=5)))
    np.testing.assert_allclose(stitch(chunks), whole.ravel(), atol=1e-5)
    too_small = list(decode_chunks([Stage(conv, ReceptiveField(2, 2))], z, schedule=ChunkSchedule(first=5)))
    assert np.abs(stitch(too_small) - whole.ravel()).max() > 1e-3  # the field matters


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
def test_polyphase_rewrite_equals_conv_transpose(k, s):
    model = _convtranspose_model(6, 5, k, s)
    x = np.random.default_rng(2).standard_normal((1, 6, 23)).astype(np.float32)
    want = create_session(model.SerializeToString(), CPU_OPTIONS).run(None, {"x": x})[0]
    assert conv_transpose_to_conv(model) == 1
    onnx.checker.check_model(model)
    assert not any(n.op_type == "ConvTranspose" for n in model.graph.node)
    got = create_session(model.SerializeToString(), CPU_OPTIONS).run(None, {"x": x})[0]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-4)


@pytest.fixture(scope="module")
def split_bundle(tmp_path_factory: pytest.TempPathFactory, tiny_bundle: Path) -> Path:
    out = tmp_path_factory.mktemp("derived") / "fp32-split"
    derive_bundle(tiny_bundle, out, "fp32", progress=lambda _m: None)
    return out


def test_split_graphs_and_chunks_reproduce_the_whole_decoder(split_bundle: Path):
    synth = Synthesizer.from_bundle(split_bundle, backend="components", threads=2)
    plan = synth.prepare(TEXT, synth.options(**QUIET))
    emb = plan.embedding
    z_p = synth.backend.latent(plan.utterances[0].ids, emb, plan.language_id, plan.scales.array())  # type: ignore[attr-defined]
    bundle, hop = synth.bundle, synth.config.hop_length
    sessions = {g: create_session(bundle.graph_path(g), CPU_OPTIONS) for g in ("decoder", "flow", "vocoder")}
    fused = [decoder_stage(sessions["decoder"], emb, DECODER_FIELD, hop)]
    split = flow_vocoder_stages(
        sessions["flow"],
        sessions["vocoder"],
        emb,
        flow_field=FLOW_FIELD,
        vocoder_field=VOCODER_FIELD,
        hop=hop,
    )
    whole = np.asarray(fused[0].run(z_p)).ravel()
    np.testing.assert_array_equal(np.asarray(split[1].run(split[0].run(z_p))).ravel(), whole)
    for stages in (fused, split):
        for first in (4, 16):
            chunks = list(decode_chunks(stages, z_p, schedule=ChunkSchedule(first=first)))
            assert len(chunks) > 1
            assert np.abs(stitch(chunks) - whole).max() < 1e-5
    too_small = [decoder_stage(sessions["decoder"], emb, ReceptiveField(2, 2), hop)]
    seams = stitch(list(decode_chunks(too_small, z_p, schedule=ChunkSchedule(first=8))))
    assert snr_db(whole, seams) < 80  # the recorded field matters


def _speak(bundle: Path) -> np.ndarray:
    return Synthesizer.from_bundle(bundle, backend="model", threads=2).synthesize(TEXT, **QUIET).samples


def test_int8_bundle_is_valid_and_close_to_fp32(tmp_path: Path, tiny_bundle: Path):
    out = tmp_path / "int8"
    result = derive_bundle(tiny_bundle, out, "int8", progress=lambda _m: None)
    bundle = Bundle.open(out)  # hashes verified
    raw = json.loads((out / "config.json").read_text())
    assert raw["precision"] == "int8" == bundle.config.precision
    assert bundle.config.graphs["vocoder"].precision == "int8"
    assert bundle.config.graphs["model"].precision == "mixed"
    assert bundle.config.graphs["text_encoder"].precision == "fp32"
    assert result.graphs["decoder"] == "mixed"
    for name, meta in raw["files"].items():
        assert sha256_file(out / name) == meta["sha256"]
    meta = {
        p.key: p.value for p in onnx.load(str(out / "vocoder.onnx"), load_external_data=False).metadata_props
    }
    assert meta["precision"] == "int8"
    a, b = _speak(tiny_bundle), _speak(out)
    assert len(a) == len(b)
    assert snr_db(a, b) > 15


def test_fp16_bundle_halves_weights(tmp_path: Path, tiny_bundle: Path):
    out = tmp_path / "fp16"
    derive_bundle(tiny_bundle, out, "fp16", streaming_graphs=False, progress=lambda _m: None)
    bundle = Bundle.open(out)
    assert bundle.config.precision == "fp16" and "flow" not in bundle.config.graphs
    assert (out / "decoder.onnx").stat().st_size < 0.6 * (tiny_bundle / "decoder.onnx").stat().st_size
    a, b = _speak(tiny_bundle), _speak(out)
    assert len(a) == len(b) and snr_db(a, b) > 30
