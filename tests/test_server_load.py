"""A bounded loopback load test: uvicorn on 127.0.0.1, 8 concurrent clients, 48 requests, no errors.

Prints p50/p99 latency and throughput. The model is the committed stub bundle, so the numbers measure
the server (queueing, threads, encoding, HTTP), not a real voice model.
"""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import pytest

from server_support import live_server, make_app, read_audio

pytest_plugins = ["server_fixtures"]

pytest.importorskip("fastapi")

CLIENTS = 8
REQUESTS = 48
TEXTS = [
    "Hello there.",
    "The quick brown fox jumps over the lazy dog. It was not amused.",
    "Numbers like 42 and 1999 are read aloud.",
    "Short.",
    "A somewhat longer sentence, with a comma, and another clause; then a full stop. And one more!",
]


def request_for(i: int) -> tuple[str, str, dict]:
    text = TEXTS[i % len(TEXTS)]
    kind = i % 4
    if kind == 0:
        return "GET", "/api/tts", {"params": {"text": text, "speaker_id": "random-en-1", "language_id": "en"}}
    if kind == 1:
        return (
            "POST",
            "/v1/audio/speech",
            {"json": {"input": text, "response_format": "wav", "voice": "random-fr-1"}},
        )
    if kind == 2:
        return "POST", "/v1/audio/speech", {"json": {"input": text, "response_format": "pcm", "stream": True}}
    return "POST", "/v1/audio/speech", {"json": {"input": text, "response_format": "flac", "speed": 1.25}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def test_loopback_load(server_synth, tmp_path, capsys):
    app = make_app(server_synth, tmp_path, workers=2, queue_size=16, timeout=60)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = iter(range(REQUESTS))

    def client_loop(base_url: str) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                method, path, kwargs = request_for(i)
                started = time.perf_counter()
                try:
                    r = client.request(method, path, **kwargs)
                    ok = r.status_code == 200 and len(r.content) > 0
                    if ok and "pcm" not in r.headers.get("content-type", ""):
                        ok = read_audio(r.content)[0].size > 0
                    detail = (
                        f"{method} {path} -> {r.status_code} {r.text[:200] if r.status_code != 200 else ''}"
                    )
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{method} {path} -> {type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        failures.append(detail)

    with live_server(app) as url:
        with httpx.Client(base_url=url) as warm:  # first call loads the speaker table, warms ORT
            assert warm.get("/api/tts", params={"text": "Warm up."}).status_code == 200
        threads = [threading.Thread(target=client_loop, args=(url,)) for _ in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        wall = time.perf_counter() - started
        metrics = httpx.get(f"{url}/metrics").text

    assert not failures, failures
    assert len(latencies) == REQUESTS
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    with capsys.disabled():
        print(
            f"\n[server load] {REQUESTS} requests, {CLIENTS} clients, 2 workers: "
            f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, mean {statistics.mean(latencies) * 1000:.0f} ms, "
            f"throughput {REQUESTS / wall:.1f} req/s ({wall:.2f} s)"
        )
    assert 'yourtts_jobs_total{outcome="rejected"} 0' in metrics
    assert 'yourtts_jobs_total{outcome="failed"} 0' in metrics
    assert "yourtts_queue_depth 0" in metrics
