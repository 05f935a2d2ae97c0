#!/usr/bin/env python3
"""First-audio latency over the Wyoming protocol: ``yourtts-onnx wyoming`` next to wyoming-piper serving the
same model as a Piper voice (``export-voice --format piper``), measured in one run by the same client.

    .venv/bin/python scripts/wyoming_latency.py                       # full-size INT8 bundle, built if needed
    .venv/bin/python scripts/wyoming_latency.py --bundle B --repeats 9 --out benchmarks/results/wyoming.json

Without ``--bundle`` a random full-size YourTTS checkpoint (the released architecture) is exported and
quantised to INT8 in ``--work`` once (``yourtts-onnx bench``'s recipe; needs the 'export' extra), and reused.
Both servers run as subprocesses on loopback, with noise 0 (so both make the same audio, of the same length;
``--noise`` keeps the bundle's default noise); requests alternate between them. Measured, from the client's
side (medians over ``--repeats``):

* ``synthesize``: from writing ``synthesize`` (a 20-word sentence) to the first ``audio-chunk``; and to
  ``audio-stop``;
* streaming text input: three sentences sent in 4-character ``synthesize-chunk``\\ s every
  ``--chunk-delay`` seconds (an LLM's pace); from writing the chunk that ends sentence 1 to the first
  ``audio-chunk``.

Run it on a quiet machine: the numbers are wall-clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from loopback import HOST, free_port, wait_port  # scripts/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bundle", type=Path, help="an INT8 bundle (default: build a full-size one in --work)"
    )
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "wyoming-latency", help="work directory"
    )
    parser.add_argument("--repeats", type=int, default=5, help="measurements per server and kind (default 5)")
    parser.add_argument(
        "--threads", type=int, default=None, help="ONNX Runtime threads of our server (default: cores)"
    )
    parser.add_argument(
        "--chunk-delay", type=float, default=0.02, help="seconds between streamed text chunks"
    )
    parser.add_argument(
        "--noise", action="store_true", help="keep the default noise (default: noise 0 in both)"
    )
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()

    from yourtts_onnx.bench.texts import STREAMING_SENTENCE, TEXTS
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.synthesizer import Synthesizer
    from yourtts_onnx.voice_export import export_voice

    bundle = args.bundle or _full_size_int8(args.work)
    opened = Bundle.open(bundle)
    config = opened.config
    streams = Synthesizer.from_bundle(bundle, threads=1).streams
    if not streams:
        print(
            "note: this bundle records no receptive fields, so the server sends each sentence whole "
            "(no audio before a sentence is complete); export it again to stream within sentences",
            file=sys.stderr,
        )
    voice = config.speakers.names[0]
    language = "en" if "en" in config.languages else next(iter(config.languages))
    piper_dir = args.work / f"piper-voice-{(opened.file_sha256('model') or 'unknown')[:12]}"
    if not piper_dir.is_dir() or not list(piper_dir.glob("*.onnx")):
        print(f"exporting {voice} ({language}) as a Piper voice to {piper_dir}", file=sys.stderr)
        export_voice(
            bundle, voice, language, "piper", piper_dir, progress=lambda m: print(m, file=sys.stderr)
        )
    (piper_model,) = piper_dir.glob("*.onnx")

    streamed_text = " ".join(TEXTS["medium"][1:])
    servers = _start_servers(args, bundle, voice, language, piper_dir, piper_model.stem)
    try:
        results = asyncio.run(_measure(servers, STREAMING_SENTENCE, streamed_text, args))
    finally:
        for proc in (s["proc"] for s in servers.values()):
            _stop(proc)
    report = {
        "bundle": str(bundle),
        "precision": config.precision,
        "streams_within_sentences": streams,
        "noise": "bundle defaults" if args.noise else 0,
        "voice": voice,
        "language": language,
        "synthesize_text": STREAMING_SENTENCE,
        "streamed_text": streamed_text,
        "chunk_delay_s": args.chunk_delay,
        "repeats": args.repeats,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "versions": _versions(),
        "servers": results,
    }
    print(_table(report))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _full_size_int8(work: Path) -> Path:
    from yourtts_onnx.bench.prepare import prepare

    prepared = prepare(work, size="full", precisions=("int8",), progress=lambda m: print(m, file=sys.stderr))
    return prepared.bundles["int8"]


def _start_servers(
    args: argparse.Namespace, bundle: Path, voice: str, language: str, piper_dir: Path, piper_voice: str
) -> dict[str, dict[str, Any]]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    ours_port, piper_port = free_port(), free_port()
    threads = ["--threads", str(args.threads)] if args.threads else []
    ours_noise = [] if args.noise else ["--noise-scale", "0", "--noise-scale-dp", "0"]
    piper_noise = [] if args.noise else ["--noise-scale", "0", "--noise-w-scale", "0"]
    commands = {
        "yourtts-onnx wyoming": (
            [sys.executable, "-m", "yourtts_onnx", "wyoming", "--bundle", str(bundle),
             "--uri", f"tcp://{HOST}:{ours_port}", "--workers", "1", "--default-voice", voice,
             "--default-language", language, "--voices-dir", str(args.work / "voices"), *threads, *ours_noise],
            ours_port,
        ),
        "wyoming-piper": (
            [sys.executable, "-m", "wyoming_piper", "--voice", piper_voice, "--data-dir", str(piper_dir),
             "--download-dir", str(args.work / "piper-downloads"), "--uri", f"tcp://{HOST}:{piper_port}",
             *piper_noise],
            piper_port,
        ),
    }  # fmt: skip
    (args.work / "piper-downloads").mkdir(parents=True, exist_ok=True)
    servers = {}
    for name, (command, port) in commands.items():
        log = open(args.work / f"{name.split()[0]}.log", "wb")  # noqa: SIM115 - kept open for the child
        servers[name] = {
            "proc": subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env),
            "port": port,
        }
    for name, server in servers.items():
        wait_port(server["port"], server["proc"], 300.0, name)
    return servers


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def _measure(
    servers: dict[str, dict[str, Any]], text: str, streamed_text: str, args: argparse.Namespace
) -> dict[str, Any]:
    from yourtts_onnx.runtime.text import split_sentences
    from yourtts_onnx.wyoming import client

    chunks = [streamed_text[i : i + 4] for i in range(0, len(streamed_text), 4)]
    first_end = len(split_sentences(streamed_text, "en")[0])  # sentence 1 ends here (its stop included)
    ends_sentence_1 = (first_end - 1) // 4  # the chunk that holds its last character
    samples: dict[str, dict[str, list[float]]] = {
        name: {"synthesize_first_audio_s": [], "synthesize_total_s": [], "streaming_first_audio_s": []}
        for name in servers
    }
    audio_seconds: dict[str, float] = {}
    for server in servers.values():  # warm up: sessions, caches, first-call allocations
        await client.synthesize(HOST, server["port"], text)
    for _ in range(args.repeats):
        for name, server in servers.items():
            reply = await client.synthesize(HOST, server["port"], text)
            if reply.errors or reply.first_audio is None:
                raise SystemExit(f"{name}: {reply.errors or 'no audio'}")
            samples[name]["synthesize_first_audio_s"].append(reply.first_audio - reply.sent)
            samples[name]["synthesize_total_s"].append(reply.done - reply.sent)
            audio_seconds[name] = len(reply.audio) / 2 / (reply.rate or 16000)
            streamed = await client.synthesize_streaming(
                HOST, server["port"], chunks, chunk_delay=args.chunk_delay
            )
            if streamed.errors or streamed.first_audio is None:
                raise SystemExit(f"{name} (streaming): {streamed.errors or 'no audio'}")
            samples[name]["streaming_first_audio_s"].append(
                streamed.first_audio - streamed.text_sent[ends_sentence_1]
            )
    out: dict[str, Any] = {}
    for name, kinds in samples.items():
        out[name] = {"audio_seconds": round(audio_seconds[name], 3)}
        for kind, values in kinds.items():
            out[name][kind] = {
                "median": round(statistics.median(values), 4),
                "min": round(min(values), 4),
                "max": round(max(values), 4),
                "all": [round(v, 4) for v in values],
            }
    return out


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("yourtts-onnx", "wyoming", "wyoming-piper", "piper-tts", "onnxruntime"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def _table(report: dict[str, Any]) -> str:
    rows = [
        "| server | first audio after `synthesize` | whole answer | first audio after sentence 1 (streamed text) |",
        "|---|---|---|---|",
    ]
    for name, r in report["servers"].items():
        first, total, stream = (
            r[k]["median"]
            for k in ("synthesize_first_audio_s", "synthesize_total_s", "streaming_first_audio_s")
        )
        rows.append(
            f"| {name} | {first * 1000:.0f} ms | {total * 1000:.0f} ms for {r['audio_seconds']:.1f} s of audio "
            f"| {stream * 1000:.0f} ms |"
        )
    head = (
        f"{report['precision']} bundle {report['bundle']} (windows within sentences: "
        f"{report['streams_within_sentences']}), voice {report['voice']} ({report['language']}), noise "
        f"{report['noise']}, medians of {report['repeats']}; versions {report['versions']}"
    )
    return head + "\n\n" + "\n".join(rows)


if __name__ == "__main__":
    raise SystemExit(main())
