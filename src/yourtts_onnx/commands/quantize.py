"""``yourtts-onnx quantize``: an fp32 bundle → an INT8 or fp16 bundle (plus flow/vocoder graphs for streaming)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "quantize",
        help="derive an int8/fp16 bundle from an fp32 bundle (needs onnx: the 'export' extra; no torch)",
        description="int8: HiFi-GAN in model.onnx, decoder.onnx and vocoder.onnx is quantised to INT8 (static QDQ, "
        "calibrated on the bundle's own outputs, transposed convolutions rewritten as polyphase convolutions); "
        "the flow's and the speaker encoder's weights are stored as fp16 (computed in fp32); the text encoder "
        "and duration predictor stay fp32. fp16: every graph stores fp16 weights and computes in fp32 (half "
        "the size). fp32: rewrites an older bundle in the current layout (one shared weights file, flow and "
        "vocoder graphs). Every graph of the source is kept, model.onnx included (it shares the components' "
        "weights). config.json records the precision of the bundle and of each graph, with fresh SHA-256 hashes.",
    )
    p.add_argument("--bundle", required=True, help="the fp32 bundle to start from")
    p.add_argument("--precision", required=True, choices=["int8", "fp16", "fp32"])
    p.add_argument("--out", required=True, help="bundle directory to write (replaced atomically)")


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import require

    require("onnx", "export")
    from yourtts_onnx.optimize.derive import derive_bundle

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    result = derive_bundle(args.bundle, args.out, args.precision, progress=progress)
    for name, precision in sorted(result.graphs.items()):
        progress(f"  {name}: {precision}")
    print(result.bundle)
    return 0
