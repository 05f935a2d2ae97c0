"""``yourtts-onnx synth``: text → WAV with ONNX Runtime alone (never imports torch).

Text comes from the argument, ``--text-file`` (``-`` for stdin) or standard input. ``--out -`` writes WAV
bytes to standard output. Audio is written as it is made (memory stays bounded for any text length): into a
temporary sibling of the output file whose header is fixed at the end before it replaces the destination.
Without ``--stream`` sentences are decoded whole; with it, window by window within each sentence when the
bundle's backend can, and standard output gets a WAV whose header says "length unknown" (players read to
the end) as soon as the first window is ready.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from yourtts_onnx.commands._runtime_common import (
    ProgressBar,
    add_bundle_arg,
    add_session_args,
    add_synthesis_args,
    open_synthesizer,
    synthesis_options,
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
    add_synthesis_args(p)
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


def _stdout() -> BinaryIO:
    if sys.stdout.isatty():
        raise InputError(
            "refusing to write WAV data to a terminal: redirect standard output or use --out FILE"
        )
    return sys.stdout.buffer


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.runtime.atomic import atomic_open, check_writable
    from yourtts_onnx.runtime.waveform import pcm16, wav_header

    text = read_text(args)
    options = synthesis_options(args)
    to_stdout = args.out == "-"
    if not to_stdout:
        check_writable(args.out)
    synth = open_synthesizer(args)
    if args.speaker:
        synth.voices.speaker(args.speaker)  # --speaker names a built-in speaker only
    t0 = time.perf_counter()
    bar = ProgressBar("synthesising")
    # whole sentences unless --stream: the same audio, without the windows' seams re-decoded
    chunks = synth.stream(text, options, windows=args.stream, progress=bar)
    sr = synth.sample_rate
    samples = 0
    with bar:
        if to_stdout and args.stream:
            out = _stdout()
            for i, chunk in enumerate(chunks):
                out.write((wav_header(sr, None) if i == 0 else b"") + pcm16(chunk.samples))
                out.flush()
                samples += len(chunk)
        elif to_stdout:
            # a complete WAV needs its length first: spool the PCM (memory up to 32 MB, then a temp file)
            with tempfile.SpooledTemporaryFile(max_size=32 << 20) as spool:
                for chunk in chunks:
                    spool.write(pcm16(chunk.samples))
                    samples += len(chunk)
                out = _stdout()
                out.write(wav_header(sr, samples))
                spool.seek(0)
                shutil.copyfileobj(spool, out)
                out.flush()
        else:
            # written as it is made (bounded memory), into a temporary sibling renamed at the end
            with atomic_open(args.out) as fh:
                fh.write(wav_header(sr, None))
                for chunk in chunks:
                    fh.write(pcm16(chunk.samples))
                    samples += len(chunk)
                fh.seek(0)
                fh.write(wav_header(sr, samples))
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
