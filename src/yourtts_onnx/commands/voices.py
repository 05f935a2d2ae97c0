"""``yourtts-onnx voices``: list the bundle's built-in speakers and the saved voices; ``--save NAME --blend
EXPR`` saves a blend of voices (``"a(2)+b(1)"``) as a named voice."""

from __future__ import annotations

import argparse
import json
from typing import Any

from yourtts_onnx.commands.engine_flags import add_bundle_arg, add_voices_dir_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("voices", help="list built-in speakers and saved voices")
    add_bundle_arg(p, required=False)
    add_voices_dir_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    b = p.add_argument_group("save a blend of voices (needs --bundle)")
    b.add_argument(
        "--blend",
        metavar="EXPR",
        help="voices mixed by weight, e.g. 'female-en-5(2)+me(1)' (weights > 0, default 1; only ratios matter)",
    )
    b.add_argument("--save", metavar="NAME", help="save --blend as this voice name")
    b.add_argument("--label", metavar="TEXT", help="a display name for the saved voice")
    b.add_argument("--force", action="store_true", help="replace an existing voice of the same name")


def _save_blend(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import InputError
    from yourtts_onnx.runtime.voice_profiles import check_voice_name

    if args.blend is None or args.save is None or args.bundle is None:
        raise InputError("saving a blend needs --bundle, --blend EXPR and --save NAME together")
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.voices import Voices

    check_voice_name(args.save)
    voices = Voices(Bundle.open(args.bundle), args.voices_dir)
    profile = voices.save_blend(args.save, args.blend, label=args.label, overwrite=args.force)
    print(profile.path)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.blend is not None or args.save is not None:
        return _save_blend(args)
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.voice_profiles import list_profiles, voices_dir

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
                "blend": v.blend,
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
