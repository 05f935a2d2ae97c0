"""Progress of a batch run (a bar on a terminal, drawn with :mod:`yourtts_onnx.progress`, else a log line
every ``interval`` seconds) and the final summary in words."""

from __future__ import annotations

import time
from typing import Any, TextIO

from yourtts_onnx.progress import TerminalLine, bar_text


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class BatchProgress:
    """Items done / total, audio seconds per wall second, ETA."""

    def __init__(
        self,
        total: int,
        stream: TextIO | None = None,
        interval: float = 10.0,
        bar: bool | None = None,
        width: int = 24,
    ) -> None:
        self.total = total
        self.line = TerminalLine(stream, bar)
        self.stream = self.line.stream
        self.interval = interval
        self.bar = self.line.enabled  # a bar on a terminal, else a line every `interval` seconds
        self.width = width
        self.done = 0
        self.audio_seconds = 0.0
        self.start = time.monotonic()
        self.last_line = self.start

    def item_done(self, audio_seconds: float) -> None:
        self.done += 1
        self.audio_seconds += audio_seconds
        if self.bar:
            self.draw()

    def tick(self) -> None:
        now = time.monotonic()
        if self.bar:
            self.draw()
        elif now - self.last_line >= self.interval and self.done < self.total:
            self.last_line = now
            self.stream.write(f"batch: {self.status()}\n")
            self.stream.flush()

    def status(self) -> str:
        elapsed = time.monotonic() - self.start
        rate = self.audio_seconds / elapsed if elapsed > 0 else 0.0
        eta = elapsed / self.done * (self.total - self.done) if self.done else None
        pct = 100.0 * self.done / self.total if self.total else 100.0
        return (
            f"{self.done}/{self.total} items ({pct:.0f}%), {rate:.2f} s of audio per second, "
            f"elapsed {_clock(elapsed)}, ETA {_clock(eta) if eta is not None else '?'}"
        )

    def draw(self) -> None:
        self.line.draw(f"[{bar_text(self.done, self.total, self.width)}] {self.status()}")

    def close(self) -> None:
        self.line.close()


def summary_text(s: dict[str, Any]) -> str:
    """The final summary in a few lines (``s``: what ``summary.json`` holds)."""
    lines = [
        f"{s['items']} item(s) in {s['rows']} row(s): {s['synthesized']} synthesised, {s['skipped']} already done, "
        f"{s['errors']} error(s)" + (f" (see {s['errors_file']})" if s["errors"] else ""),
        f"audio: {s['audio_hours']:.3f} h in the output ({s['synthesized_audio_seconds']:.1f} s made by this run)",
    ]
    if s["synthesized"]:
        lines.append(
            f"throughput: {s['throughput']:.2f} s of audio per second with {s['workers_used']} worker(s) "
            f"({s['throughput_per_worker']:.2f} per worker), wall {s['wall_seconds']:.1f} s "
            f"(Ray start {s['ray_start_seconds']:.1f} s, workers ready {s['workers_ready_seconds']:.1f} s)"
        )
    if s.get("retried"):
        lines.append(f"retried {s['retried']} item(s) after worker failures")
    if s.get("interrupted"):
        lines.append("interrupted: run it again to finish (done items are kept)")
    return "\n".join(lines)
