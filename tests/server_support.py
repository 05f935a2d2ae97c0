"""Helpers for the server tests (the fixtures are in ``server_fixtures``).

* :func:`make_app`: an app over that synthesizer with small limits and a fresh voices directory.
* :class:`SlowSynth`: the synthesizer with a delay or a gate before each sentence, to test queueing,
  timeouts and cancellation deterministically; :class:`RecordingSynth`: it, recording each call's options.
* :func:`live_server`: uvicorn on 127.0.0.1 (a free port) in a thread, for tests that need real
  sockets (disconnects, the load test, the browser test).
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

TEXT = "Hello there. This is a test of the server."


def make_settings(tmp_path: Path, **overrides: Any):
    from yourtts_onnx.server.settings import ServerSettings

    values: dict[str, Any] = {
        "voices_dir": tmp_path / "voices",
        "workers": 2,
        "threads": 1,
        "queue_size": 8,
        "timeout": 30.0,
        "max_text_chars": 2000,
        "max_upload_mb": 2.0,
    }
    values.update(overrides)
    return ServerSettings(**values)


def make_app(synth, tmp_path: Path, **overrides: Any):
    from yourtts_onnx.server import create_app

    return create_app(make_settings(tmp_path, **overrides), synthesizer=synth)


def client_for(app, **kwargs: Any):
    """FastAPI's TestClient (sync, ASGI in-process), without starlette's httpx deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette: "Using httpx with starlette.testclient is deprecated"
        from fastapi.testclient import TestClient
    return TestClient(app, **kwargs)


def error_message(response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    return body["error"]["message"]


def read_audio(data: bytes) -> tuple[np.ndarray, int]:
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    return samples, rate


def recording(seconds: float = 2.0, rate: int = 22050, fmt: str = "WAV", seed: int = 0) -> bytes:
    """A speech-like test signal: a few harmonics with vibrato and an amplitude envelope, plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = 140 + 20 * np.sin(2 * np.pi * 3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = sum(np.sin(k * phase) / k for k in range(1, 6))
    x = x * (0.6 + 0.4 * np.sin(2 * np.pi * 2.5 * t) ** 2) + 0.01 * rng.standard_normal(t.shape)
    x = (0.3 * x / np.max(np.abs(x))).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, x, rate, format=fmt, subtype="PCM_16" if fmt in ("WAV", "FLAC") else None)
    return buf.getvalue()


class SlowSynth:
    """Delegates to a real synthesizer; waits ``delay`` seconds (and for ``gate``, if set) before each
    sentence, and records what it was asked to speak and how many sentences it made."""

    def __init__(
        self,
        inner,
        delay: float = 0.0,
        gate: threading.Event | None = None,
        steps: threading.Semaphore | None = None,
    ) -> None:
        self._inner = inner
        self.delay = delay
        self.gate = gate
        #: lockstep: each sentence takes one permit (the test releases them: see :func:`step_until`)
        self.steps = steps
        self.started = threading.Event()
        self.texts: list[str] = []
        self.sentences = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def stream(self, text: str, *args: Any, **kwargs: Any):
        chunks = self._inner.stream(text, *args, **kwargs)  # checks the input now, as the real one does
        return self._slow(text, chunks)

    def _slow(self, text: str, chunks):
        with self._lock:
            self.texts.append(text)
        self.started.set()
        for chunk in chunks:
            if self.gate is not None:
                self.gate.wait(20)
            if self.steps is not None:
                self.steps.acquire(timeout=20)
            if self.delay:
                time.sleep(self.delay)
            with self._lock:
                self.sentences += 1
            yield chunk


class RecordingSynth:
    """Delegates to a real synthesizer and records the options of every ``stream`` call (what voice,
    language and scales a request resolved to)."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.calls: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def stream(self, text: str, options=None, /, **kwargs: Any):
        self.calls.append(options)
        return self._inner.stream(text, options, **kwargs)


def wait_until(condition, timeout: float = 10.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def step_until(slow: SlowSynth, condition, limit: int) -> int:
    """Let a lockstep :class:`SlowSynth` make one sentence at a time until ``condition()`` holds (the server
    noticed something); returns how many sentences it made. No clock: each step waits for its sentence to be
    made (or the job to end, or ``condition``), so the count measures the server's reaction in sentences."""
    assert slow.steps is not None
    for _ in range(limit):
        if condition():
            break
        before = slow.sentences
        slow.steps.release()
        wait_until(lambda before=before: condition() or slow.sentences > before, timeout=20)
    wait_until(condition, timeout=20)
    slow.steps.release(1000)  # let a job that is still running reach its next check
    return slow.sentences


@contextlib.contextmanager
def live_server(app, **options: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    import uvicorn

    # proto IPPROTO_TCP, so that asyncio sets TCP_NODELAY on accepted connections (else every response
    # waits ~40 ms for a delayed ACK)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
