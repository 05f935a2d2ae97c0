"""``yourtts-onnx voices``: list the bundle's built-in speakers and the saved voices."""

from __future__ import annotations

import argparse
import json
from typing import Any

from yourtts_onnx.commands._runtime_common import add_bundle_arg, add_voices_dir_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("voices", help="list built-in speakers and saved voices")
    add_bundle_arg(p, required=False)
    add_voices_dir_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.voices import list_profiles, voices_dir

    builtin: list[str] = []
    dim: int | None = None
    if args.bundle is not None:
        config = Bundle.open(args.bundle, verify_hashes=False).config
        builtin = list(config.speakers.names)
        dim = config.embedding_dim
    directory = voices_dir(args.voices_dir)
    saved = list_profiles(directory)
    report: dict[str, Any] = {
        "builtin": builtin,
        "voices_dir": str(directory),
        "saved": [
            {
                "name": v.name,
                "path": str(v.path),
                "dim": v.dim,
                "created": v.created,
                "sources": [c.source for c in v.sources],
                "seconds": round(sum(c.duration for c in v.sources), 2),
                "usable": dim is None or v.dim == dim,
            }
            for v in saved
        ],
    }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    if args.bundle is not None:
        print(f"built-in speakers ({len(builtin)}):")
        for name in builtin:
            print(f"  {name}")
    print(f"saved voices in {directory} ({len(saved)}):")
    for v in report["saved"]:
        note = "" if v["usable"] else f"  (dimension {v['dim']} does not fit this bundle's {dim})"
        print(f"  {v['name']:<24} {len(v['sources'])} clip(s), {v['seconds']:.1f} s  {v['created']}{note}")
    return 0
