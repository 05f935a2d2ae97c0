"""Ray: a local instance started in this process, or an existing cluster joined; and the actor pool.

Each worker is a Ray actor (:class:`~.worker.BatchWorker`, ``num_cpus`` = its ONNX Runtime threads, spread
over the nodes) that loads the bundle once. Ray places and restarts the actors (``max_restarts``); the loop
here only hands each ready actor its next item (two in flight per actor, so it never waits for the driver)
and accounts for failures: an item whose actor died, or whose call raised, goes back to the front of the
queue and is taken by the next free actor — the failed one is not used again until it answers a probe
after its restart — at most ``retries`` more times; then it is reported in ``errors.jsonl``. A result is
accepted once per item (Ray's own task retries are off, so no second result can arrive).

Ray Data (``map_batches`` with an actor pool) was measured as the alternative: ~7 s of extra start-up per
run on the 2-core VM and no per-item view of failures (README, "batch").
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from yourtts_onnx import __version__
from yourtts_onnx.errors import ClusterError, YourTTSError, require

from .worker import BatchWorker, Job, JobResult, WorkerInfo, WorkerSpec

log = logging.getLogger(__name__)

RAY_EXTRA = "scale"
LOCAL_OBJECT_STORE_BYTES = 128 << 20  # results are small; Ray's minimum is 75 MiB
IN_FLIGHT_PER_WORKER = 2
START_TIMEOUT = 600.0  # seconds without any worker ready → give up (cluster without free CPUs?)
TICK = 0.5  # seconds between progress checks while waiting
REPROBE = 0.5  # seconds between probes of an actor that Ray is restarting


def import_ray(local: bool = False) -> Any:
    """Ray, with usage statistics off; a clear error naming the extra when it is not installed.

    ``local``: a local instance will be started; unless ``RAY_AUTH_MODE`` is set, it gets token
    authentication with a fresh token in this process's environment (Ray reads both when it is imported;
    left to itself Ray would write a token to ``~/.ray/auth_token``).
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if local and "RAY_AUTH_MODE" not in os.environ:
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
        if "ray" in sys.modules:  # imported before the variables were set: let Ray read them again
            with contextlib.suppress(Exception):
                from ray._raylet import AuthenticationTokenLoader, Config

                Config.initialize("")
                AuthenticationTokenLoader.instance().reset_cache()
    return require("ray", RAY_EXTRA)


@dataclass
class RayRuntime:
    ray: Any
    local: bool  # started here (stopped at the end)
    cpus: float  # the cluster's CPUs
    nodes: int
    init_seconds: float


@contextlib.contextmanager
def ray_runtime(
    address: str | None,
    local_cpus: int,
    object_store_bytes: int = LOCAL_OBJECT_STORE_BYTES,
    verbose: bool = False,
) -> Iterator[RayRuntime]:
    """Ray for one run: joins ``address``, else starts a local instance (no dashboard, small object store,
    a per-run token and temporary directory); one already initialised in this process is used as it is."""
    ray = import_ray(local=address is None)
    t0 = time.perf_counter()
    owned, temp_dir = False, None
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {
            "logging_level": logging.INFO if verbose else logging.WARNING,
            "log_to_driver": verbose,
        }
        try:
            if address is None:
                temp_dir = tempfile.mkdtemp(prefix="yourtts-ray-")
                ray.init(
                    address="local",  # a new instance, whatever $RAY_ADDRESS says
                    num_cpus=local_cpus,
                    include_dashboard=False,
                    object_store_memory=object_store_bytes,
                    _temp_dir=temp_dir,
                    **kwargs,
                )
            else:
                ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            if temp_dir:
                shutil.rmtree(temp_dir, ignore_errors=True)
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise ClusterError(f"cannot start or join {where}: {_one_line(exc)}") from None
        owned = True
    try:
        resources = ray.cluster_resources()
        nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
        yield RayRuntime(
            ray, address is None and owned, float(resources.get("CPU", 0)), nodes, time.perf_counter() - t0
        )
    finally:
        if owned:
            ray.shutdown()
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)


