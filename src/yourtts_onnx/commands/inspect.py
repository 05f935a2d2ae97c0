"""``yourtts-onnx inspect``: describe a bundle directory or a single .onnx file."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect", help="show a bundle's or an .onnx file's inputs, outputs, metadata and size"
    )
    p.add_argument("path", help="bundle directory or .onnx file")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import BundleError
    from yourtts_onnx.runtime.inspect import (
        format_graph,
        format_summary,
        is_bundle,
        summarize_bundle,
        summarize_graph,
    )

    path = Path(args.path)
    if is_bundle(path):
        summary = summarize_bundle(path)
        print(json.dumps(summary.to_dict(), indent=2) if args.json else format_summary(summary))
        return 0
    if path.suffix == ".onnx" or path.is_file():
        graph = summarize_graph(path)
        if args.json:
            print(json.dumps(asdict(graph), indent=2))
        else:
            print("\n".join(format_graph(graph.metadata.get("graph", path.stem), graph)))
            for key, value in sorted(graph.metadata.items()):
                print(f"  meta {key} = {value}")
        return 0
    raise BundleError(f"{path}: neither a bundle directory (with config.json) nor an .onnx file")
