"""Crafted ``.npy`` files (a 192-byte file whose header declares 10¹³ floats, wrong dtypes, truncated data):
refused from the header before anything is allocated, and a damaged saved voice is listed as damaged, never
fatal — in the library, the HTTP service (``GET /v1/voices``, start-up), the Wyoming server (``describe``) and
``Bundle.speaker_embeddings``."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import STUB_BUNDLE
from server_support import client_for, make_app
from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime.npy import read_float_npy
from yourtts_onnx.runtime.voice_profiles import VOICE_FORMAT, VOICE_FORMAT_VERSION, load_profile_file

HUGE = 10**13


def crafted_npy(path: Path, shape: tuple[int, ...], descr: str = "<f4", data: bytes = b"\0" * 64) -> Path:
    """A valid .npy header (version 1.0) declaring ``shape``, followed by only ``data``."""
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (128 - 10 - len(header) - 1) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data)
    return path


def damaged_voice(voices: Path, name: str = "crafted", shape: tuple[int, ...] = (HUGE,)) -> None:
    voices.mkdir(parents=True, exist_ok=True)
    crafted_npy(voices / f"{name}.npy", shape)
    meta = {
        "format": VOICE_FORMAT,
        "format_version": VOICE_FORMAT_VERSION,
        "name": name,
        "embedding": f"{name}.npy",
    }
    (voices / f"{name}.json").write_text(json.dumps(meta))


def test_the_crafted_file_is_192_bytes_and_numpy_would_allocate_it(tmp_path):
    path = crafted_npy(tmp_path / "x.npy", (HUGE,))
    assert path.stat().st_size == 192
    with pytest.raises(MemoryError):  # what np.load does with it: the reason for read_float_npy
        np.load(path, allow_pickle=False)


@pytest.mark.parametrize(
    "shape, descr, data, needle",
    [
        ((HUGE,), "<f4", b"\0" * 64, "declares 10000000000000 values"),
        ((2**40,), "<f4", b"", "declares 1099511627776 values"),
        ((16,), "<f4", b"\0" * 60, "its header declares"),  # truncated
        ((16,), "<f4", b"\0" * 68, "its header declares"),  # trailing bytes
        ((16,), "|O", b"\0" * 64, "not floating-point"),
        ((16,), "<i4", b"\0" * 64, "not floating-point"),
    ],
)
def test_read_float_npy_checks_the_header_first(tmp_path, shape, descr, data, needle):
    path = crafted_npy(tmp_path / "x.npy", shape, descr, data)
    with pytest.raises(ValueError, match=needle):
        read_float_npy(path, max_elements=65_536)


def test_read_float_npy_reads_what_np_save_wrote(tmp_path):
    for value in (
        np.arange(512, dtype=np.float32),
        np.ones((3, 4), np.float64),
        np.asfortranarray(np.eye(3)),
    ):
        np.save(tmp_path / "v.npy", value)
        got = read_float_npy(tmp_path / "v.npy", max_elements=65_536)
        assert got.dtype == value.dtype and np.array_equal(got, value) and got.flags.writeable
    with pytest.raises(ValueError, match="not a regular file"):
        read_float_npy(tmp_path, max_elements=1)
    with pytest.raises(ValueError, match="expected shape"):
        read_float_npy(tmp_path / "v.npy", max_elements=100, shape=(4, 3))


def test_a_crafted_voice_is_a_clear_error_and_skipped_in_listings(tmp_path):
    from yourtts_onnx.runtime import Synthesizer

    damaged_voice(tmp_path / "voices")
    with pytest.raises(InputError, match=r"crafted\.npy' cannot be read: the header declares 10000000000000"):
        load_profile_file(tmp_path / "voices" / "crafted.json")
    synth = Synthesizer.from_bundle(STUB_BUNDLE, threads=1, voices_dir=tmp_path / "voices")
    assert synth.voices.saved() == []
    with pytest.raises(InputError, match="cannot be read"):
        synth.synthesize("Hi.", language="en", voice="crafted")


def test_an_oversized_profile_json_is_refused_unread(tmp_path):
    voices = tmp_path / "voices"
    voices.mkdir()
    with open(voices / "big.json", "wb") as fh:  # sparse: 2 GB declared, nothing on disk
        fh.truncate(2 << 30)
    with pytest.raises(InputError, match="is 2147483648 bytes; at most"):
        load_profile_file(voices / "big.json")


def test_http_lists_the_crafted_voice_as_damaged(tmp_path):
    from yourtts_onnx.runtime import Synthesizer

    damaged_voice(tmp_path / "voices")
    synth = Synthesizer.from_bundle(STUB_BUNDLE, threads=1, voices_dir=tmp_path / "voices")
    with client_for(make_app(synth, tmp_path)) as client:  # start-up reads the voices too
        r = client.get("/v1/voices")
        assert r.status_code == 200
        (entry,) = [v for v in r.json()["data"] if v["id"] == "crafted"]
        assert entry["damaged"] is True
        assert client.get("/health").status_code == 200


def test_wyoming_describe_survives_a_crafted_voice(tmp_path):
    pytest.importorskip("wyoming")
    from wyoming.info import Describe

    from wyoming_support import exchange, running_server
    from yourtts_onnx.runtime import Synthesizer

    damaged_voice(tmp_path / "voices")
    synth = Synthesizer.from_bundle(STUB_BUNDLE, threads=1, voices_dir=tmp_path / "voices")
    with running_server(synth) as server:
        (info,) = asyncio.run(exchange(server.port, Describe().event(), until=("info", "error")))
    assert info.type == "info"
    names = [v["name"] for v in info.data["tts"][0]["voices"]]
    assert "random-en-1" in names and "crafted" not in names


def test_a_crafted_speakers_table_is_a_bundle_error(tmp_path):
    from yourtts_onnx.runtime.bundle import Bundle

    bundle = tmp_path / "bundle"
    shutil.copytree(STUB_BUNDLE, bundle)
    config = json.loads((bundle / "config.json").read_text())
    target = bundle / config["speakers"]["file"]
    crafted_npy(target, (HUGE, 512), data=b"")
    config["files"][config["speakers"]["file"]]["bytes"] = target.stat().st_size
    from yourtts_onnx.runtime.integrity import sha256_file

    config["files"][config["speakers"]["file"]]["sha256"] = sha256_file(target)
    (bundle / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match="expected shape"):
        Bundle.open(bundle).speaker_embeddings()