def _one_line(exc: BaseException, limit: int = 400) -> str:
    """The innermost cause of a (Ray) exception as one line: ``Type: message``."""
    seen = 0
    while seen < 8:
        cause = getattr(exc, "cause", None)
        if not isinstance(cause, BaseException) or cause is exc:
            break
        exc, seen = cause, seen + 1
    if isinstance(exc, YourTTSError):
        return str(exc)
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[-1] if lines else ""
    name = type(exc).__name__
    line = text if text.startswith(name) else f"{name}: {text}" if text else name
    return line if len(line) <= limit else line[: limit - 3] + "..."


@dataclass
class Slot:
    index: int
    handle: Any
    state: str = "starting"  # starting | ready | recovering | dead
    busy: int = 0
    probe: Any = None
    info: WorkerInfo | None = None
    items: int = 0
    audio_seconds: float = 0.0
    busy_seconds: float = 0.0
    failures: int = 0
    error: str | None = None
    probe_at: float = 0.0  # when to probe again a recovering actor that answered "restarting"

    def to_dict(self) -> dict[str, Any]:
        info = self.info
        return {
            "worker": self.index,
            "node": info.node if info else None,
            "host": info.host if info else None,
            "pid": info.pid if info else None,
            "state": self.state,
            "items": self.items,
            "audio_seconds": round(self.audio_seconds, 3),
            "busy_seconds": round(self.busy_seconds, 3),
            "failures": self.failures,
            "load_seconds": round(info.load_seconds, 3) if info else None,
            "bundle_source": info.bundle_source if info else None,
            "bundle_fetch_seconds": round(info.fetch_seconds, 3) if info else None,
            "error": self.error,
        }


@dataclass
class PoolStats:
    first_ready_seconds: float | None = None  # from creating the actors to the first one ready
    all_ready_seconds: float | None = None
    run_seconds: float = 0.0  # from creating the actors to the last result
    retried: int = 0
    failed: int = 0
    duplicates: int = 0  # results for items already written (never expected)
    slots: list[Slot] = field(default_factory=list)


OnResult = Callable[[Job, JobResult], None]
OnFailure = Callable[[Job, str], None]


