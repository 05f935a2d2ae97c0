"""``yourtts-onnx bench``: the benchmark suite (speed, memory, size, FLOPs, quality) → benchmarks/results/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from yourtts_onnx.commands.engine_flags import add_bundle_arg, add_threads_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark the public API and CLI on fp32/INT8/fp16 bundles and PyTorch (needs the 'export' extra)",
        description="One run, same inputs and threads, interleaved repetitions, every synthesis through the public "
        "Synthesizer (synthesize/stream, per bundle and backend) or the CLI in new processes: RTF (against a bare "
        "model.onnx session and our PyTorch model), time to first audio, new process -> first audio byte of "
        "'synth --stream --out -', peak RSS, bundle sizes, FLOPs and %% of peak, quality. Writes bench.json, "
        "bench.md, readme_section.md (the README's performance section), rtf.png and machine.json. Without "
        "--checkpoint/--bundle a random full-size checkpoint is built, exported and quantised once (cached in "
        "--work).",
    )
    p.add_argument(
        "--out", help="results directory (default benchmarks/results; with --quick build/bench/quick-results)"
    )
    p.add_argument(
        "--work", default="build/bench", help="cache for checkpoints and bundles (default build/bench)"
    )
    p.add_argument("--checkpoint", help="Coqui checkpoint directory (default: a random one of --size)")
    add_bundle_arg(p, required=False, help="fp32 bundle exported from --checkpoint (default: exported here)")
    p.add_argument(
        "--size", default="full", choices=["tiny", "small", "full"], help="random model size (default full)"
    )
    add_threads_arg(p, default=2, per="2, for every variant")
    p.add_argument("--reps", type=int, default=5, help="timed repetitions per measurement (default 5)")
    p.add_argument("--cli-reps", type=int, default=9, help="new CLI processes per configuration (default 9)")
    p.add_argument("--decoder-frames", type=int, default=250, help="frames for the decoder-alone section")
    p.add_argument("--peak-gflops", type=float, help="override the fp32 peak derived from /proc/cpuinfo")
    p.add_argument("--no-torch", action="store_true", help="leave out the PyTorch variant")
    p.add_argument(
        "--no-peers", action="store_true", help="leave out Piper medium and sherpa-onnx (the peers section)"
    )
    p.add_argument(
        "--no-int8-gates",
        action="store_true",
        help="leave out the INT8 recipes' quality gates (each recipe is derived from the fp32 bundle)",
    )
    p.add_argument(
        "--quick", action="store_true", help="smoke run: tiny model, 1 repetition (not a measurement)"
    )


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import InputError, require

    require("onnx", "export")
    for name in ("threads", "reps", "cli_reps"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.decoder_frames < 16:
        raise InputError(f"--decoder-frames must be at least 16, got {args.decoder_frames}")
    from yourtts_onnx.bench.report import write_all
    from yourtts_onnx.bench.suite import BenchConfig, run_suite

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    common = dict(
        checkpoint=Path(args.checkpoint) if args.checkpoint else None,
        bundle=Path(args.bundle) if args.bundle else None,
        threads=args.threads,
        peak_gflops=args.peak_gflops,
        torch=not args.no_torch,
        peers=not args.no_peers,
        int8_quality=not args.no_int8_gates,
    )
    if args.quick:
        cfg = BenchConfig.quick_config(
            Path(args.out or "build/bench/quick-results"), Path(args.work), **common
        )
    else:
        cfg = BenchConfig(
            out=Path(args.out or "benchmarks/results"),
            work=Path(args.work),
            size=args.size,
            reps=args.reps,
            cli_reps=args.cli_reps,
            decoder_frames=args.decoder_frames,
            **common,
        )
    if cfg.torch:
        require("torch", "export")
    result = run_suite(cfg, progress)
    paths = write_all(result, cfg.out)
    for t in result["targets"]:
        mark = {True: "met", False: "NOT met", None: "-"}[t["met"]]
        progress(f"  {t['target']}: {t['measured']} [{mark}]")
    for p in paths.values():
        print(p)
    return 0
