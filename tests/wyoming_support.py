"""Helpers for the Wyoming server tests: the server on a background thread (real sockets, loopback only),
raw event exchange, and the audio a request should give."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HOST = "127.0.0.1"
NO_NOISE = {"noise_scale": 0.0, "noise_scale_dp": 0.0}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0, alive=lambda: True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError(f"the server on port {port} stopped before it listened")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {HOST}:{port} after {timeout} s")


def make_settings(port: int, **overrides: Any):
    from yourtts_onnx.runtime.options import SynthesisOptions
    from yourtts_onnx.wyoming.settings import WyomingSettings

    values: dict[str, Any] = {
        "uri": f"tcp://{HOST}:{port}",
        "workers": 2,
        "threads": 1,
        "queue_size": 8,
        "timeout": 60.0,
        "max_text_chars": 2000,
        "options": SynthesisOptions(**NO_NOISE),
    }
    values.update(overrides)
    return WyomingSettings(**values)


@dataclass
class Running:
    service: Any
    port: int


@contextlib.contextmanager
def running_server(synth, **overrides: Any) -> Iterator[Running]:
    """``yourtts-onnx wyoming``'s service on a free loopback port, served by a background thread."""
    from yourtts_onnx.wyoming.server import serve
    from yourtts_onnx.wyoming.service import WyomingService

    port = free_port()
    service = WyomingService(synth, make_settings(port, **overrides))
    loop = asyncio.new_event_loop()
    task = loop.create_task(serve(service))

    def run() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
        pending = asyncio.all_tasks(loop)
        for t in pending:
            t.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        wait_for_port(port, alive=thread.is_alive)
        yield Running(service, port)
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(20)
        service.close()


def expected_pcm(synth, text: str, **fields: Any) -> bytes:
    """PCM16 of what :meth:`Synthesizer.synthesize` makes for ``text`` (noise 0)."""
    from yourtts_onnx.runtime.waveform import pcm16

    return pcm16(synth.synthesize(text, **NO_NOISE, **fields).samples)


def streamed_pcm(synth, text: str, **fields: Any) -> bytes:
    """PCM16 of :meth:`Synthesizer.stream` (windows) for ``text``: what the server sends, chunk by chunk."""
    from yourtts_onnx.runtime.waveform import pcm16

    return b"".join(pcm16(c.samples) for c in synth.stream(text, **NO_NOISE, **fields))


def assert_same_audio(synth, got: bytes, text: str, **fields: Any) -> None:
    """The server's audio equals the engine's: exactly ``synthesize`` (whole sentences) when the backend does
    not window, else exactly the windowed stream and ``synthesize`` within one PCM step (the windows equal
    whole sentences within float rounding, which can move a sample across a rounding boundary)."""
    want = expected_pcm(synth, text, **fields)
    assert len(got) == len(want)
    if not synth.streams:
        assert got == want
        return
    assert got == streamed_pcm(synth, text, **fields)
    diff = np.abs(np.frombuffer(got, "<i2").astype(np.int32) - np.frombuffer(want, "<i2").astype(np.int32))
    assert int(diff.max()) <= 1


async def exchange(port: int, *events, until=("audio-stop", "error"), timeout: float = 30.0) -> list:
    """Write ``events`` on one new connection; read until an event whose type is in ``until``."""
    from wyoming.client import AsyncTcpClient

    async with AsyncTcpClient(HOST, port, read_timeout=timeout) as client:
        for event in events:
            await client.write_event(event)
        return await read_until(client, until)


async def read_until(client, until=("audio-stop", "error")) -> list:
    got = []
    while True:
        event = await client.read_event()
        if event is None:
            raise AssertionError(f"the server closed the connection after {[e.type for e in got]}")
        got.append(event)
        if event.type in until:
            return got


def audio_of(events: list) -> bytes:
    return b"".join(e.payload or b"" for e in events if e.type == "audio-chunk")


def save_voice(synth, name: str, recording: bytes, tmp: Path, label: str | None = None):
    """Clone and save a voice into the synthesizer's voices directory."""
    path = tmp / f"{name}.wav"
    path.write_bytes(recording)
    return synth.voices.save(name, [str(path)], label=label)
