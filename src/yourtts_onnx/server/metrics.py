"""Prometheus metrics, self-written (text exposition format 0.0.4): no client library needed.

Request counts by endpoint (the route template, so ids do not explode the label set; ``unmatched``
for paths no route serves), method (the standard ones, else ``other``) and status; every label value comes
from a fixed set, so no request can add series; a latency histogram by endpoint (until the last byte is sent, streams included); queue depth,
running jobs and capacity; job outcomes; seconds of audio and characters of text synthesised.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yourtts_onnx.serving.jobs import JobRunner

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PREFIX = "yourtts"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + inner + "}" if inner else ""


def _num(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.total += 1
        self.sum += value
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1


class Metrics:
    """Thread-safe counters, fed by :class:`MetricsMiddleware` and the routes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._latency: dict[str, Histogram] = {}
        self.audio_seconds = 0.0
        self.characters = 0
        self.started = time.time()

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(endpoint, method, str(status))] += 1
            hist = self._latency.get(endpoint)
            if hist is None:
                hist = self._latency[endpoint] = Histogram(LATENCY_BUCKETS)
            hist.observe(seconds)

    def add_audio(self, seconds: float, characters: int = 0) -> None:
        with self._lock:
            self.audio_seconds += seconds
            self.characters += characters

    def render(self, runner: JobRunner) -> str:
        lines: list[str] = []

        def family(name: str, kind: str, help_text: str, samples: Iterable[tuple[str, str, float]]) -> None:
            lines.append(f"# HELP {PREFIX}_{name} {help_text}")
            lines.append(f"# TYPE {PREFIX}_{name} {kind}")
            for suffix, labels, value in samples:
                lines.append(f"{PREFIX}_{name}{suffix}{labels} {_num(value)}")

        with self._lock:
            requests = sorted(self._requests.items())
            latency = {
                k: (list(h.counts), h.total, h.sum, h.buckets) for k, h in sorted(self._latency.items())
            }
            audio, chars = self.audio_seconds, self.characters
        family(
            "http_requests_total",
            "counter",
            "HTTP requests by endpoint, method and status code.",
            [("", _labels([("endpoint", e), ("method", m), ("status", s)]), n) for (e, m, s), n in requests],
        )
        hist_samples: list[tuple[str, str, float]] = []
        for endpoint, (counts, total, total_sum, buckets) in latency.items():
            for bound, count in zip(buckets, counts, strict=True):
                hist_samples.append(
                    ("_bucket", _labels([("endpoint", endpoint), ("le", _num(bound))]), count)
                )
            hist_samples.append(("_bucket", _labels([("endpoint", endpoint), ("le", "+Inf")]), total))
            hist_samples.append(("_sum", _labels([("endpoint", endpoint)]), total_sum))
            hist_samples.append(("_count", _labels([("endpoint", endpoint)]), total))
        family(
            "http_request_duration_seconds",
            "histogram",
            "Time from request to last byte sent, by endpoint.",
            hist_samples,
        )
        family("queue_depth", "gauge", "Admitted requests waiting for a worker.", [("", "", runner.queued)])
        family("jobs_running", "gauge", "Requests being worked on now.", [("", "", runner.running)])
        family(
            "queue_capacity",
            "gauge",
            "Requests admitted at most (workers + queue size).",
            [("", "", runner.capacity)],
        )
        family("workers", "gauge", "Inference worker threads.", [("", "", runner.workers)])
        c = runner.counters
        family(
            "jobs_total",
            "counter",
            "Inference jobs by outcome.",
            [
                ("", _labels([("outcome", name)]), getattr(c, name))
                for name in ("completed", "invalid", "failed", "rejected", "timed_out", "cancelled")
            ],
        )
        family("audio_seconds_total", "counter", "Seconds of audio synthesised.", [("", "", round(audio, 6))])
        family("characters_total", "counter", "Characters of text synthesised.", [("", "", chars)])
        family(
            "start_time_seconds", "gauge", "Unix time the server started.", [("", "", round(self.started, 3))]
        )
        return "\n".join(lines) + "\n"


def method_label(method: object) -> str:
    return method if isinstance(method, str) and method in METHODS else "other"


def status_label(status: int) -> int:
    return status if 100 <= status <= 599 else 500


def endpoint_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class MetricsMiddleware:
    """Pure ASGI (streaming and disconnects pass through untouched): counts and times every request."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = self.clock()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.observe_request(
                endpoint_label(scope),
                method_label(scope.get("method")),
                status_label(status),
                self.clock() - start,
            )
