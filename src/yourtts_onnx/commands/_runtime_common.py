"""Shared pieces of the runtime commands (synth, embed, voices, tokenize): options and a progress bar.

Nothing heavy is imported at module level; the runtime is imported inside the functions.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from yourtts_onnx.runtime.synthesizer import Synthesizer


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
        "--skip-hash-check",
        action="store_true",
        help="do not verify the bundle files' SHA-256 (faster start)",
    )


def add_voices_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--voices-dir",
        metavar="DIR",
        help="saved voices directory (default: $YOURTTS_ONNX_VOICES or $XDG_DATA_HOME/yourtts-onnx/voices)",
    )


def open_synthesizer(args: argparse.Namespace, **kwargs: object) -> Synthesizer:
    from yourtts_onnx.runtime.synthesizer import Synthesizer

    return Synthesizer.from_bundle(
        args.bundle,
        threads=args.threads,
        providers=args.provider,
        graph_optimization=args.graph_optimization,
        verify_hashes=not args.skip_hash_check,
        voices_dir=getattr(args, "voices_dir", None),
        **kwargs,  # type: ignore[arg-type]
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
