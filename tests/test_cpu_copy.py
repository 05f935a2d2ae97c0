"""An INT8 bundle's channels-last vocoder copy for ONNX Runtime's CPU provider (``optimize/cpu_layout.py``):
written by ``quantize`` beside the portable ``vocoder.onnx`` only if it gives the same samples, read by the
runtime on the CPU, and never trusted: a copy that differs is not written, one that cannot be loaded is
passed over with a warning. On the live reference checkpoint (a trained-like flow and vocoder input)."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jsonschema
import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from yourtts_onnx.optimize import cpu_layout
from yourtts_onnx.optimize.derive import derive_bundle
from yourtts_onnx.runtime import Synthesizer
from yourtts_onnx.runtime.bundle import sha256_file
from yourtts_onnx.runtime.session import SessionOptions

pytestmark = pytest.mark.export

COPY = "vocoder.ort-cpu.onnx"
TEXT = "The quick brown fox jumps over the lazy dog while the sun sets slowly behind the distant green hills."
QUIET = {"noise_scale": 0.0, "noise_scale_dp": 0.0}


@pytest.fixture(scope="module")
def derived(live_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The live checkpoint's INT8 bundle and what ``quantize`` said making it."""
    said: list[str] = []
    out = tmp_path_factory.mktemp("cpu-copy") / "int8"
    derive_bundle(live_bundle, out, "int8", progress=said.append)
    return out, said


def _synth(bundle: Path, **options: object) -> Synthesizer:
    integrity = str(options.pop("integrity", "stamp"))
    return Synthesizer.from_bundle(
        bundle, session_options=SessionOptions(threads=2, **options), backend="split", integrity=integrity
    )


def test_quantize_writes_a_channels_last_copy_beside_the_portable_vocoder(derived):
    out, said = derived
    raw = json.loads((out / "config.json").read_text())
    assert raw["graphs"]["vocoder"]["cpu_file"] == COPY and raw["graphs"]["vocoder"]["file"] == "vocoder.onnx"
    assert COPY in raw["files"]  # hashed like every file of the bundle
    schema = json.loads(
        resources.files("yourtts_onnx").joinpath("schemas/bundle_config.schema.json").read_text()
    )
    jsonschema.validate(raw, schema)  # the published contract knows the field
    (line,) = [m for m in said if m.startswith(f"{COPY}:")]
    assert "max difference 0 " in line  # bit-identical on the calibration latents
    model = onnx.load(str(out / COPY), load_external_data=False)
    assert {n.domain for n in model.graph.node} <= {"", "com.microsoft"}
    ops = [n.op_type for n in model.graph.node]
    # ONNX Runtime's own optimisation leaves a transpose on each side of nearly every convolution
    before = int(line.split("(")[1].split(" -> ")[0])
    assert ops.count("Transpose") <= 3 < before
    assert ops.count("QLinearConv") > 10 and "QLinearAdd" in ops
    meta = {p.key: p.value for p in model.metadata_props}
    assert (meta["graph"], meta["precision"], meta["layout"]) == ("vocoder", "int8", cpu_layout.LAYOUT)
    # its weights are the portable graph's, stored once: the copy adds a few small tensors of its own
    portable = onnx.load(str(out / "vocoder.onnx"), load_external_data=False)

    def spans(m: onnx.ModelProto) -> set[tuple[str, str]]:
        return {
            tuple(e.value for e in t.external_data if e.key in ("offset", "length"))  # type: ignore[misc]
            for t in m.graph.initializer
            if t.external_data
        }

    assert spans(model) and spans(model) <= spans(portable)
    assert (model.producer_name, model.producer_version) == (
        portable.producer_name,
        portable.producer_version,
    )


def test_the_runtime_reads_the_copy_on_the_cpu_and_it_sounds_the_same(derived):
    out, _ = derived
    fast, portable = _synth(out), _synth(out, cpu_copies=False)
    assert fast.backend.files["vocoder"] == COPY and portable.backend.files["vocoder"] == "vocoder.onnx"
    a = portable.synthesize(TEXT, **QUIET).samples
    b = fast.synthesize(TEXT, **QUIET).samples
    assert a.shape == b.shape and float(np.abs(a - b).max()) <= cpu_layout.CPU_COPY_ATOL  # measured: 0.0
    streamed = np.concatenate([c.samples for c in fast.stream(TEXT, chunk_frames=16, **QUIET)])
    assert float(np.abs(streamed - a).max()) <= cpu_layout.CPU_COPY_ATOL  # windows see the same values


