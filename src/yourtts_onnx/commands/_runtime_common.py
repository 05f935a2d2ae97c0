"""Shared pieces of the commands that speak one text (``synth``): the voice, language and seed of the call
and the one mapping from arguments to :class:`~yourtts_onnx.runtime.options.SynthesisOptions`, over the engine
flags (:mod:`.engine_flags`); and what a command does after a failed write to standard output.

Nothing heavy is imported at module level; the runtime is imported inside the functions.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING

from yourtts_onnx.commands.engine_flags import add_engine_args, default_options

if TYPE_CHECKING:
    from yourtts_onnx.runtime.options import SynthesisOptions


def add_synthesis_args(p: argparse.ArgumentParser) -> None:
    """The engine flags (:func:`~.engine_flags.add_engine_args`) and the call's own: voice, language, seed;
    every field of SynthesisOptions a CLI user can set."""
    s = add_engine_args(p)
    s.add_argument(
        "--seed", type=int, metavar="N", help="draw the noise from this seed: the same audio every run"
    )
    v = p.add_argument_group("voice (at most one; default: the first built-in speaker)")
    v.add_argument("--speaker", metavar="NAME", help="a built-in speaker of the bundle (see 'voices')")
    v.add_argument(
        "--voice",
        metavar="NAME|PATH|BLEND",
        help="a saved voice (see 'embed'), a voice profile path, or a blend 'a(2)+b(1)' of voices",
    )
    v.add_argument(
        "--speaker-wav",
        action="append",
        metavar="AUDIO",
        help="clone from a recording (repeatable: averaged)",
    )
    p.add_argument("--language", "-l", help="language, e.g. en, fr-fr, pt-br (default: the only one, or en)")


def synthesis_options(args: argparse.Namespace) -> SynthesisOptions:
    """The one mapping from CLI arguments to SynthesisOptions (unset arguments keep the defaults)."""
    from yourtts_onnx.errors import InputError

    given = [f for f in ("speaker", "voice", "speaker_wav") if getattr(args, f, None)]
    if len(given) > 1:
        flags = ", ".join("--" + g.replace("_", "-") for g in given)
        raise InputError(f"give only one of --speaker, --voice and --speaker-wav (got {flags})")
    return default_options(
        args,
        language=args.language,
        voice=args.speaker or args.voice,
        speaker_wav=list(args.speaker_wav) if args.speaker_wav else None,
        seed=args.seed,
    )


def silence_stdout() -> None:
    """After a failed write to standard output (a broken pipe, a full disk), point it at /dev/null so that
    the interpreter's final flush of what is still buffered cannot fail a second time."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
