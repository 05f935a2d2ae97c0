"""Progress on a terminal, one module for every command: a line redrawn in place (:class:`TerminalLine`), a
bar of ``#`` and ``.`` (:func:`bar_text`), and the steps bar of ``synth`` and ``embed`` (:class:`ProgressBar`).
The batch run's progress (:mod:`yourtts_onnx.batch.progress`) draws with these; so can a download's
byte counter. Nothing is drawn when the stream is not a terminal.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

CLEAR_TO_END = "\x1b[K"


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def bar_text(done: float, total: float | None, width: int = 30) -> str:
    """``#####.....``: ``done`` of ``total`` in ``width`` characters (full when the total is 0 or unknown)."""
    filled = width if not total else min(width, max(0, round(width * done / total)))
    return "#" * filled + "." * (width - filled)


class TerminalLine:
    """One line of ``stream`` (default: stderr) redrawn in place; ``enabled`` defaults to whether the stream
    is a terminal. :meth:`close` ends the line once something was drawn."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = is_terminal(self.stream) if enabled is None else enabled
        self.drawn = False

    def draw(self, text: str) -> None:
        if not self.enabled:
            return
        self.stream.write(f"\r{text}{CLEAR_TO_END}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


class ProgressBar:
    """Steps done of a total (sentences synthesised, recordings embedded): ``label [###...] 3/8 1.2s``.
    Called as ``bar(done, total)``, the ``progress`` callback of the runtime; a single step draws nothing."""

    def __init__(
        self, label: str, stream: TextIO | None = None, enabled: bool | None = None, width: int = 30
    ) -> None:
        self.label = label
        self.line = TerminalLine(stream, enabled)
        self.width = width
        self.start = time.monotonic()

    @property
    def drawn(self) -> bool:
        return self.line.drawn

    def __call__(self, done: int, total: int) -> None:
        self.update(done, total)

    def update(self, done: int, total: int) -> None:
        if total <= 1:
            return
        elapsed = time.monotonic() - self.start
        self.line.draw(f"{self.label} [{bar_text(done, total, self.width)}] {done}/{total} {elapsed:5.1f}s")

    def close(self) -> None:
        self.line.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
