"""Load control shared by the servers: how many syntheses run at once (``workers``), how many may wait
(``queue_size``), how long one may take (``timeout``), ONNX Runtime threads per call (``threads``) and the
longest text of a request (``max_text_chars``); with their defaults and bounds. Light to import (the
command-line parser reads the defaults): the worker pool is imported when one is made. (:mod:`~yourtts_onnx.runtime.limits`).

:class:`LoadControl` is the part of a front end's frozen settings dataclass that holds these: the HTTP
service's :class:`~yourtts_onnx.server.settings.ServerSettings` and the Wyoming server's
:class:`~yourtts_onnx.wyoming.settings.WyomingSettings` both derive from it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from yourtts_onnx.runtime.limits import (
    MAX_QUEUE_SIZE,
    MAX_SERVER_TEXT_CHARS,
    MAX_SERVER_WORKERS,
    MAX_THREADS,
    MAX_TIMEOUT_SECONDS,
    check_float,
    check_int,
)

if TYPE_CHECKING:
    from yourtts_onnx.serving.jobs import JobRunner

DEFAULT_QUEUE_SIZE = 16  # syntheses that may wait for a worker
DEFAULT_MAX_TEXT_CHARS = 5000  # longest text of one request (HTTP) or one request / text stream (Wyoming)


def available_cores() -> int:
    """CPU cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def intra_op_threads(threads: int | None, workers: int) -> int:
    """ONNX Runtime threads per model call: ``threads`` when given, else the cores shared out among the
    workers (at least one), so that all workers together use the cores once."""
    return threads if threads is not None else max(1, available_cores() // workers)


class LoadControl:
    """The load fields of a server's settings (the dataclass deriving from this declares them):
    ``workers``, ``threads``, ``queue_size``, ``timeout``, ``max_text_chars``."""

    workers: int
    threads: int | None
    queue_size: int
    timeout: float
    max_text_chars: int

    def check_load(self) -> None:
        """Each load field within its bounds, else an :class:`~yourtts_onnx.errors.InputError` naming it."""
        check_int("workers", self.workers, 1, MAX_SERVER_WORKERS)
        if self.threads is not None:
            check_int("threads", self.threads, 1, MAX_THREADS)
        check_int("queue_size", self.queue_size, 0, MAX_QUEUE_SIZE)
        check_int("max_text_chars", self.max_text_chars, 1, MAX_SERVER_TEXT_CHARS)
        check_float("timeout", self.timeout, 0.0, MAX_TIMEOUT_SECONDS, low_open=True)

    @property
    def intra_op_threads(self) -> int:
        """ONNX Runtime threads per model call, so that all workers together use the cores once."""
        return intra_op_threads(self.threads, self.workers)

    @property
    def capacity(self) -> int:
        """Requests admitted at once: running plus queued."""
        return self.workers + self.queue_size

    def job_runner(self) -> JobRunner:
        """A worker pool of these settings' size."""
        from yourtts_onnx.serving.jobs import JobRunner  # not at import: the CLI parser reads this module

        return JobRunner(self.workers, self.queue_size)
