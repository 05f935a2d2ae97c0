"""Inference off the event loop (HTTP and Wyoming): a worker pool behind a bounded queue, with timeouts and
cancellation.

A request is *admitted* when fewer than ``workers + queue_size`` requests are admitted already, else
:class:`QueueFullError` (503). Admitted work runs on one of ``workers`` threads. Work is cancelled
cooperatively through a :class:`CancelToken` that the job checks between model calls (between
sentences): when the client disconnects, when the deadline passes (:class:`JobTimeoutError`, 504),
or when a streamed response is closed. A job cancelled before it starts never runs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from yourtts_onnx.errors import AudioError, InputError

T = TypeVar("T")
Disconnected = Callable[[], Awaitable[bool]]
POLL_SECONDS = 0.1  # how often a waiting request checks whether its client is still there


class QueueFullError(Exception):
    """Every worker is busy and the queue is full."""


class JobTimeoutError(Exception):
    """The request ran past its deadline."""


class ClientGoneError(Exception):
    """The client disconnected while its request waited."""


class JobCancelledError(Exception):
    """Raised inside a job at its next check after it was cancelled."""


class CancelToken:
    """A thread-safe flag a job polls between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise JobCancelledError("job cancelled")


@dataclass
class JobCounters:
    completed: int = 0
    invalid: int = 0  # refused by the model's own input checks (text, audio)
    failed: int = 0
    rejected: int = 0
    timed_out: int = 0
    cancelled: int = 0  # client gone or stream closed early


class JobRunner:
    """``workers`` threads and room for ``queue_size`` waiting requests."""

    def __init__(self, workers: int, queue_size: int, *, poll_seconds: float = POLL_SECONDS) -> None:
        if workers < 1 or queue_size < 0:
            raise ValueError(f"need workers >= 1 and queue_size >= 0, got {workers}, {queue_size}")
        self.workers = workers
        self.queue_size = queue_size
        self.poll_seconds = poll_seconds
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="yourtts-worker")
        self._lock = threading.Lock()
        self._admitted = 0
        self._running = 0
        self.counters = JobCounters()

    # -- state ------------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        return self.workers + self.queue_size

    @property
    def running(self) -> int:
        with self._lock:
            return self._running

    @property
    def queued(self) -> int:
        """Admitted requests not yet running."""
        with self._lock:
            return self._admitted - self._running

    def count(self, outcome: str) -> None:
        with self._lock:
            setattr(self.counters, outcome, getattr(self.counters, outcome) + 1)

    # -- admission --------------------------------------------------------------------------------

    def _admit(self) -> None:
        with self._lock:
            if self._admitted >= self.capacity:
                self.counters.rejected += 1
                raise QueueFullError(
                    f"the server is busy ({self._running} running, {self._admitted - self._running} queued); retry later"
                )
            self._admitted += 1

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def _submit(self, call: Callable[[], T], token: CancelToken) -> concurrent.futures.Future[T]:
        self._admit()

        def job() -> T:
            with self._lock:
                self._running += 1
            try:
                token.check()  # its client left (or the deadline passed) while it waited
                return call()
            finally:
                with self._lock:
                    self._running -= 1
                    self._admitted -= 1

        try:
            future = self._executor.submit(job)
        except RuntimeError:  # shutting down
            self._release()
            raise QueueFullError("the server is shutting down") from None
        future.add_done_callback(lambda f: self._release() if f.cancelled() else None)
        return future

    # -- one result -------------------------------------------------------------------------------

    async def run(
        self,
        fn: Callable[[CancelToken], T],
        *,
        timeout: float,
        disconnected: Disconnected | None = None,
    ) -> T:
        """Run ``fn(token)`` on a worker; wait at most ``timeout`` seconds, queueing included."""
        token = CancelToken()
        future = self._submit(lambda: fn(token), token)
        waiter = asyncio.wrap_future(future)
        waiter.add_done_callback(_consume)
        deadline = time.monotonic() + timeout
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.count("timed_out")
                    raise JobTimeoutError(f"the request took longer than {timeout:g} s")
                done, _ = await asyncio.wait({waiter}, timeout=min(remaining, self.poll_seconds))
                if done:
                    break
                if disconnected is not None and await disconnected():
                    self.count("cancelled")
                    raise ClientGoneError("client disconnected")
        except BaseException:
            token.cancel()
            future.cancel()
            raise
        try:
            result = waiter.result()
        except JobCancelledError:
            self.count("cancelled")
            raise
        except BaseException as exc:
            self.count(failure_outcome(exc))
            raise
        self.count("completed")
        return result

    # -- many results -----------------------------------------------------------------------------

    def start_stream(self, fn: Callable[[CancelToken, Callable[[T], None]], None]) -> StreamJob[T]:
        """Run ``fn(token, emit)`` on a worker; each ``emit(item)`` reaches :meth:`StreamJob.next`."""
        loop = asyncio.get_running_loop()
        job: StreamJob[T] = StreamJob(self, loop)

        def call() -> None:
            try:
                fn(job.token, job.emit)
            except BaseException as exc:
                job.put(("error", exc))
            else:
                job.put(("end", None))

        job.future = self._submit(call, job.token)
        job.future.add_done_callback(
            lambda f: job.put(("error", JobCancelledError())) if f.cancelled() else None
        )
        return job

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class StreamJob(Generic[T]):
    """The consumer side of a streaming job: ``await next(...)`` until it returns ``None``."""

    def __init__(self, runner: JobRunner, loop: asyncio.AbstractEventLoop) -> None:
        self.runner = runner
        self.token = CancelToken()
        self.future: concurrent.futures.Future[None] | None = None
        self._loop = loop
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._finished = False

    def put(self, message: tuple[str, Any]) -> None:
        """Called from the worker thread."""
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is listening any more
            self._loop.call_soon_threadsafe(self._queue.put_nowait, message)

    def emit(self, item: T) -> None:
        self.token.check()
        self.put(("item", item))

    async def next(self, deadline: float, disconnected: Disconnected | None = None) -> T | None:
        """The next item, ``None`` at the end; raises the job's error, or on deadline / disconnect."""
        if self._finished:
            return None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.cancel("timed_out")
                raise JobTimeoutError("the request ran past its deadline")
            try:
                kind, value = await asyncio.wait_for(
                    self._queue.get(), min(remaining, self.runner.poll_seconds)
                )
            except asyncio.TimeoutError:
                if disconnected is not None and await disconnected():
                    self.cancel("cancelled")
                    raise ClientGoneError("client disconnected") from None
                continue
            if kind == "item":
                return value
            self._finished = True
            if kind == "end":
                self.runner.count("completed")
                return None
            self.runner.count("cancelled" if isinstance(value, JobCancelledError) else failure_outcome(value))
            raise value

    @property
    def finished(self) -> bool:
        return self._finished

    def cancel(self, outcome: str = "cancelled") -> None:
        """Stop the job at its next check (or before it starts); counted once, as ``outcome``."""
        if self._finished:
            return
        self._finished = True
        self.runner.count(outcome)
        self.token.cancel()
        if self.future is not None:
            self.future.cancel()


def failure_outcome(exc: BaseException) -> str:
    """``invalid`` for input the model refused (bad text or audio), else ``failed``."""
    return "invalid" if isinstance(exc, (InputError, AudioError)) else "failed"


def _consume(future: asyncio.Future[Any]) -> None:
    """Mark a result as retrieved, so an abandoned job's error is not logged as 'never retrieved'."""
    if not future.cancelled():
        future.exception()
