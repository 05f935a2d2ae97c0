#!/usr/bin/env python3
"""Soak: the HTTP service and the Wyoming server driven together for a set time, on loopback only.

    .venv/bin/python scripts/soak.py                          # 30 minutes, the committed stub bundle
    .venv/bin/python scripts/soak.py --minutes 3 --bundle B   # `make soak` runs the default

Both servers run as subprocesses (``yourtts-onnx serve`` and ``yourtts-onnx wyoming``) on 127.0.0.1 with a
fresh voices directory. ``--http-clients`` threads loop over: speech in every response format, SSE streaming,
Coqui's ``/api/tts``, a voice cloned from a recording, spoken and deleted, and ``GET /v1/voices``;
``--wyoming-clients`` threads loop over ``describe``, ``synthesize`` and streamed text input. Every request has
a timeout; every loop ends at the deadline. Every ``--sample`` seconds the resident memory (VmRSS) of both
server processes is recorded.

Written to ``--out`` (default ``benchmarks/soak/``): ``soak.json`` (settings, requests and errors per kind,
latency percentiles, RSS samples, and the RSS slope in MB per minute after ``--warmup`` minutes, by least
squares) and ``rss.csv``. It exits 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from loopback import HOST, free_port, wait_port  # scripts/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parents[1]
STUB = ROOT / "tests" / "data" / "stub_bundle"
TEXTS = [
    "Hello there. This is a soak test of the service.",
    "The quick brown fox jumps over the lazy dog, 42 times.",
    "Short one.",
    "A longer sentence, with a pause; and then another clause that keeps going for a while.",
]
FORMATS = ["wav", "mp3", "flac", "opus", "pcm"]
REQUEST_TIMEOUT = 120.0


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return math.nan


class Tally:
    """Latencies and errors per request kind, shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[dict[str, Any]] = []

    def ok(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latency[kind].append(seconds)

    def fail(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors.append({"kind": kind, "error": what[:300], "t": round(time.time(), 1)})


def timed(tally: Tally, kind: str, fn) -> Any:
    t0 = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:  # every failure is recorded, the loop goes on
        tally.fail(kind, f"{type(exc).__name__}: {exc}")
        return None
    tally.ok(kind, time.perf_counter() - t0)
    return result


# -- HTTP ------------------------------------------------------------------------------------------------


def http(base: str, method: str, path: str, body: bytes | None = None, ctype: str | None = None) -> bytes:
    req = urllib.request.Request(base + path, data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT) as resp:
        data = resp.read()
        if resp.status >= 400:
            raise RuntimeError(f"HTTP {resp.status}")
        return data


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, data) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: audio/wav\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def recording() -> bytes:
    t = np.arange(int(16000 * 3.0)) / 16000.0
    signal = 0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    buf = io.BytesIO()
    sf.write(buf, signal.astype(np.float32), 16000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def http_client(base: str, deadline: float, tally: Tally, index: int) -> None:
    wav = recording()
    n = 0
    while time.monotonic() < deadline:
        text = TEXTS[n % len(TEXTS)]
        fmt = FORMATS[n % len(FORMATS)]
        speech = {"model": "tts-1", "input": text, "voice": "alloy", "response_format": fmt}
        post = partial(http, base, "POST", "/v1/audio/speech", ctype="application/json")
        timed(tally, f"http speech {fmt}", partial(post, body=json.dumps(speech).encode()))
        sse = {**speech, "response_format": "pcm", "stream_format": "sse"}
        timed(tally, "http speech sse", partial(post, body=json.dumps(sse).encode()))
        query = urllib.parse.urlencode({"text": text, "language_id": "en"})
        timed(tally, "http /api/tts", partial(http, base, "GET", f"/api/tts?{query}"))
        if n % 4 == index % 4:  # a voice per client every fourth round: clone, speak, delete
            voice_id = f"soak-{index}-{n}"
            body, ctype = multipart({"name": voice_id, "id": voice_id}, {"file": ("me.wav", wav)})
            if (
                timed(tally, "http voice create", partial(http, base, "POST", "/v1/voices", body, ctype))
                is not None
            ):
                spoken = {**speech, "voice": {"id": voice_id}, "response_format": "wav"}
                timed(tally, "http voice speak", partial(post, body=json.dumps(spoken).encode()))
                timed(tally, "http voice delete", partial(http, base, "DELETE", f"/v1/voices/{voice_id}"))
        timed(tally, "http voices list", partial(http, base, "GET", "/v1/voices"))
        n += 1


# -- Wyoming ---------------------------------------------------------------------------------------------


def wyoming_client(port: int, deadline: float, tally: Tally) -> None:
    from wyoming.tts import SynthesizeVoice

    from yourtts_onnx.wyoming import client

    async def loop() -> None:
        n = 0
        while time.monotonic() < deadline:
            text = TEXTS[n % len(TEXTS)]
            chunks = [text[i : i + 7] for i in range(0, len(text), 7)]
            for kind, make in (
                ("wyoming describe", partial(client.describe, HOST, port, timeout=REQUEST_TIMEOUT)),
                ("wyoming synthesize", partial(client.synthesize, HOST, port, text, timeout=REQUEST_TIMEOUT)),
                (
                    "wyoming streamed",
                    partial(
                        client.synthesize_streaming,
                        HOST,
                        port,
                        chunks,
                        voice=SynthesizeVoice(name="yourtts-en"),
                        timeout=REQUEST_TIMEOUT,
                    ),
                ),
            ):
                t0 = time.perf_counter()
                try:
                    reply = await make()
                    if getattr(reply, "errors", None):
                        raise RuntimeError(f"error event: {reply.errors[0].text}")
                except Exception as exc:  # recorded, the loop goes on
                    tally.fail(kind, f"{type(exc).__name__}: {exc}")
                else:
                    tally.ok(kind, time.perf_counter() - t0)
            n += 1

    asyncio.run(loop())


# -- the run ---------------------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    q = np.percentile(values, [50, 95, 99])
    return {
        "n": len(values),
        "p50": round(float(q[0]), 4),
        "p95": round(float(q[1]), 4),
        "p99": round(float(q[2]), 4),
        "max": round(max(values), 4),
    }


def slope_mb_per_min(samples: list[dict[str, float]], key: str, after_s: float) -> float | None:
    pts = [(s["t"], s[key]) for s in samples if s["t"] >= after_s and not math.isnan(s[key])]
    if len(pts) < 3:
        return None
    t = np.array([p[0] for p in pts]) / 60.0
    y = np.array([p[1] for p in pts])
    return round(float(np.polyfit(t, y, 1)[0]), 3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="how long to drive both servers (default 30)")
    ap.add_argument("--bundle", type=Path, default=STUB, help="bundle to serve (default: the stub bundle)")
    ap.add_argument("--http-clients", type=int, default=3)
    ap.add_argument("--wyoming-clients", type=int, default=2)
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples (default 10)")
    ap.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="minutes before the slope is fitted (default: a third of the run, at most 5)",
    )
    ap.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads per server")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "soak")
    args = ap.parse_args()
    if not 0 < args.minutes <= 24 * 60:
        ap.error("--minutes must be in (0, 1440]")
    warmup = args.warmup if args.warmup is not None else min(5.0, args.minutes / 3)

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    cli = [sys.executable, "-m", "yourtts_onnx"]
    with tempfile.TemporaryDirectory(prefix="yourtts-soak-") as work:
        voices = Path(work) / "voices"
        http_port, wy_port = free_port(), free_port()
        common = ["--bundle", str(args.bundle), "--voices-dir", str(voices), "--threads", str(args.threads)]
        procs = [
            subprocess.Popen(
                [
                    *cli,
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(http_port),
                    "--workers",
                    "2",
                    "--log-level",
                    "warning",
                    *common,
                ],
                env=env,
            ),
            subprocess.Popen(
                [
                    *cli,
                    "wyoming",
                    "--uri",
                    f"tcp://{HOST}:{wy_port}",
                    "--workers",
                    "2",
                    "--close-on-error",
                    *common,
                ],
                env=env,
            ),
        ]
        try:
            wait_port(http_port, procs[0], 120.0)
            wait_port(wy_port, procs[1], 120.0)
            tally = Tally()
            start = time.monotonic()
            deadline = start + args.minutes * 60
            threads = [
                threading.Thread(target=http_client, args=(f"http://{HOST}:{http_port}", deadline, tally, i))
                for i in range(args.http_clients)
            ] + [
                threading.Thread(target=wyoming_client, args=(wy_port, deadline, tally))
                for _ in range(args.wyoming_clients)
            ]
            for t in threads:
                t.start()
            samples: list[dict[str, float]] = []
            while any(t.is_alive() for t in threads):
                now = time.monotonic() - start
                samples.append(
                    {
                        "t": round(now, 1),
                        "http_rss_mb": round(rss_mb(procs[0].pid), 1),
                        "wyoming_rss_mb": round(rss_mb(procs[1].pid), 1),
                    }
                )
                with tally.lock:
                    done = sum(len(v) for v in tally.latency.values())
                    errors = len(tally.errors)
                print(
                    f"{now / 60:6.1f} min  requests {done:6d}  errors {errors:4d}  RSS http "
                    f"{samples[-1]['http_rss_mb']:.0f} MB  wyoming {samples[-1]['wyoming_rss_mb']:.0f} MB",
                    flush=True,
                )
                for t in threads:
                    t.join(timeout=args.sample / max(1, len(threads)))
                    if time.monotonic() - start - now >= args.sample:
                        break
            wall = time.monotonic() - start
            exited = [p.poll() for p in procs]
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()

    requests = sum(len(v) for v in tally.latency.values())
    report = {
        "minutes": args.minutes,
        "wall_seconds": round(wall, 1),
        "bundle": os.path.relpath(args.bundle, ROOT)
        if args.bundle.is_relative_to(ROOT)
        else str(args.bundle),
        "http_clients": args.http_clients,
        "wyoming_clients": args.wyoming_clients,
        "threads_per_server": args.threads,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "requests": requests,
        "errors": len(tally.errors),
        "error_samples": tally.errors[:20],
        "servers_alive_at_end": [code is None for code in exited],
        "latency_seconds": {k: percentiles(v) for k, v in sorted(tally.latency.items())},
        "all_latency_seconds": percentiles([x for v in tally.latency.values() for x in v]),
        "warmup_minutes": round(warmup, 2),
        "rss_slope_mb_per_min_after_warmup": {
            "http": slope_mb_per_min(samples, "http_rss_mb", warmup * 60),
            "wyoming": slope_mb_per_min(samples, "wyoming_rss_mb", warmup * 60),
        },
        "rss_mb": {
            "http": {
                "first": samples[0]["http_rss_mb"],
                "max": max(s["http_rss_mb"] for s in samples),
                "last": samples[-1]["http_rss_mb"],
            },
            "wyoming": {
                "first": samples[0]["wyoming_rss_mb"],
                "max": max(s["wyoming_rss_mb"] for s in samples),
                "last": samples[-1]["wyoming_rss_mb"],
            },
        },
        "rss_samples": samples,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    with open(args.out / "rss.csv", "w", encoding="utf-8") as fh:
        fh.write("seconds,http_rss_mb,wyoming_rss_mb\n")
        for s in samples:
            fh.write(f"{s['t']},{s['http_rss_mb']},{s['wyoming_rss_mb']}\n")
    print(
        f"{requests} requests, {len(tally.errors)} errors in {wall / 60:.1f} min; p50 "
        f"{report['all_latency_seconds'].get('p50')} s, p95 {report['all_latency_seconds'].get('p95')} s; RSS slope "
        f"after {warmup:g} min: http {report['rss_slope_mb_per_min_after_warmup']['http']} MB/min, wyoming "
        f"{report['rss_slope_mb_per_min_after_warmup']['wyoming']} MB/min -> {args.out / 'soak.json'}"
    )
    return 1 if tally.errors or not all(code is None for code in exited) else 0


if __name__ == "__main__":
    raise SystemExit(main())