class WorkerPool:
    """``workers`` actors of ``worker_cls`` running ``spec``; see the module docstring."""

    def __init__(
        self,
        ray: Any,
        spec: WorkerSpec,
        *,
        workers: int,
        retries: int,
        shipped: Any = None,
        worker_cls: type = BatchWorker,
        in_flight: int = IN_FLIGHT_PER_WORKER,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.ray = ray
        self.retries = retries
        self.in_flight = in_flight
        self.start_timeout = start_timeout
        actor = ray.remote(worker_cls).options(
            num_cpus=spec.threads,
            max_restarts=max(1, retries),
            max_task_retries=0,  # the loop below retries, on other actors, and counts
            scheduling_strategy="SPREAD",
        )
        shipped_arg = [shipped] if shipped is not None else None  # in a list: fetched only where needed
        self.t0 = self.last_ready = time.perf_counter()
        self.slots = [Slot(i, actor.remote(spec, shipped_arg)) for i in range(workers)]
        for slot in self.slots:
            slot.probe = slot.handle.info.remote()
        self.stats = PoolStats(slots=self.slots)

    def close(self) -> None:
        for slot in self.slots:
            with contextlib.suppress(Exception):
                self.ray.kill(slot.handle, no_restart=True)

    # -- the loop -----------------------------------------------------------------------------------

    def run(
        self, jobs: Sequence[Job], on_result: OnResult, on_failure: OnFailure, tick: Callable[[], None]
    ) -> PoolStats:
        ray = self.ray
        pending: deque[Job] = deque(jobs)
        attempts: dict[str, list[str]] = {}  # item id → why each attempt failed
        finished: set[str] = set()
        inflight: dict[Any, tuple[Slot, Job, float]] = {}
        while pending or inflight:
            now = time.perf_counter()
            for slot in self.slots:
                if slot.state == "recovering" and slot.probe is None and now >= slot.probe_at:
                    slot.probe = slot.handle.info.remote()
                while slot.state == "ready" and slot.busy < self.in_flight and pending:
                    job = pending.popleft()
                    inflight[slot.handle.run.remote(job)] = (slot, job, time.perf_counter())
                    slot.busy += 1
            probes = {s.probe: s for s in self.slots if s.probe is not None}
            waiting = list(inflight) + list(probes)
            if not waiting and not any(s.state == "recovering" for s in self.slots):
                errors = "; ".join(dict.fromkeys(s.error for s in self.slots if s.error)) or "unknown"
                raise ClusterError(f"no worker left to run the remaining {len(pending)} item(s): {errors}")
            done = ray.wait(waiting, num_returns=1, timeout=TICK)[0] if waiting else []
            if not waiting:
                time.sleep(REPROBE / 5)
            tick()
            self._check_stalled(bool(inflight))
            for ref in done:
                if ref in probes:
                    self._probed(probes[ref], ref)
                    continue
                slot, job, _sent = inflight.pop(ref)
                slot.busy -= 1
                try:
                    result: JobResult = ray.get(ref)
                except ray.exceptions.RayActorError as exc:
                    self._failed(slot, _one_line(exc))
                    self._retry(
                        job, f"worker {slot.index} died: {_one_line(exc)}", pending, attempts, on_failure
                    )
                except ray.exceptions.RayError as exc:
                    slot.failures += 1
                    self._retry(job, _one_line(exc), pending, attempts, on_failure)
                else:
                    if job.id in finished:
                        self.stats.duplicates += 1
                        log.warning("ignored a second result for item %s", job.id)
                        continue
                    finished.add(job.id)
                    self.last_ready = time.perf_counter()
                    slot.items += 1
                    slot.busy_seconds += result.seconds
                    slot.audio_seconds += result.duration
                    on_result(job, result)
        self.stats.run_seconds = time.perf_counter() - self.t0
        return self.stats

    def _retry(
        self,
        job: Job,
        reason: str,
        pending: deque[Job],
        attempts: dict[str, list[str]],
        on_failure: OnFailure,
    ) -> None:
        reasons = attempts.setdefault(job.id, [])
        reasons.append(reason)
        n = len(reasons)
        if n > self.retries:
            self.stats.failed += 1
            on_failure(job, f"synthesis failed {n} time(s): {' | '.join(dict.fromkeys(reversed(reasons)))}")
            return
        self.stats.retried += 1
        log.warning("item %s: %s; trying again (%d of %d)", job.id, reason, n, self.retries)
        pending.appendleft(job)

    def _failed(self, slot: Slot, reason: str) -> None:
        """The slot's actor died: probe it (answered once Ray has restarted it) before using it again."""
        slot.failures += 1
        slot.error = reason
        if slot.state in ("ready", "starting"):
            slot.state = "recovering"
            slot.probe = slot.handle.info.remote()

    def _probed(self, slot: Slot, ref: Any) -> None:
        slot.probe = None
        unavailable = getattr(self.ray.exceptions, "ActorUnavailableError", ())
        try:
            info: WorkerInfo = self.ray.get(ref)
        except unavailable:  # Ray is restarting it: ask again shortly
            slot.state, slot.probe_at = "recovering", time.perf_counter() + REPROBE
            return
        except self.ray.exceptions.RayError as exc:
            slot.state, slot.error = "dead", _one_line(exc)
            log.warning("worker %d is gone: %s", slot.index, slot.error)
            return
        if info.version != __version__:
            raise ClusterError(
                f"worker on {info.host} runs yourtts-onnx {info.version}, the driver {__version__}: "
                "install the same version on every node"
            )
        slot.info, slot.state = info, "ready"
        self.last_ready = time.perf_counter()
        now = self.last_ready - self.t0
        if self.stats.first_ready_seconds is None:
            self.stats.first_ready_seconds = now
        if (
            all(s.info is not None or s.state == "dead" for s in self.slots)
            and self.stats.all_ready_seconds is None
        ):
            self.stats.all_ready_seconds = now

    def _check_stalled(self, working: bool) -> None:
        """No item in flight and no worker ready for ``start_timeout`` seconds: the cluster cannot run us."""
        if working or any(s.state == "ready" for s in self.slots):
            return
        if time.perf_counter() - self.last_ready > self.start_timeout:
            what = "started" if self.stats.first_ready_seconds is None else "came back"
            raise ClusterError(
                f"no worker {what} within {self.start_timeout:.0f} s: has the cluster free CPUs for "
                f"{len(self.slots)} worker(s)?"
            )