def _perturb_one_conv(model: onnx.ModelProto) -> None:
    """Negative control: one integer convolution's weights off by one step (a wrong rewrite's size of error)."""
    inits = {t.name: t for t in model.graph.initializer}
    conv = next(n for n in model.graph.node if n.op_type == "QLinearConv" and n.input[3] in inits)
    w = numpy_helper.to_array(inits[conv.input[3]]).copy()
    w.flat[::7] = np.clip(w.flat[::7].astype(np.int16) + 1, -127, 127).astype(w.dtype)
    inits[conv.input[3]].CopyFrom(numpy_helper.from_array(w, conv.input[3]))


def test_a_copy_that_differs_is_not_written(live_bundle, tmp_path, monkeypatch):
    strip: Callable[[onnx.ModelProto], int] = cpu_layout.strip_layout_transposes

    def wrong(model: onnx.ModelProto) -> int:
        removed = strip(model)
        _perturb_one_conv(model)
        return removed

    monkeypatch.setattr(cpu_layout, "strip_layout_transposes", wrong)
    said: list[str] = []
    derive_bundle(live_bundle, tmp_path / "int8", "int8", progress=said.append)
    raw = json.loads((tmp_path / "int8" / "config.json").read_text())
    assert "cpu_file" not in raw["graphs"]["vocoder"] and not (tmp_path / "int8" / COPY).exists()
    (line,) = [m for m in said if m.startswith(f"not writing {COPY}")]
    assert "differs from vocoder.onnx by" in line
    # the bundle still speaks, through the portable graph
    assert _synth(tmp_path / "int8").backend.files["vocoder"] == "vocoder.onnx"


def test_the_same_check_tells_a_perturbed_copy(derived):
    """The runtime comparison above separates right from wrong: the copy with one convolution off by one
    step differs by far more than the tolerance."""
    out, _ = derived
    copy = onnx.load(str(out / COPY))
    portable = onnx.load(str(out / "vocoder.onnx"))
    z = np.random.default_rng(0).standard_normal(
        (1, portable.graph.input[0].type.tensor_type.shape.dim[1].dim_value, 40)
    )
    emb = np.random.default_rng(1).standard_normal((1, 512)).astype(np.float32)
    feeds = [{"z": z.astype(np.float32), "speaker_embedding": emb}]
    assert cpu_layout.max_difference(portable, copy, feeds, "vocoder") <= cpu_layout.CPU_COPY_ATOL
    _perturb_one_conv(copy)
    assert cpu_layout.max_difference(portable, copy, feeds, "vocoder") > 100 * cpu_layout.CPU_COPY_ATOL


def test_a_copy_this_onnxruntime_cannot_load_is_passed_over_with_a_warning(derived, tmp_path, caplog):
    out, _ = derived
    broken = tmp_path / "bundle"
    shutil.copytree(out, broken)
    # a copy from a newer onnxruntime: an operator this one does not have (the bundle's record matches it)
    model = onnx.load(str(broken / COPY), load_external_data=False)
    next(n for n in model.graph.node if n.op_type == "QLinearAdd").op_type = "QLinearAddFromTheFuture"
    onnx.save(model, str(broken / COPY))
    raw = json.loads((broken / "config.json").read_text())
    raw["files"][COPY] = {"sha256": sha256_file(broken / COPY), "bytes": (broken / COPY).stat().st_size}
    (broken / "config.json").write_text(json.dumps(raw))
    with caplog.at_level(logging.WARNING, logger="yourtts_onnx.runtime.backends"):
        synth = _synth(broken)
    assert synth.backend.files["vocoder"] == "vocoder.onnx"
    assert any(
        COPY in r.getMessage() and "using the portable vocoder.onnx" in r.getMessage() for r in caplog.records
    )
    np.testing.assert_array_equal(
        synth.synthesize(TEXT, **QUIET).samples, _synth(out).synthesize(TEXT, **QUIET).samples
    )


def test_inspect_lists_the_copy(derived):
    from yourtts_onnx.runtime.inspect import format_summary, summarize_bundle

    out, _ = derived
    summary = summarize_bundle(out)
    copy = summary.graphs["vocoder (CPU copy)"]
    assert copy.file == COPY and copy.metadata["layout"] == cpu_layout.LAYOUT
    assert [t.name for t in copy.inputs] == [t.name for t in summary.graphs["vocoder"].inputs]
    assert f"vocoder (CPU copy): {COPY}" in format_summary(summary)
