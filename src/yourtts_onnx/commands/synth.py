"""``yourtts-onnx synth``: text → WAV with ONNX Runtime alone (never imports torch).

Text comes from the argument, ``--text-file`` (``-`` for stdin) or standard input. ``--out -`` writes WAV
bytes to standard output. Audio is written as it is made (memory stays bounded for any text length): into a
temporary sibling of the output file whose header is fixed at the end before it replaces the destination.
Without ``--stream`` sentences are decoded whole; with it, window by window within each sentence when the
bundle's backend can, and standard output gets a WAV whose header says "length unknown" (players read to
the end) as soon as the first window is ready.

``--timestamps FILE`` also writes when each word is spoken (:mod:`~yourtts_onnx.runtime.words`), in the
format its extension names: ``.json`` (``{"words": [...], "sample_rate", "duration"}``), ``.srt`` or
``.vtt`` captions (:mod:`~yourtts_onnx.runtime.captions`); atomically, after the audio.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO

from yourtts_onnx.commands._runtime_common import add_synthesis_args, silence_stdout, synthesis_options
from yourtts_onnx.commands.engine_flags import open_synthesizer
from yourtts_onnx.errors import InputError
from yourtts_onnx.progress import ProgressBar
from yourtts_onnx.runtime.atomic import atomic_open, check_writable, is_special_file
from yourtts_onnx.runtime.limits import MAX_TEXT_BYTES, MAX_WAV_SAMPLES

if TYPE_CHECKING:
    from yourtts_onnx.runtime.waveform import Audio
    from yourtts_onnx.runtime.words import Word

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="synthesise speech from text (ONNX Runtime only)",
        description="Synthesise speech from text with an exported bundle; writes a 16-bit PCM WAV.",
    )
    p.add_argument("text", nargs="?", help="text to speak (default: --text-file or standard input)")
    p.add_argument(
        "--text-file", metavar="FILE", help="read the text from FILE (UTF-8; '-' for standard input)"
    )
    p.add_argument(
        "--out", "-o", required=True, metavar="WAV", help="WAV file to write, or '-' for standard output"
    )
    add_synthesis_args(p)
    p.add_argument(
        "--ssml",
        action="store_true",
        help="the text is SSML (an error if it is not); without it, text starting with <speak is SSML anyway",
    )
    p.add_argument(
        "--stream",
        action="store_true",
        help="write audio as soon as it is ready (within sentences when the bundle has component graphs)",
    )
    p.add_argument(
        "--timestamps",
        metavar="FILE",
        help="also write each word's start and end time: .json, .srt or .vtt captions (by the extension)",
    )


def _decode(data: bytes, what: str) -> str:
    if len(data) > MAX_TEXT_BYTES:
        raise InputError(
            f"{what} is longer than {MAX_TEXT_BYTES} bytes, the most one call reads; split the text into several"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text.removeprefix("\ufeff")


def read_text(args: argparse.Namespace) -> str:
    """The text to speak: the argument, ``--text-file`` or standard input, read strictly as UTF-8 and at
    most :data:`MAX_TEXT_BYTES` (one byte more is read to tell, so ``/dev/zero`` ends at once)."""
    if args.text is not None and args.text_file is not None:
        raise InputError("give the text either as an argument or with --text-file, not both")
    if args.text is not None:
        return str(args.text)
    if args.text_file is not None and args.text_file != "-":
        what = f"text file '{args.text_file}'"
        try:
            if os.path.isdir(args.text_file):
                raise InputError(f"{what} is a directory")
            with open(args.text_file, "rb") as fh:
                return _decode(fh.read(MAX_TEXT_BYTES + 1), what)
        except FileNotFoundError:
            raise InputError(f"{what} not found") from None
        except OSError as exc:
            raise InputError(f"cannot read {what}: {exc.strerror or exc}") from None
    if args.text_file is None and sys.stdin.isatty():
        raise InputError("no text: give it as an argument, with --text-file, or on standard input")
    stdin = getattr(sys.stdin, "buffer", None)
    if stdin is None:  # a text stream without bytes underneath (embedding, tests)
        text = sys.stdin.read(MAX_TEXT_BYTES + 1)
        return _decode(text.encode("utf-8", "surrogatepass"), "standard input")
    try:
        return _decode(stdin.read(MAX_TEXT_BYTES + 1), "standard input")
    except OSError as exc:
        raise InputError(f"cannot read standard input: {exc.strerror or exc}") from None


def _stdout() -> BinaryIO:
    if sys.stdout.isatty():
        raise InputError(
            "refusing to write WAV data to a terminal: redirect standard output or use --out FILE"
        )
    return sys.stdout.buffer


class _Counter:
    """Samples written so far, refused past what one WAV file can hold."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.samples = 0

    def add(self, chunk: Audio) -> bytes:
        from yourtts_onnx.runtime.waveform import pcm16

        self.samples += len(chunk)
        if self.samples > MAX_WAV_SAMPLES:
            hours = MAX_WAV_SAMPLES / self.sample_rate / 3600
            raise InputError(
                f"the audio is longer than one WAV file can hold ({hours:.1f} h at {self.sample_rate} Hz, 4 GiB); "
                "split the text"
            )
        return pcm16(chunk.samples)


