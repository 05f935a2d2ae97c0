"""``yourtts-onnx synth``: text → WAV with ONNX Runtime alone (never imports torch).

Text comes from the argument, ``--text-file`` (``-`` for stdin) or standard input. ``--out -`` writes WAV
bytes to standard output. With ``--stream`` audio is written as soon as it is synthesised — window by
window within each sentence when the bundle has the component graphs, else sentence by sentence: to
stdout as a WAV whose header says "length unknown" (players read to the end), to a file incrementally
into a temporary sibling whose header is fixed at the end before it replaces the destination.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import BinaryIO

from yourtts_onnx.commands._runtime_common import (
    ProgressBar,
    add_bundle_arg,
    add_session_args,
    add_voices_dir_arg,
    open_synthesizer,
)
from yourtts_onnx.errors import InputError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="synthesise speech from text (ONNX Runtime only)",
        description="Synthesise speech from text with an exported bundle; writes a 16-bit PCM WAV.",
    )
    p.add_argument("text", nargs="?", help="text to speak (default: --text-file or standard input)")
    add_bundle_arg(p)
    p.add_argument(
        "--text-file", metavar="FILE", help="read the text from FILE (UTF-8; '-' for standard input)"
    )
    p.add_argument(
        "--out", "-o", required=True, metavar="WAV", help="WAV file to write, or '-' for standard output"
    )
    v = p.add_argument_group("voice (at most one; default: the first built-in speaker)")
    v.add_argument("--speaker", metavar="NAME", help="a built-in speaker of the bundle (see 'voices')")
    v.add_argument("--voice", metavar="NAME|PATH", help="a saved voice (see 'embed') or a voice profile path")
    v.add_argument(
        "--speaker-wav",
        action="append",
        metavar="AUDIO",
        help="clone from a recording (repeatable: averaged)",
    )
    add_voices_dir_arg(p)
    p.add_argument("--language", "-l", help="language, e.g. en, fr-fr, pt-br (default: the only one, or en)")
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
        "--sentence-pause", type=float, default=None, metavar="SEC", help="silence between sentences (0.2)"
    )
    s.add_argument("--batch-size", type=int, metavar="N", help="sentences per model call (default 1)")
    s.add_argument(
        "--max-tokens", type=int, metavar="N", help="cut sentences longer than N ids (default 400)"
    )
    s.add_argument(
        "--coqui-exact",
        action="store_true",
        help="tokenise exactly as Coqui: no number expansion, no sentence splitting",
    )
    p.add_argument(
        "--stream",
        action="store_true",
        help="write audio as soon as it is ready (within sentences when the bundle has component graphs)",
    )
    add_session_args(p)


def read_text(args: argparse.Namespace) -> str:
    if args.text is not None and args.text_file is not None:
        raise InputError("give the text either as an argument or with --text-file, not both")
    if args.text is not None:
        return str(args.text)
    if args.text_file is not None and args.text_file != "-":
        try:
            return Path(args.text_file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"text file '{args.text_file}' not found") from None
        except UnicodeDecodeError:
            raise InputError(f"text file '{args.text_file}' is not UTF-8 text") from None
        except OSError as exc:
            raise InputError(f"cannot read text file '{args.text_file}': {exc.strerror or exc}") from None
    if args.text_file is None and sys.stdin.isatty():
        raise InputError("no text: give it as an argument, with --text-file, or on standard input")
    try:
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise InputError("standard input is not UTF-8 text") from None


def _voice_kwargs(args: argparse.Namespace, synth: object) -> dict[str, object]:
    given = [f for f in ("speaker", "voice", "speaker_wav") if getattr(args, f)]
    if len(given) > 1:
        flags = ", ".join("--" + g.replace("_", "-") for g in given)
        raise InputError(f"give only one of --speaker, --voice and --speaker-wav (got {flags})")
    if args.speaker:
        return {"embedding": synth.speaker(args.speaker)}  # type: ignore[attr-defined]
    if args.voice:
        return {"voice": args.voice}
    if args.speaker_wav:
        return {"speaker_wav": list(args.speaker_wav)}
    return {}


def _stdout() -> BinaryIO:
    if sys.stdout.isatty():
        raise InputError(
            "refusing to write WAV data to a terminal: redirect standard output or use --out FILE"
        )
    return sys.stdout.buffer


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.runtime.atomic import atomic_open, check_writable
    from yourtts_onnx.runtime.synthesizer import DEFAULT_SENTENCE_PAUSE
    from yourtts_onnx.runtime.waveform import pcm16, wav_header

    text = read_text(args)
    to_stdout = args.out == "-"
    if not to_stdout:
        check_writable(args.out)
    extra = {"max_tokens": args.max_tokens} if args.max_tokens is not None else {}
    synth = open_synthesizer(args, **extra)
    t0 = time.perf_counter()
    bar = ProgressBar("synthesising")
    chunks = synth.stream(
        text,
        language=args.language,
        noise_scale=args.noise_scale,
        length_scale=args.length_scale,
        noise_scale_dp=args.noise_scale_dp,
        sentence_pause=DEFAULT_SENTENCE_PAUSE if args.sentence_pause is None else args.sentence_pause,
        normalize_numbers=not args.coqui_exact,
        split_sentences=not args.coqui_exact,
        batch_size=args.batch_size,
        progress=bar,
        **_voice_kwargs(args, synth),  # type: ignore[arg-type]
    )
    sr = synth.sample_rate
    samples = 0
    with bar:
        if args.stream and to_stdout:
            out = _stdout()
            for i, chunk in enumerate(chunks):
                out.write((wav_header(sr, None) if i == 0 else b"") + pcm16(chunk.samples))
                out.flush()
                samples += len(chunk)
        elif args.stream:
            with atomic_open(args.out) as fh:
                fh.write(wav_header(sr, None))
                for chunk in chunks:
                    fh.write(pcm16(chunk.samples))
                    samples += len(chunk)
                fh.seek(0)
                fh.write(wav_header(sr, samples))
        else:
            from yourtts_onnx.runtime.waveform import Audio

            audio = Audio.concatenate(list(chunks), sr)
            samples = len(audio)
            if to_stdout:
                _stdout().write(audio.to_wav())
                sys.stdout.flush()
            else:
                audio.save(args.out)
    seconds = time.perf_counter() - t0
    audio_s = samples / sr
    log.info(
        "wrote %s: %.2f s of audio in %.2f s (real-time factor %.3f)",
        args.out,
        audio_s,
        seconds,
        seconds / audio_s if audio_s else 0.0,
    )
    return 0
