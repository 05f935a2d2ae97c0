#!/usr/bin/env python3
"""Capacity: how many simultaneous real-time streams one box sustains without underrun, per route and bundle.

    .venv/bin/python scripts/capacity.py --bundle int8=bundles/your_tts-int8 --bundle fp32=bundles/your_tts \\
        --levels 1,2,3,4,6,8 --rounds 3 --out benchmarks/capacity

For each bundle, ``yourtts-onnx serve`` and ``yourtts-onnx wyoming`` run as subprocesses on loopback with their
default workers and threads (what a user gets: inference threads = cores, ONNX Runtime threads = cores /
workers) unless ``--workers``/``--threads`` are given. At each concurrency level ``c``, ``c`` clients start
together and each makes ``--rounds`` requests back to back for the 20-word benchmark sentence (default noise):

* **OpenAI streaming route**: ``POST /v1/audio/speech`` ``{"response_format": "pcm", "stream": true}``
  (24 kHz 16-bit PCM, chunked); chunk arrival times from the socket;
* **Wyoming**: ``synthesize`` (audio-chunk events, arrival times from :mod:`yourtts_onnx.wyoming.client`).

A stream is played from its first byte at real time: it **underruns** when a chunk arrives after the audio
received before it has finished playing (``stall`` = the total time the player waits, summed over the stream).
Per level: first-audio latency p50/p95, the share of streams that underran and their worst stall. The
capacity is the highest level (with every level below it) where no stream underran and p95 first audio stays
within ``--max-first-audio`` seconds (default 1.0: past it a speaker waits noticeably); the knee is where p95
first-audio latency passes twice its single-stream value. Written to ``--out``: ``capacity.json`` (settings, machine, every stream) and
``capacity.png`` (p95 first audio vs concurrency, underrunning levels marked). Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from loopback import HOST, free_port, wait_port  # scripts/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parents[1]
PCM_RATE = 24000  # the OpenAI route's pcm
TIMEOUT = 300.0


def playback(start: float, chunks: list[tuple[float, float]]) -> dict[str, float]:
    """``chunks``: (arrival, seconds of audio). Played from the first chunk: first audio, underrun, stall."""
    if not chunks:
        return {"first_audio_s": float("nan"), "audio_s": 0.0, "stall_s": float("nan"), "underrun": True}
    t0 = chunks[0][0]
    played_until = t0  # when the audio received so far finishes playing
    stall = 0.0
    for arrival, seconds in chunks:
        if arrival > played_until:
            stall += arrival - played_until
            played_until = arrival
        played_until += seconds
    return {
        "first_audio_s": t0 - start,
        "audio_s": sum(s for _, s in chunks),
        "stall_s": stall,
        "underrun": stall > 0.0,
    }


def http_stream(port: int, text: str) -> dict[str, float]:
    body = json.dumps(
        {"model": "tts-1", "input": text, "voice": "alloy", "response_format": "pcm", "stream": True}
    )
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    start = time.perf_counter()
    conn.request("POST", "/v1/audio/speech", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status}: {resp.read()[:200]!r}")
    chunks = []
    carry = 0
    while True:
        data = resp.read1(65536)
        if not data:
            break
        carry += len(data)
        samples, carry = divmod(carry, 2)  # an odd byte waits for its pair
        chunks.append((time.perf_counter(), samples / PCM_RATE))
    conn.close()
    return playback(start, chunks)


def wyoming_stream(port: int, text: str) -> dict[str, float]:
    from yourtts_onnx.wyoming import client

    reply = asyncio.run(client.synthesize(HOST, port, text, timeout=TIMEOUT))
    if reply.errors:
        raise RuntimeError(reply.errors[0].text)
    rate, width, channels = reply.formats[0]
    chunks = [(t, len(b) / (width * channels) / rate) for t, b in reply.chunks]
    return playback(reply.sent, chunks)


def level(run: Any, port: int, text: str, clients: int, rounds: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def worker(i: int) -> None:
        barrier.wait()
        for r in range(rounds):
            try:
                row = {"client": i, "round": r, **run(port, text)}
            except Exception as exc:  # recorded; the level fails
                row = {"client": i, "round": r, "error": f"{type(exc).__name__}: {exc}", "underrun": True}
            with lock:
                results.append(row)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    firsts = sorted(r["first_audio_s"] for r in rows if "first_audio_s" in r)
    p95 = firsts[min(len(firsts) - 1, round(0.95 * (len(firsts) - 1)))] if firsts else None
    return {
        "streams": len(rows),
        "errors": sum("error" in r for r in rows),
        "underrun_share": sum(bool(r["underrun"]) for r in rows) / len(rows),
        "worst_stall_s": max((r.get("stall_s", 0.0) for r in rows), default=0.0),
        "first_audio_p50_s": statistics.median(firsts) if firsts else None,
        "first_audio_p95_s": p95,
    }


def start_servers(
    bundle: Path, args: argparse.Namespace, work: Path
) -> tuple[list[subprocess.Popen], int, int]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    cli = [sys.executable, "-m", "yourtts_onnx"]
    extra = ["--bundle", str(bundle), "--voices-dir", str(work / "voices")]
    if args.workers:
        extra += ["--workers", str(args.workers)]
    if args.threads:
        extra += ["--threads", str(args.threads)]
    http_port, wy_port = free_port(), free_port()
    procs = [
        subprocess.Popen(
            [
                *cli,
                "serve",
                "--host",
                HOST,
                "--port",
                str(http_port),
                "--log-level",
                "warning",
                "--queue-size",
                "64",
                *extra,
            ],
            env=env,
        ),
        subprocess.Popen([*cli, "wyoming", "--uri", f"tcp://{HOST}:{wy_port}", *extra], env=env),
    ]
    wait_port(http_port, procs[0], 180.0)
    wait_port(wy_port, procs[1], 180.0)
    return procs, http_port, wy_port


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, series in result["series"].items():
        xs = [int(c) for c in series["levels"]]
        ys = [series["levels"][str(c)]["first_audio_p95_s"] or float("nan") for c in xs]
        (line,) = ax.plot(xs, ys, marker="o", label=name)
        bad = [(x, y) for x, y in zip(xs, ys, strict=True) if series["levels"][str(x)]["underrun_share"] > 0]
        if bad:
            ax.scatter(*zip(*bad, strict=True), marker="x", s=80, color=line.get_color())
    ax.set_xlabel("simultaneous streams")
    ax.set_ylabel("first audio p95 (s)")
    ax.set_title("Latency vs concurrency (x: some stream underran)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> int:
    from yourtts_onnx.bench.texts import STREAMING_SENTENCE

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", action="append", required=True, help="LABEL=DIR (repeat: int8=..., fp32=...)")
    ap.add_argument("--levels", default="1,2,3,4,6", help="concurrency levels (default 1,2,3,4,6)")
    ap.add_argument("--rounds", type=int, default=3, help="requests per client per level (default 3)")
    ap.add_argument("--routes", default="openai,wyoming")
    ap.add_argument("--workers", type=int, help="server inference threads (default: the server's)")
    ap.add_argument("--threads", type=int, help="ONNX Runtime threads per inference (default: the server's)")
    ap.add_argument("--max-first-audio", type=float, default=1.0, help="p95 first-audio bound, s (default 1)")
    ap.add_argument("--note", default="", help="conditions to record (machine busy or quiet)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "capacity")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    runners = {"openai": http_stream, "wyoming": wyoming_stream}
    result: dict[str, Any] = {
        "sentence": STREAMING_SENTENCE,
        "levels": levels,
        "rounds": args.rounds,
        "max_first_audio_s": args.max_first_audio,
        "workers": args.workers or "server default (cores)",
        "threads": args.threads or "server default (cores / workers)",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_start": os.getloadavg()},
        "note": args.note,
        "series": {},
    }
    for item in args.bundle:
        label, _, directory = item.partition("=")
        with tempfile.TemporaryDirectory(prefix="yourtts-capacity-") as tmp:
            procs, http_port, wy_port = start_servers(Path(directory), args, Path(tmp))
            try:
                for route in args.routes.split(","):
                    port = http_port if route == "openai" else wy_port
                    runners[route](port, STREAMING_SENTENCE)  # warm-up
                    series: dict[str, Any] = {
                        "bundle": directory,
                        "route": route,
                        "levels": {},
                        "streams": {},
                    }
                    for c in levels:
                        rows = level(runners[route], port, STREAMING_SENTENCE, c, args.rounds)
                        series["levels"][str(c)] = summarise(rows)
                        series["streams"][str(c)] = rows
                        s = series["levels"][str(c)]
                        print(
                            f"{label} {route} c={c}: first audio p50 {s['first_audio_p50_s']} p95 "
                            f"{s['first_audio_p95_s']}, underrun {s['underrun_share']:.0%}",
                            flush=True,
                        )
                    ok = [
                        c
                        for c in levels
                        if series["levels"][str(c)]["underrun_share"] == 0
                        and (series["levels"][str(c)]["first_audio_p95_s"] or 1e9) <= args.max_first_audio
                    ]
                    series["capacity_streams"] = max(
                        (c for c in ok if all(x in ok for x in levels if x <= c)), default=0
                    )
                    base = series["levels"][str(levels[0])]["first_audio_p95_s"] or 0.0
                    series["knee"] = next(
                        (
                            c
                            for c in levels
                            if (series["levels"][str(c)]["first_audio_p95_s"] or 0) > 2 * base
                        ),
                        None,
                    )
                    result["series"][f"{label} {route}"] = series
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(timeout=30)
    result["machine"]["load_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "capacity.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, args.out / "capacity.png")
    for name, s in result["series"].items():
        print(f"{name}: {s['capacity_streams']} real-time streams without underrun; knee at {s['knee']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
