"""Measurements that need a fresh process: cold start (process start → first sample) and peak RSS.

Run as ``python -m yourtts_onnx.bench.probe MODE --bundle B ...``; prints one JSON line with
``time.monotonic()`` stamps (a system-wide clock, so the parent can subtract its own start stamp) and
``maxrss_mb`` (``ru_maxrss`` of this process). Imports ONNX Runtime and the torch-free runtime only.

* ``cold``: load the graphs, speak the text; with a streaming mode stop at the first chunk;
* ``rss``: load the graphs and speak the text whole (streaming modes: every chunk), then report.
"""

from __future__ import annotations

import time

T_MAIN = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import asdict  # noqa: E402
from typing import Any  # noqa: E402


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m yourtts_onnx.bench.probe")
    p.add_argument("what", choices=["cold", "rss"])
    p.add_argument("--bundle", required=True)
    p.add_argument("--mode", default="model", choices=["model", "components", "split"])
    p.add_argument("--text", required=True)
    p.add_argument("--language", default="en")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--level", default="all")
    p.add_argument("--no-arena", action="store_true")
    p.add_argument("--spinning", action="store_true", help="let intra-op threads spin (ORT's default)")
    p.add_argument("--optimized-dir", default=None)
    p.add_argument("--verify-hashes", action="store_true")
    p.add_argument("--first-frames", type=int, default=16)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _args(argv)
    import numpy as np
    import onnxruntime  # noqa: F401

    from yourtts_onnx.bench.ort_pipeline import Batch, OrtSettings, OrtTTS, scales_array
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule
    from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer

    t_imported = time.monotonic()
    bundle = Bundle.open(args.bundle, verify_hashes=args.verify_hashes)
    settings = OrtSettings(
        threads=args.threads, level=args.level, arena=not args.no_arena, optimized_dir=args.optimized_dir,
        spinning=args.spinning,
    )
    tts = OrtTTS(bundle, settings, args.mode)
    t_loaded = time.monotonic()
    tok = Tokenizer(TextFrontendConfig.from_dict(bundle.config.text))
    ids = tok.encode(args.text, args.language)
    speakers = bundle.speaker_embeddings()
    emb = next(iter(speakers.values())) if speakers else np.ones(bundle.config.embedding_dim, np.float32)
    lang = bundle.config.languages.get(args.language, 0)
    scales = scales_array()
    samples = 0
    t_first = None
    if args.mode == "model" or (args.what == "rss" and args.mode == "components"):
        samples = len(tts.synthesize(Batch.of([ids], emb, lang, tok.pad_id), scales)[0])
        t_first = time.monotonic()
    else:
        for chunk in tts.stream(ids, emb, lang, scales, ChunkSchedule(first=args.first_frames)):
            if t_first is None:
                t_first = time.monotonic()
                if args.what == "cold":
                    samples = len(chunk)
                    break
            samples += len(chunk)
    result: dict[str, Any] = {
        "t_main": T_MAIN,
        "t_imported": t_imported,
        "t_loaded": t_loaded,
        "t_first": t_first,
        "t_done": time.monotonic(),
        "samples": samples,
        "maxrss_mb": peak_rss_mb(),
        "settings": asdict(settings),
    }
    print(json.dumps(result))
    return 0


def peak_rss_mb() -> float:
    """This process's peak resident set (``VmHWM``; ``ru_maxrss`` would include the parent's RSS at fork)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_probe(what: str, bundle: str, mode: str, text: str, *, threads: int = 2, extra: Sequence[str] = ()) -> dict[str, Any]:
    """Run the probe in a new interpreter; adds ``cold_s`` (parent's spawn → first sample) and the phases."""
    cmd = [sys.executable, "-m", "yourtts_onnx.bench.probe", what, "--bundle", bundle, "--mode", mode,
           "--text", text, "--threads", str(threads), *extra]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"probe failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["cold_s"] = out["t_first"] - t0
    out["interpreter_s"] = out["t_main"] - t0
    out["imports_s"] = out["t_imported"] - out["t_main"]
    out["sessions_s"] = out["t_loaded"] - out["t_imported"]
    out["first_audio_s"] = out["t_first"] - out["t_loaded"]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
