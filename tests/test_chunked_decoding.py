"""Chunked (streaming) decoding, the decoder split, the polyphase rewrite and derived bundles."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from yourtts_onnx.bench.ort_pipeline import Batch, OrtTTS, scales_array
from yourtts_onnx.bench.quality import snr_db
from yourtts_onnx.optimize.derive import derive_bundle
from yourtts_onnx.optimize.surgery import conv_transpose_to_conv
from yourtts_onnx.runtime.bundle import Bundle, sha256_file
from yourtts_onnx.runtime.chunked_decoding import (
    YOURTTS_DECODER_FIELD,
    YOURTTS_FLOW_FIELD,
    YOURTTS_VOCODER_FIELD,
    ChunkSchedule,
    ReceptiveField,
    Stage,
    decode_chunks,
    decoder_stage,
    stitch,
)
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer

TEXT = "The quick brown fox jumps over the lazy dog while the sun sets slowly behind the distant green hills."


def test_yourtts_receptive_fields():
    assert (YOURTTS_FLOW_FIELD.left, YOURTTS_VOCODER_FIELD.left, YOURTTS_DECODER_FIELD.left) == (32, 9, 41)
    assert YOURTTS_DECODER_FIELD.right == 41


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
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], kernel_shape=[k], strides=[s],
                            pads=[(k - s) // 2, (k - s) // 2])
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c_in, "n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c_out, "m"])], [w, b],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize(("k", "s"), [(16, 8), (4, 2), (11, 5)])
def test_polyphase_rewrite_equals_conv_transpose(k, s):
    model = _convtranspose_model(6, 5, k, s)
    x = np.random.default_rng(2).standard_normal((1, 6, 23)).astype(np.float32)
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert conv_transpose_to_conv(model) == 1
    onnx.checker.check_model(model)
    assert not any(n.op_type == "ConvTranspose" for n in model.graph.node)
    got = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-4)


@pytest.fixture(scope="module")
def split_bundle(tmp_path_factory: pytest.TempPathFactory, tiny_bundle: Path) -> Path:
    out = tmp_path_factory.mktemp("derived") / "fp32-split"
    derive_bundle(tiny_bundle, out, "fp32", progress=lambda _m: None)
    return out


def _prior(tts: OrtTTS) -> tuple[np.ndarray, np.ndarray]:
    tok = Tokenizer(TextFrontendConfig.from_dict(tts.bundle.config.text))
    ids = tok.encode(TEXT, "en")
    emb = next(iter(tts.bundle.speaker_embeddings().values()))
    return emb, tts.prior(Batch.of([ids], emb, 0, tok.pad_id), scales_array()).z_p


def test_split_graphs_and_chunks_reproduce_the_whole_decoder(split_bundle: Path):
    fused = OrtTTS.open(split_bundle, mode="components")
    split = OrtTTS(fused.bundle, mode="split", sessions=dict(fused.sessions))
    emb, z_p = _prior(fused)
    lengths = np.array([z_p.shape[2]], dtype=np.int64)
    whole = fused.decode(z_p, lengths, emb[None, :]).ravel()
    np.testing.assert_array_equal(split.decode(z_p, lengths, emb[None, :]).ravel(), whole)
    for tts in (fused, split):
        for first in (4, 16):
            chunks = list(decode_chunks(tts.stages(emb), z_p, schedule=ChunkSchedule(first=first)))
            assert len(chunks) > 1
            assert np.abs(stitch(chunks) - whole).max() < 1e-5
    session = fused.sessions["decoder"]
    one = stitch(list(decode_chunks([decoder_stage(session, emb)], z_p, schedule=ChunkSchedule(first=8))))
    assert snr_db(whole, one) > 80


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
    meta = {p.key: p.value for p in onnx.load(str(out / "vocoder.onnx"), load_external_data=False).metadata_props}
    assert meta["precision"] == "int8"
    ref = OrtTTS.open(tiny_bundle, mode="model")
    q = OrtTTS.open(out, mode="model")
    tok = Tokenizer(TextFrontendConfig.from_dict(bundle.config.text))
    batch = Batch.of([tok.encode(TEXT, "en")], next(iter(bundle.speaker_embeddings().values())), 0, tok.pad_id)
    a, b = ref.synthesize(batch, scales_array())[0], q.synthesize(batch, scales_array())[0]
    assert len(a) == len(b)
    assert snr_db(a, b) > 15


def test_fp16_bundle_halves_weights(tmp_path: Path, tiny_bundle: Path):
    out = tmp_path / "fp16"
    derive_bundle(tiny_bundle, out, "fp16", streaming_graphs=False, progress=lambda _m: None)
    bundle = Bundle.open(out)
    assert bundle.config.precision == "fp16" and "flow" not in bundle.config.graphs
    assert (out / "decoder.onnx").stat().st_size < 0.6 * (tiny_bundle / "decoder.onnx").stat().st_size
    ref = OrtTTS.open(tiny_bundle, mode="model")
    half = OrtTTS.open(out, mode="model")
    tok = Tokenizer(TextFrontendConfig.from_dict(bundle.config.text))
    batch = Batch.of([tok.encode(TEXT, "en")], next(iter(bundle.speaker_embeddings().values())), 0, tok.pad_id)
    a, b = ref.synthesize(batch, scales_array())[0], half.synthesize(batch, scales_array())[0]
    assert len(a) == len(b) and snr_db(a, b) > 30
