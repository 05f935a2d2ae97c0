"""Side by side with wyoming-piper: the same client script, unchanged, against ``yourtts-onnx wyoming`` and
against wyoming-piper serving a Piper voice that ``export-voice --format piper`` made from the same bundle.

Both servers run as subprocesses on loopback. wyoming-piper is given the voice in a data directory, so it
has nothing to download (the test checks that no file appeared); ``HF_HUB_OFFLINE`` is set besides.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("wyoming", reason="the Wyoming server needs the 'wyoming' extra")
pytest.importorskip("wyoming_piper", reason="wyoming-piper is not installed (dev extra)")
pytest.importorskip("piper.voice", reason="piper-tts is not installed (dev extra)")
pytest.importorskip("onnx", reason="export-voice needs the 'onnx' package")

from wyoming.client import AsyncTcpClient
from wyoming.info import Describe

from conftest import ROOT, STUB_BUNDLE
from wyoming_support import HOST, free_port, wait_for_port
from yourtts_onnx.wyoming import client

VOICE = "random-en-1"
TEXT = "Hello there. How are you today?"
CHUNKS = ["Hel", "lo th", "ere. ", "How a", "re yo", "u tod", "ay? I", " am f", "ine."]


async def client_script(port: int) -> dict[str, Any]:
    """What a Home Assistant-like client does with a TTS server: describe, speak, speak streamed text."""
    async with AsyncTcpClient(HOST, port, read_timeout=60) as c:
        await c.write_event(Describe().event())
        info_event = await c.read_event()
    assert info_event is not None and info_event.type == "info"
    whole = await client.synthesize(HOST, port, TEXT)
    streamed = await client.synthesize_streaming(HOST, port, CHUNKS, hold_stop_for_audio=30)
    return {"info": info_event.data, "whole": whole, "streamed": streamed}


def shape(value: Any, path: str = "", out: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Every path of a JSON value (lists merged) → the JSON types found there."""
    out = {} if out is None else out
    kind = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    out.setdefault(path, set()).add("null" if value is None else kind[type(value)])
    if isinstance(value, dict):
        for key, item in value.items():
            shape(item, f"{path}.{key}", out)
    elif isinstance(value, list):
        for item in value:
            shape(item, f"{path}[]", out)
    return out


def _start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with open(log, "wb") as fh:
        return subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=log.parent)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from yourtts_onnx.voice_export import export_voice

    root = tmp_path_factory.mktemp("wyoming-piper")
    exported = export_voice(STUB_BUNDLE, VOICE, "en", "piper", root / "data", progress=lambda _m: None)
    (model,) = exported.out.glob("*.onnx")
    downloads = root / "downloads"
    downloads.mkdir()
    before = sorted(p.name for p in exported.out.iterdir())
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")]),
    }
    ours_port, piper_port = free_port(), free_port()
    ours = _start(
        [sys.executable, "-m", "yourtts_onnx", "wyoming", "--bundle", str(STUB_BUNDLE),
         "--uri", f"tcp://{HOST}:{ours_port}", "--voices-dir", str(root / "voices"), "--default-voice", VOICE,
         "--threads", "1", "--workers", "1"],
        root / "ours.log", env,
    )  # fmt: skip
    piper = _start(
        [sys.executable, "-m", "wyoming_piper", "--voice", model.stem, "--data-dir", str(exported.out),
         "--download-dir", str(downloads), "--uri", f"tcp://{HOST}:{piper_port}"],
        root / "piper.log", env,
    )  # fmt: skip
    try:
        for port, proc, log in ((ours_port, ours, "ours.log"), (piper_port, piper, "piper.log")):
            try:
                wait_for_port(port, timeout=60, alive=lambda p=proc: p.poll() is None)
            except AssertionError:
                raise AssertionError((root / log).read_text(errors="replace")) from None
        yield {"ours": ours_port, "piper": piper_port, "piper_voice": model.stem}
    finally:
        _stop(ours)
        _stop(piper)
    # wyoming-piper had its voice and downloaded nothing
    assert sorted(p.name for p in exported.out.iterdir()) == before
    assert list(downloads.iterdir()) == []


@pytest.fixture(scope="module")
def results(servers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: asyncio.run(client_script(servers[name])) for name in ("ours", "piper")}


@pytest.mark.parametrize("server", ["ours", "piper"])
def test_the_same_client_script_works_against_both(results, server):
    got = results[server]
    for reply in (got["whole"], got["streamed"]):
        assert not reply.errors
        assert set(reply.formats) == {(16000, 2, 1)}
        assert len(reply.audio) > 16000  # more than half a second of 16-bit audio
        assert len(reply.audio) % 2 == 0
    assert got["whole"].types[0] == "audio-start" and got["whole"].types[-1] == "audio-stop"
    streamed = got["streamed"]
    assert streamed.types[-1] == "synthesize-stopped"
    assert (
        streamed.first_audio is not None and streamed.first_audio < streamed.stop_sent
    )  # audio before the end


def test_info_events_have_the_same_shape(results, servers):
    ours, piper = shape(results["ours"]["info"]), shape(results["piper"]["info"])
    assert ours == piper
    # and both describe themselves the same way: one TTS program, streaming, voices with languages
    for name in ("ours", "piper"):
        (program,) = results[name]["info"]["tts"]
        assert program["installed"] is True and program["supports_synthesize_streaming"] is True
    piper_voices = {v["name"]: v for v in results["piper"]["info"]["tts"][0]["voices"]}
    assert piper_voices[servers["piper_voice"]]["languages"] == ["en"]
