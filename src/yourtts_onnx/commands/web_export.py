"""``yourtts-onnx web-export``: a bundle → a static site that speaks and clones voices in the browser
(onnxruntime-web; needs onnx, the 'export' extra, and a checkout's web/ sources; no torch)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "web-export",
        help="write a static web site that runs the bundle in the browser, voice cloning included (onnxruntime-web)",
        description="The site holds the page, its JavaScript, onnxruntime-web's WASM files and the browser graphs "
        "(text encoder, duration predictor, flow, vocoder, speaker encoder) at the chosen precision: int8 (default) "
        "quantises the vocoder to INT8 and stores the other graphs' weights as fp16; fp16 stores every graph's "
        "weights as fp16; fp32 converts nothing. Each conversion is measured against fp32 and undone when it loses "
        "quality. Serve the directory with any static host (COOP/COEP headers enable multi-threaded WASM), or with "
        "`yourtts-onnx serve --web-site SITE` at /local/. Sites built from the released YourTTS weights are under "
        "their licence, CC BY-NC-ND 4.0.",
    )
    p.add_argument("--bundle", required=True, help="the fp32 bundle to export")
    p.add_argument("--out", required=True, type=Path, help="site directory to write (replaced atomically)")
    p.add_argument("--precision", default="int8", choices=["int8", "fp16", "fp32"], help="default int8")
    p.add_argument(
        "--web-dir",
        type=Path,
        default=None,
        help="the web/ directory of a yourtts-onnx checkout (default: this one's)",
    )
    p.add_argument(
        "--onnxruntime-web",
        dest="ort_dir",
        type=Path,
        default=None,
        help="an installed onnxruntime-web package (default: web/node_modules/onnxruntime-web, from `make web-deps`)",
    )


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import require

    require("onnx", "export")
    from yourtts_onnx.web.site import web_export

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    result = web_export(
        args.bundle, args.out, args.precision, web_dir=args.web_dir, ort_dir=args.ort_dir, progress=progress
    )
    for name, precision in sorted(result.graphs.items()):
        progress(f"  {name}: {precision}")
    print(result.site)
    return 0
