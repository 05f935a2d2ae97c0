"""Shared pieces of the runtime commands (synth, embed, voices, tokenize): arguments, the mapping from
arguments to :class:`~yourtts_onnx.runtime.options.SynthesisOptions` (one place), and a progress bar.

Nothing heavy is imported at module level; the runtime is imported inside the functions.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from yourtts_onnx.runtime.options import SynthesisOptions
    from yourtts_onnx.runtime.session import SessionOptions
    from yourtts_onnx.runtime.synthesizer import Synthesizer
    from yourtts_onnx.runtime.voice_service import Voices


def add_bundle_arg(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--bundle", "-b", required=required, metavar="DIR", help="exported bundle directory")


def add_session_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("ONNX Runtime")
    g.add_argument("--threads", type=int, metavar="N", help="intra-op threads (default: one per core)")
    g.add_argument(
        "--provider",
        action="append",
        metavar="NAME",
        help="execution provider, e.g. CUDAExecutionProvider (repeatable; default: CUDA if available, else CPU)",
    )
    g.add_argument(
        "--graph-optimization",
        choices=["all", "extended", "basic", "disable"],
        default="all",
        help="ONNX Runtime graph optimisation level (default: all)",
    )
    g.add_argument(
        "--backend",
        choices=["auto", "split", "components", "model"],
        default="auto",
        help="decoding graphs: flow+vocoder, decoder, or model.onnx (default auto: the first the bundle has)",
    )
    g.add_argument(
        "--cache-optimized",
        action="store_true",
        help="save graphs optimised by ONNX Runtime in the user cache and reuse them (faster start)",
    )
    h = g.add_mutually_exclusive_group()
    h.add_argument(
        "--verify-hashes",
        action="store_true",
        help="hash every bundle file (default: only files not verified before in their current state)",
    )
    h.add_argument(
        "--skip-hash-check",
        action="store_true",
        help="check the bundle files' presence and sizes only, not their SHA-256",
    )


def add_voices_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--voices-dir",
        metavar="DIR",
        help="saved voices directory (default: $YOURTTS_ONNX_VOICES or $XDG_DATA_HOME/yourtts-onnx/voices)",
    )


def add_lexicon_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lexicon",
        metavar="FILE",
        help='pronunciation lexicon, JSON {"en": {"Nguyen": "win"}, "fr-fr": {...}}: whole words replaced '
        "before numbers and cleaning (default: the bundle's lexicon.json, if any; {} turns it off)",
    )


def integrity_mode(args: argparse.Namespace) -> str:
    if getattr(args, "verify_hashes", False):
        return "full"
    return "none" if getattr(args, "skip_hash_check", False) else "stamp"


def session_options(args: argparse.Namespace) -> SessionOptions:
    from yourtts_onnx.runtime.session import SessionOptions, default_cache_dir

    return SessionOptions(
        threads=args.threads,
        providers=args.provider,
        graph_optimization=args.graph_optimization,
        cache_dir=default_cache_dir() if getattr(args, "cache_optimized", False) else None,
    )


def open_voices(args: argparse.Namespace) -> Voices:
    """The voice service alone (cloning, saved voices), without loading the synthesis graphs."""
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.voice_service import Voices

    bundle = Bundle.open(args.bundle, integrity=integrity_mode(args))
    return Voices(bundle, getattr(args, "voices_dir", None), session_options(args))


def open_synthesizer(args: argparse.Namespace) -> Synthesizer:
    from yourtts_onnx.runtime.synthesizer import Synthesizer

    return Synthesizer.from_bundle(
        args.bundle,
        session_options=session_options(args),
        backend=getattr(args, "backend", "auto"),
        integrity=integrity_mode(args),
        voices_dir=getattr(args, "voices_dir", None),
        lexicon=getattr(args, "lexicon", None),
    )


def add_scale_args(p: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The "synthesis" group: the three scales, the sentence pause and the utterance cap (every front end's
    defaults for SynthesisOptions; :func:`scale_fields` maps them)."""
    s = p.add_argument_group("synthesis")
    s.add_argument(
        "--noise-scale", type=float, metavar="X", help="variation of the voice (default: the bundle's)"
    )
    s.add_argument(
        "--length-scale",
        type=float,
        metavar="X",
        help="speaking duration factor; > 1 is slower (default: the bundle's)",
    )
    s.add_argument(
        "--noise-scale-dp", type=float, metavar="X", help="variation of the rhythm (default: the bundle's)"
    )
    s.add_argument(
        "--sentence-pause",
        type=float,
        metavar="SEC",
        help="silence between sentences (default: the bundle's, 0.2)",
    )
    s.add_argument(
        "--max-tokens",
        type=int,
        metavar="N",
        help="cut sentences longer than N ids (default: the bundle's, 400)",
    )
    s.add_argument(
        "--loudness",
        type=float,
        metavar="LUFS",
        help="normalise the output's integrated loudness (ITU-R BS.1770) to LUFS, e.g. -16, true peaks at "
        "most -1 dBTP; streamed audio follows a running measure (default: off, the model's level)",
    )
    return s