def _write_stream(out: BinaryIO, chunks: Iterator[Audio], count: _Counter) -> None:
    """A WAV header of unknown length, then each chunk as soon as it is made (players read to the end)."""
    from yourtts_onnx.runtime.waveform import wav_header

    out.write(wav_header(count.sample_rate, None))
    out.flush()
    for chunk in chunks:
        out.write(count.add(chunk))
        out.flush()


def _write_spooled(out_factory: Callable[[], BinaryIO], chunks: Iterator[Audio], count: _Counter) -> None:
    """A complete WAV (its length first): the PCM is spooled (memory up to 32 MB, then a temp file)."""
    from yourtts_onnx.runtime.waveform import wav_header

    with tempfile.SpooledTemporaryFile(max_size=32 << 20) as spool:
        for chunk in chunks:
            spool.write(count.add(chunk))
        out = out_factory()
        out.write(wav_header(count.sample_rate, count.samples))
        spool.seek(0)
        shutil.copyfileobj(spool, out)
        out.flush()


def _write_file(path: str, chunks: Iterator[Audio], count: _Counter) -> None:
    """Written as it is made (bounded memory) into a temporary sibling, renamed at the end."""
    from yourtts_onnx.runtime.waveform import wav_header

    with atomic_open(path) as fh:
        fh.write(wav_header(count.sample_rate, None))
        for chunk in chunks:
            fh.write(count.add(chunk))
        fh.seek(0)
        fh.write(wav_header(count.sample_rate, count.samples))


def _write_stdout(stream: bool, chunks: Iterator[Audio], count: _Counter) -> None:
    try:
        if stream:
            _write_stream(_stdout(), chunks, count)
        else:
            _write_spooled(_stdout, chunks, count)
    except BrokenPipeError:
        raise
    except OSError as exc:  # ENOSPC, EIO: one line, not a traceback
        silence_stdout()
        raise InputError(f"cannot write to standard output: {exc.strerror or exc}") from None


def _write_special(path: str, stream: bool, chunks: Iterator[Audio], count: _Counter) -> None:
    """Into a character device or FIFO, as a shell redirect would (never replaced by a regular file)."""
    with atomic_open(path) as fh:
        if stream:
            _write_stream(fh, chunks, count)
        else:
            _write_spooled(lambda: fh, chunks, count)


def _collect_words(chunks: Iterator[Audio], sentences: list[Sequence[Word]]) -> Iterator[Audio]:
    """Pass the chunks on, keeping each sentence's words (they come with its first chunk)."""
    for chunk in chunks:
        if chunk.words:
            sentences.append(chunk.words)
        yield chunk


def run(args: argparse.Namespace) -> int:
    text = read_text(args)
    options = synthesis_options(args)
    if args.ssml:
        options = options.with_(ssml=True)
    to_stdout = args.out == "-"
    timestamps_fmt = None
    if args.timestamps is not None:
        from yourtts_onnx.runtime.captions import timestamps_format

        timestamps_fmt = timestamps_format(args.timestamps)
        if not to_stdout and os.path.abspath(args.timestamps) == os.path.abspath(args.out):
            raise InputError(f"--timestamps '{args.timestamps}' is the --out file: give another file name")
        check_writable(args.timestamps)
    if not to_stdout:
        check_writable(args.out)
    synth = open_synthesizer(args)
    if timestamps_fmt is not None:
        synth.require_word_times()
    if args.speaker:
        synth.voices.speaker(args.speaker)  # --speaker names a built-in speaker only
    t0 = time.perf_counter()
    bar = ProgressBar("synthesising")
    # whole sentences unless --stream: the same audio, without the windows' seams re-decoded
    chunks = synth.stream(text, options, windows=args.stream, progress=bar)
    sentences: list[Sequence[Word]] = []
    if timestamps_fmt is not None:
        chunks = _collect_words(chunks, sentences)
    count = _Counter(synth.sample_rate)
    with bar:
        if to_stdout:
            _write_stdout(args.stream, chunks, count)
        elif is_special_file(args.out):
            _write_special(args.out, args.stream, chunks, count)
        else:
            _write_file(args.out, chunks, count)
    seconds = time.perf_counter() - t0
    audio_s = count.samples / synth.sample_rate
    if timestamps_fmt is not None:
        from yourtts_onnx.runtime.captions import render

        body = render(timestamps_fmt, sentences, synth.sample_rate, audio_s)
        with atomic_open(args.timestamps) as fh:
            fh.write(body.encode("utf-8"))
        log.info("wrote %s: %d word(s)", args.timestamps, sum(len(s) for s in sentences))
    log.info(
        "wrote %s: %.2f s of audio in %.2f s (real-time factor %.3f)",
        args.out,
        audio_s,
        seconds,
        seconds / audio_s if audio_s else 0.0,
    )
    return 0
