"""``yourtts-onnx export``: Coqui checkpoint directory → verified ONNX bundle."""

from __future__ import annotations

import argparse
import sys

from yourtts_onnx.runtime.graph_catalog import EXPORT_GROUPS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="export a Coqui YourTTS checkpoint to an ONNX bundle (needs the 'export' extra)"
    )
    p.add_argument(
        "--checkpoint",
        required=True,
        help="Coqui checkpoint directory (config.json, model_file.pth, ...), or your_tts to download the released model",
    )
    p.add_argument("--out", required=True, help="bundle directory to write (replaced atomically)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    p.add_argument("--no-simplify", action="store_true", help="skip onnxslim simplification")
    p.add_argument(
        "--only",
        action="append",
        choices=list(EXPORT_GROUPS),
        help="export only these graphs (repeatable; default: all)",
    )
    p.add_argument("--no-verify", action="store_true", help="skip numerical verification against PyTorch")
    p.add_argument(
        "--trust-checkpoint", action="store_true", help="allow full unpickling (runs code from the file)"
    )


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import require

    require("torch", "export")
    require("onnx", "export")
    from yourtts_onnx.export.bundle_writer import export_bundle
    from yourtts_onnx.export.download import resolve_checkpoint

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    checkpoint = resolve_checkpoint(args.checkpoint, progress=progress)
    result = export_bundle(
        checkpoint,
        args.out,
        opset=args.opset,
        do_simplify=not args.no_simplify,
        only=args.only,
        verify=not args.no_verify,
        trust=args.trust_checkpoint,
        progress=progress,
    )
    print(result.bundle)
    return 0
