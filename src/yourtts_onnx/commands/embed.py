"""``yourtts-onnx embed``: reference recordings → a saved voice profile (``NAME.npy`` + ``NAME.json``)."""

from __future__ import annotations

import argparse

from yourtts_onnx.commands.engine_flags import (
    add_bundle_arg,
    add_session_args,
    add_voices_dir_arg,
    open_voices,
)
from yourtts_onnx.progress import ProgressBar


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "embed",
        help="clone a voice from recordings and save it by name",
        description=(
            "Compute a speaker embedding from one or more recordings (WAV/FLAC/OGG, any rate; several are "
            "averaged) with the bundle's speaker encoder, and save it as a voice profile usable with "
            "'synth --voice NAME'."
        ),
    )
    add_bundle_arg(p)
    p.add_argument("--name", required=True, help="voice name (letters, digits, '_', '-', '.')")
    p.add_argument(
        "audio", nargs="+", metavar="AUDIO", help="reference recording(s), ideally 3-10 s of clean speech"
    )
    add_voices_dir_arg(p)
    p.add_argument("--force", action="store_true", help="replace an existing voice of the same name")
    add_session_args(p)


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.runtime.voice_profiles import check_voice_name

    check_voice_name(args.name)
    voices = open_voices(args)
    with ProgressBar("embedding") as bar:
        profile = voices.save(args.name, list(args.audio), overwrite=args.force, progress=bar)
    print(profile.path)
    return 0
