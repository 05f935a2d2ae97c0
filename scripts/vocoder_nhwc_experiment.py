#!/usr/bin/env python3
"""Experiment (issue 22, part 3): does keeping the INT8 vocoder NHWC end to end pay?

ONNX Runtime's optimised INT8 ``vocoder.onnx`` runs ``QLinearConv`` in NHWC but the residual ``QLinearAdd`` and
``QLinearLeakyRelu`` in NCHW, with a ``Transpose`` on each side of every convolution. This script saves the
graph as ONNX Runtime optimises it (``SessionOptions(cache_dir=...)``), removes every layout transpose between
integer kernels (the elementwise ops are layout-agnostic; the polyphase interleave becomes one NHWC
``Reshape``), checks the output is bit-identical, and times the variants interleaved.

    .venv/bin/python scripts/vocoder_nhwc_experiment.py --bundle INT8_BUNDLE --frames 250 --reps 20

The rewrite is :func:`yourtts_onnx.optimize.cpu_layout.strip_layout_transposes`, which ``quantize --precision
int8`` now ships as the bundle's ``vocoder.ort-cpu.onnx`` (checked bit-identical first); this script re-measures
it on its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx

from yourtts_onnx.bench.timing import interleaved
from yourtts_onnx.bench.vocoder_profile import vocoder_feeds
from yourtts_onnx.optimize.cpu_layout import strip_layout_transposes
from yourtts_onnx.runtime.session import SessionOptions, create_session


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", type=Path, required=True, help="an INT8 bundle")
    ap.add_argument("--frames", type=int, default=250)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--out", type=Path, help="write nhwc_experiment.json here")
    ap.add_argument("--note", default="")
    args = ap.parse_args()
    graph = args.bundle / "vocoder.onnx"
    with tempfile.TemporaryDirectory(prefix="yourtts-nhwc-") as tmp:
        cache = Path(tmp) / "cache"
        create_session(graph, SessionOptions(threads=args.threads, cache_dir=cache))
        (optimised,) = list(cache.glob("*.onnx"))
        shutil.copyfile(args.bundle / "weights.bin", cache / "weights.bin")
        model = onnx.load(str(optimised))
        before = sum(n.op_type == "Transpose" for n in model.graph.node)
        removed = strip_layout_transposes(model)
        after = sum(n.op_type == "Transpose" for n in model.graph.node)
        out = Path(tmp) / "nhwc.onnx"
        onnx.save(model, str(out), save_as_external_data=True, location="nhwc.bin")
        feeds = vocoder_feeds(args.frames, 192, 512)
        opts = SessionOptions(threads=args.threads)
        sessions = {
            "shipped vocoder.onnx (ORT all)": create_session(graph, opts),
            "ORT-optimised graph reloaded": create_session(
                optimised, opts.with_(graph_optimization="disable")
            ),
            "NHWC end to end": create_session(out, opts.with_(graph_optimization="disable")),
        }
        outs = {k: s.run(None, feeds)[0] for k, s in sessions.items()}
        ref = outs["shipped vocoder.onnx (ORT all)"]
        diffs = {k: float(np.abs(o - ref).max()) for k, o in outs.items()}
        stats = interleaved(
            {k: (lambda s=s: s.run(None, feeds)) for k, s in sessions.items()}, args.reps, warmup=2
        )
    base = stats["shipped vocoder.onnx (ORT all)"].median
    result = {
        "frames": args.frames,
        "threads": args.threads,
        "reps": args.reps,
        "transposes": {"before": before, "after": after, "nodes_removed": removed},
        "max_abs_diff_vs_shipped": diffs,
        "ms": {k: v.to_dict(1e3) for k, v in stats.items()},
        "speedup_vs_shipped": {k: base / v.median for k, v in stats.items()},
        "note": args.note,
    }
    print(
        json.dumps(
            {k: result[k] for k in ("transposes", "max_abs_diff_vs_shipped", "speedup_vs_shipped")}, indent=2
        )
    )
    for k, v in stats.items():
        print(f"{k}: median {v.median * 1e3:.1f} ms, min {v.min * 1e3:.1f} ms")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "nhwc_experiment.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
