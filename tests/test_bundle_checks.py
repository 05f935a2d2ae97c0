"""``Bundle.open`` refuses damaged or hostile ``config.json`` values with a :class:`BundleError` naming the
field, before anything uses them (the CLI cases are in ``test_hostile_cli.py``)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from yourtts_onnx.errors import BundleError
from yourtts_onnx.runtime.bundle import Bundle

pytest_plugins = ["runtime_fixtures"]


def _set(*keys: str, value: object) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        node = config
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def _recipe(field: str, value: object) -> Callable[[dict], None]:
    return _set("speaker_encoder", "recipe", field, value=value)


CASES = {
    "sample-rate-0": (
        _set("audio", "sample_rate", value=0),
        "'audio.sample_rate' must be from 1000 to 384000",
    ),
    "sample-rate-1e9": (_set("audio", "sample_rate", value=10**9), "'audio.sample_rate'"),
    "sample-rate-float": (_set("audio", "sample_rate", value=16000.5), "'sample_rate' has the wrong type"),
    "hop-length-0": (_set("audio", "hop_length", value=0), "'audio.hop_length' must be from 1"),
    "hop-over-rate": (_set("audio", "hop_length", value=20000), "'audio.hop_length' must be from 1 to 16000"),
    "dim-0": (_set("speaker_embedding", "dim", value=0), "'speaker_embedding.dim'"),
    "length-scale-0": (_set("inference", "length_scale", value=0), "'inference.length_scale'"),
    "noise-scale-nan": (_set("inference", "noise_scale", value=math.nan), "'inference.noise_scale'"),
    "noise-scale-huge": (_set("inference", "noise_scale_dp", value=1e300), "'inference.noise_scale_dp'"),
    "language-id-negative": (_set("languages", "en", value=-1), "negative id"),
    "file-absolute": (
        lambda c: c["files"].__setitem__("/etc/passwd", {}),
        "must name a file inside the bundle",
    ),
    "speakers-outside": (
        _set("speakers", "file", value="../speakers.npy"),
        "must name a file inside the bundle",
    ),
    "cpu-copy-outside": (
        _set("graphs", "vocoder", "cpu_file", value="../vocoder.ort-cpu.onnx"),
        "graphs.vocoder: 'cpu_file' must name a file inside the bundle",
    ),
    "cpu-copy-not-a-string": (
        _set("graphs", "vocoder", "cpu_file", value=["vocoder.ort-cpu.onnx"]),
        "graphs.vocoder: 'cpu_file' must be a string",
    ),
    "cpu-copy-missing": (
        _set("graphs", "vocoder", "cpu_file", value="vocoder.ort-cpu.onnx"),
        "graph 'vocoder' file 'vocoder.ort-cpu.onnx' is missing",
    ),
    "recipe-window-huge": (_recipe("window_samples", 10**12), "'speaker_encoder.recipe.window_samples'"),
    "recipe-windows-huge": (_recipe("num_windows", 10**9), "'speaker_encoder.recipe.num_windows'"),
    "recipe-rate-0": (_recipe("sample_rate", 0), "'speaker_encoder.recipe.sample_rate'"),
    "nested-deep": (
        lambda c: c["model"].__setitem__("x", json.loads("[" * 60 + "]" * 60)),
        "nested deeper than",
    ),
}


def _write(bundle: Path, change: Callable[[dict], None]) -> None:
    config = json.loads((bundle / "config.json").read_text(encoding="utf-8"))
    change(config)
    (bundle / "config.json").write_text(json.dumps(config), encoding="utf-8")


@pytest.mark.parametrize("name", list(CASES))
def test_config_values_are_checked_at_open(copy_bundle, name):
    change, needle = CASES[name]
    bundle = copy_bundle()
    _write(bundle, change)
    with pytest.raises(BundleError, match=needle.replace("(", r"\(").replace(")", r"\)")) as info:
        Bundle.open(bundle, integrity="none")
    assert "\n" not in str(info.value)


def test_huge_config_is_refused_unread(copy_bundle):
    bundle = copy_bundle()
    with open(bundle / "config.json", "ab") as fh:
        fh.truncate(17 << 20)
    with pytest.raises(BundleError, match="more than the 16 MB a config may have"):
        Bundle.open(bundle, integrity="none")


def test_config_not_utf8(copy_bundle):
    bundle = copy_bundle()
    (bundle / "config.json").write_bytes(b'{"format": "\xff"}')
    with pytest.raises(BundleError, match="not UTF-8 text"):
        Bundle.open(bundle, integrity="none")


def test_non_finite_speaker_embeddings(copy_bundle):
    bundle = copy_bundle()
    table = np.load(bundle / "speakers.npy")
    table[1, 3] = np.nan
    np.save(bundle / "speakers.npy", table)
    with pytest.raises(BundleError, match="must be finite"):
        Bundle.open(bundle, integrity="none").speaker_embeddings()


def test_the_stub_and_its_values_pass(stub_bundle):
    config = Bundle.open(stub_bundle).config
    assert (config.sample_rate, config.hop_length) == (16000, 256)
