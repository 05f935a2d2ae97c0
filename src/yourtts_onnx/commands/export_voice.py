"""``yourtts-onnx export-voice``: one voice of a bundle as a single-speaker Piper or sherpa-onnx model."""

from __future__ import annotations

import argparse
import sys

from yourtts_onnx.commands.engine_flags import add_bundle_arg, add_voices_dir_arg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-voice",
        help="export one voice + language as a single-speaker model for Piper or sherpa-onnx (needs 'onnx')",
        description=(
            "Bake a voice (built-in speaker or saved voice) and a language into a copy of the bundle's "
            "model.onnx and write the files Piper or sherpa-onnx load. See docs/consumers.md for how "
            "their text frontends differ from YourTTS's."
        ),
    )
    add_bundle_arg(p)
    p.add_argument(
        "--voice", required=True, help="built-in speaker name, saved voice name, or voice profile path"
    )
    p.add_argument("--language", required=True, help="language of the bundle (e.g. en, fr-fr, pt-br)")
    p.add_argument("--format", required=True, choices=["piper", "sherpa-onnx"], help="target host")
    p.add_argument("--out", required=True, help="output directory (replaced atomically)")
    p.add_argument("--name", help="model file name without .onnx (default: yourtts-LANGUAGE-VOICE)")
    add_voices_dir_arg(p)
    p.add_argument(
        "--no-compose-marks",
        action="store_true",
        help="piper: do not recompose NFD accents in the graph (accented letters are then read unaccented)",
    )
    p.add_argument(
        "--no-verify", action="store_true", help="skip the check of the new graph against the bundle"
    )


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import require

    require("onnx", "export")
    from yourtts_onnx.voice_export import export_voice

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    result = export_voice(
        args.bundle, args.voice, args.language, args.format, args.out, name=args.name,
        voices_dir=args.voices_dir, compose_marks=not args.no_compose_marks, verify=not args.no_verify,
        progress=progress,
    )  # fmt: skip
    progress(
        f"wrote {', '.join(result.files)} for voice '{result.voice}' ({result.language}, {result.format})"
    )
    for note in result.notes:
        progress(f"licence: {note}")
    print(result.out)
    return 0