def scale_fields(args: argparse.Namespace) -> dict[str, object]:
    """The SynthesisOptions fields of :func:`add_scale_args` (None: unset, the bundle's default)."""
    return {
        "noise_scale": args.noise_scale,
        "length_scale": args.length_scale,
        "noise_scale_dp": args.noise_scale_dp,
        "sentence_pause": args.sentence_pause,
        "max_tokens": args.max_tokens,
        "loudness": args.loudness,
    }


def add_synthesis_args(p: argparse.ArgumentParser) -> None:
    """Voice, language and synthesis options: every field of SynthesisOptions a CLI user can set."""
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
    add_voices_dir_arg(p)
    add_lexicon_arg(p)
    p.add_argument("--language", "-l", help="language, e.g. en, fr-fr, pt-br (default: the only one, or en)")
    s = add_scale_args(p)
    s.add_argument(
        "--seed", type=int, metavar="N", help="draw the noise from this seed: the same audio every run"
    )
    s.add_argument(
        "--coqui-exact",
        action="store_true",
        help="tokenise exactly as Coqui: no number expansion (digits are dropped), no sentence splitting",
    )


def synthesis_options(args: argparse.Namespace) -> SynthesisOptions:
    """The one mapping from CLI arguments to SynthesisOptions (unset arguments keep the defaults)."""
    from yourtts_onnx.errors import InputError
    from yourtts_onnx.runtime.options import make_options

    given = [f for f in ("speaker", "voice", "speaker_wav") if getattr(args, f, None)]
    if len(given) > 1:
        flags = ", ".join("--" + g.replace("_", "-") for g in given)
        raise InputError(f"give only one of --speaker, --voice and --speaker-wav (got {flags})")
    exact = bool(getattr(args, "coqui_exact", False))
    return make_options(
        language=args.language,
        voice=args.speaker or args.voice,
        speaker_wav=list(args.speaker_wav) if args.speaker_wav else None,
        seed=args.seed,
        **scale_fields(args),
        normalize_numbers=False if exact else None,
        split_sentences=False if exact else None,
    )


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(
        self, label: str, stream: TextIO | None = None, enabled: bool | None = None, width: int = 30
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self.width = width
        self.start = time.monotonic()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        self.update(done, total)

    def update(self, done: int, total: int) -> None:
        if not self.enabled or total <= 1:
            return
        filled = round(self.width * done / total) if total else self.width
        elapsed = time.monotonic() - self.start
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {elapsed:5.1f}s")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def silence_stdout() -> None:
    """After a failed write to standard output (a broken pipe, a full disk), point it at /dev/null so that
    the interpreter's final flush of what is still buffered cannot fail a second time."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
