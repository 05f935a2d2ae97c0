"""Where HiFi-GAN's time goes, per layer class, from ONNX Runtime's own per-node profile.

The vocoder graph (``vocoder.onnx``) runs in a ``create_session`` session with
``SessionOptions(profile_prefix=...)`` (ONNX Runtime's ``enable_profiling``); every ``*_kernel_time`` event
of the optimised graph carries the node's name, kernel (``op_name``) and input/output shapes, so the
multiply-adds of each convolution are counted from the shapes the kernel actually saw (2 ops per
multiply-add, like :mod:`.flops`) and divided by its own time. Layer classes:

* ``cond_layer (speaker embedding)`` (fp32 in both: it reads the embedding, not ``z``), ``conv_pre``,
  ``conv_post``; ``upsampling (polyphase convs)`` (the transposed convolutions rewritten as
  polyphase convolutions, :mod:`yourtts_onnx.optimize.surgery`) or ``upsampling (ConvTranspose)``;
  ``resblock conv k=K`` (the multi-receptive-field blocks, by kernel size);
* everything else by kernel: ``Transpose`` (layout changes: the NHWC kernels' and the polyphase
  interleave), ``QLinearLeakyRelu``/``LeakyRelu``, ``QLinearAdd``/``Add``, ...

GOPS = counted ops / kernel seconds, per class; % of peak against the fp32 peak (fp32 graph) or 4× it
(the int8 VNNI rate: ``vpdpbusd`` does four 8-bit multiply-adds per 32-bit lane where FMA does one).
``python -m yourtts_onnx.bench.vocoder_profile --help``.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.bench.flops import per_node
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.session import SessionOptions, create_session

CONV_KERNELS = {"Conv", "QLinearConv", "FusedConv", "ConvTranspose", "NhwcFusedConv", "NhwcConv"}
INT8_RATE = 4  # int8 multiply-adds per fp32 FMA on AVX-512 VNNI


def _shape(entry: dict[str, Any]) -> list[int]:
    (shape,) = entry.values()
    return [int(d) for d in shape]


_TOKEN = re.compile(r"_token_\d+$")


def source_name(event: dict[str, Any]) -> str:
    """The node of the graph file an optimised kernel came from (the NHWC rewrite appends ``_token_N``)."""
    return _TOKEN.sub("", event["name"].removesuffix("_kernel_time"))


def layer_class(event: dict[str, Any], weights: dict[str, tuple[float, list[int]]]) -> str:
    name, op = source_name(event), event["args"]["op_name"]
    if op not in CONV_KERNELS:
        return op
    if "cond_layer" in name:
        return "cond_layer (speaker embedding)"
    if "conv_pre" in name:
        return "conv_pre"
    if "conv_post" in name:
        return "conv_post"
    if op == "ConvTranspose":
        return "upsampling (ConvTranspose)"
    if "polyphase" in name:
        return "upsampling (polyphase convs)"
    if "resblocks" in name:
        shape = weights.get(name, (0.0, []))[1]
        return f"resblock conv k={shape[-1]}" if shape else "resblock conv"
    return f"other {op}"


def profile_graph(
    path: Path, feeds: dict[str, np.ndarray], threads: int, runs: int, counted: Path | None = None
) -> dict[str, Any]:
    """Per layer class: kernel ms per run, ops per run, GOPS, and the kernels seen. ``counted``: the graph
    whose convolutions are counted (default ``path``; for a CPU copy, whose contrib ops shape inference does
    not know, its portable graph: the node names are the same)."""
    with tempfile.TemporaryDirectory(prefix="yourtts-profile-") as tmp:
        session = create_session(path, SessionOptions(threads=threads, profile_prefix=str(Path(tmp) / "p")))
        session.run(None, feeds)  # warm-up (also profiled: dropped below by run count)
        t0 = time.perf_counter()
        for _ in range(runs):
            session.run(None, feeds)
        wall = (time.perf_counter() - t0) / runs
        events = json.loads(Path(session.end_profiling()).read_text())
    frames = int(feeds[cat.Z].shape[2])
    flops = per_node(counted or path, {cat.BATCH: 1, cat.FRAMES: frames})
    kernels = [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]
    per_run = len(kernels) // (runs + 1)
    kernels = kernels[per_run:]  # drop the warm-up run
    classes: dict[str, dict[str, Any]] = defaultdict(lambda: {"us": 0.0, "ops": 0.0, "kernels": set()})
    for e in kernels:
        c = classes[layer_class(e, flops)]
        c["us"] += e["dur"]
        c["kernels"].add(e["args"]["op_name"])
        if e["args"]["op_name"] in CONV_KERNELS:
            c["ops"] += flops.get(source_name(e), (0.0, []))[0]
    total_us = sum(c["us"] for c in classes.values())
    out = {}
    for name, c in sorted(classes.items(), key=lambda kv: -kv[1]["us"]):
        out[name] = {
            "ms": c["us"] / runs / 1e3,
            "share": c["us"] / total_us if total_us else 0.0,
            "gop": c["ops"] / runs / 1e9,
            "gops": c["ops"] / (c["us"] * 1e-6) / 1e9 if c["ops"] and c["us"] else None,
            "kernels": sorted(c["kernels"]),
        }
    conv_us = sum(c["us"] for c in classes.values() if c["ops"])
    conv_ops_total = sum(c["ops"] for c in classes.values())
    return {
        "graph": str(path),
        "runs": runs,
        "wall_ms": wall * 1e3,
        "kernel_ms": total_us / runs / 1e3,
        "gop": conv_ops_total / runs / 1e9,
        "gops_wall": conv_ops_total / runs / wall / 1e9,
        "gops_conv_kernels": conv_ops_total / (conv_us * 1e-6) / 1e9 if conv_us else None,
        "classes": out,
    }


def vocoder_feeds(frames: int, hidden: int, embedding_dim: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        cat.Z: (0.6 * rng.standard_normal((1, hidden, frames))).astype(np.float32),
        cat.SPEAKER_EMBEDDING: rng.standard_normal((1, embedding_dim)).astype(np.float32),
    }


def report(results: dict[str, dict[str, Any]], peak_fp32: float | None) -> list[str]:
    lines = []
    for label, r in results.items():
        peak = None if peak_fp32 is None else peak_fp32 * (INT8_RATE if "int8" in label else 1)
        lines += [
            f"**{label}** (`{r['graph']}`): {r['wall_ms']:.1f} ms per run (wall), {r['kernel_ms']:.1f} ms in kernels; "
            f"{r['gop']:.1f} GOP in convolutions → {r['gops_wall']:.0f} GOPS over the wall time"
            + (f" ({100 * r['gops_wall'] / peak:.0f}% of {peak:.0f})" if peak else "")
            + ".",
            "",
            "| layer class | kernels | ms | share | GOP | GOPS | % of peak |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, c in r["classes"].items():
            if c["share"] < 0.002:
                continue
            gops = c["gops"]
            lines.append(
                f"| {name} | {', '.join(c['kernels'])} | {c['ms']:.2f} | {100 * c['share']:.1f}% | "
                f"{c['gop']:.2f} | {f'{gops:.0f}' if gops else '–'} | "
                f"{f'{100 * gops / peak:.0f}%' if gops and peak else '–'} |"
            )
        lines.append("")
    return lines


def profile_bundles(
    bundles: dict[str, Path], frames: int, threads: int, runs: int
) -> dict[str, dict[str, Any]]:
    """:func:`profile_graph` of each bundle's ``vocoder.onnx`` (labels as given; those without one are skipped)
    and of its CPU copy where it has one (label ``"<label> CPU copy"``: what the runtime runs on the CPU)."""
    import onnx

    from yourtts_onnx.runtime.bundle import GRAPH_VOCODER, Bundle

    results = {}
    for label, directory in bundles.items():
        bundle = Bundle.open(directory, integrity="none")
        if not bundle.has_graph(GRAPH_VOCODER):
            continue
        graph = bundle.graph_path(GRAPH_VOCODER)
        inputs = onnx.load(str(graph), load_external_data=False).graph.input
        z = next(i for i in inputs if i.name == cat.Z)
        hidden = int(z.type.tensor_type.shape.dim[1].dim_value)
        feeds = vocoder_feeds(frames, hidden, bundle.config.embedding_dim)
        results[label] = profile_graph(graph, feeds, threads, runs)
        if bundle.has_cpu_copy(GRAPH_VOCODER):
            copy = bundle.graph_path(GRAPH_VOCODER, cpu=True)
            results[f"{label} CPU copy"] = profile_graph(copy, feeds, threads, runs, counted=graph)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    from yourtts_onnx.bench.machine import describe

    p = argparse.ArgumentParser(
        prog="python -m yourtts_onnx.bench.vocoder_profile", description=__doc__.split("\n")[0]
    )
    p.add_argument("bundles", nargs="+", help="LABEL=BUNDLE_DIR (label containing 'int8': int8 peak)")
    p.add_argument("--frames", type=int, default=250)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path, help="directory for vocoder_profile.json and .md")
    p.add_argument("--note", default="")
    args = p.parse_args(argv)
    peak = describe(args.threads)["peak_fp32"]["gflops"]
    pairs = dict(item.partition("=")[::2] for item in args.bundles)
    results = profile_bundles({k: Path(v) for k, v in pairs.items()}, args.frames, args.threads, args.runs)
    lines = [
        f"# HiFi-GAN per layer class ({args.frames} frames, {args.threads} threads, {args.runs} profiled runs)",
        "",
        f"fp32 peak {peak:.0f} GFLOP/s (bench.machine); int8 peak = {INT8_RATE}× that.",
        "",
        *report(results, peak),
    ]
    if args.note:
        lines += [f"Conditions: {args.note}", ""]
    print("\n".join(lines))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "vocoder_profile.json").write_text(
            json.dumps(
                {
                    "frames": args.frames,
                    "threads": args.threads,
                    "peak_fp32": peak,
                    "results": results,
                    "note": args.note,
                },
                indent=2,
                default=list,
            )
            + "\n"
        )
        (args.out / "vocoder_profile.md").write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
