"""One batch run, start to end: :func:`run_batch`.

1. Open the bundle, read the manifest, check every row on the driver (bad rows → ``errors.jsonl``), clone
   each distinct reference recording once.
2. Resume: items whose audio file already carries their content key are done; only the rest is synthesised.
   Nothing left → no Ray at all.
3. Start or join Ray, start the worker actors, hand out the items, write each result as it arrives (atomic).
4. Write ``metadata.jsonl``, the LJSpeech list, ``errors.jsonl`` and ``summary.json`` — also when the run is
   interrupted (Ctrl-C, SIGTERM) or every worker died, so the directory always describes what it holds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

from yourtts_onnx import __version__
from yourtts_onnx.errors import InputError, Terminated
from yourtts_onnx.runtime.backends import WholeGraph, choose_backend
from yourtts_onnx.runtime.bundle import GRAPH_DURATION_PREDICTOR, Bundle
from yourtts_onnx.runtime.graph_catalog import DP_NOISE
from yourtts_onnx.runtime.session import SessionOptions
from yourtts_onnx.runtime.text.lexicon import resolve_lexicon
from yourtts_onnx.runtime.voices import Voices

from .config import BatchConfig
from .items import ItemPlan, ItemPlanner, RunIdentity, WorkItem
from .manifest import RowError, read_manifest
from .outputs import ERRORS, ItemRecord, OutputDir
from .pool import LOCAL_OBJECT_STORE_BYTES, PoolStats, WorkerPool, ray_runtime
from .progress import BatchProgress, summary_text
from .shipping import config_sha256, pack_bundle
from .voices import VoiceResolver
from .worker import BatchWorker, Job, JobResult, WorkerSpec

log = logging.getLogger(__name__)


def bundle_seedable(bundle: Bundle, backend: type) -> bool:
    """Whether ``backend`` of ``bundle`` draws all its noise on the host (so a seed fixes the audio)."""
    if backend is WholeGraph:
        return False
    graph = bundle.config.graphs.get(GRAPH_DURATION_PREDICTOR)
    return graph is not None and any(t.name == DP_NOISE for t in graph.inputs)


def _record(
    out: OutputDir,
    item: WorkItem,
    frames: int,
    sample_rate: int,
    words: tuple[dict[str, Any], ...] | None = None,
) -> ItemRecord:
    return ItemRecord(
        file_name=out.file_name(item.id),
        id=item.id,
        text=item.text,
        language=item.language,
        voice=item.voice,
        duration=round(frames / sample_rate, 6),
        seed=item.seed,
        noise_scale=item.scales.noise_scale,
        length_scale=item.scales.length_scale,
        noise_scale_dp=item.scales.noise_scale_dp,
        sample_rate=sample_rate,
        content_key=item.key,
        words=words,
    )


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(signum)


def _install_sigterm() -> Any:
    """SIGTERM stops the run like Ctrl-C (outputs are finalised, exit 143); only in the main thread. Returns
    the handler it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


class _StopFlag:
    """SIGTERM while Ray runs: ``ray.init`` installs its own handler (exit 15, nothing finalised), and an
    exception raised by a handler inside Ray's native ``wait`` becomes a ``SystemError``. So once Ray is up
    the signal only sets this flag, and the driver's loop raises :class:`Terminated` at its next tick."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._set)

    def _set(self, signum: int, frame: Any) -> None:
        self.signum = signum

    def check(self) -> None:
        if self.signum is not None:
            raise Terminated(self.signum)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    previous = _install_sigterm()
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _Run:
    """State of one run (what is done, what failed), shared by the steps of :func:`run_batch`."""

    def __init__(self, config: BatchConfig, stream: TextIO) -> None:
        self.config = config
        self.stream = stream
        self.t0 = time.perf_counter()
        self.bundle = Bundle.open(config.bundle, integrity=config.integrity)
        self.backend = choose_backend(self.bundle.config.graphs, config.backend)
        self.sample_rate = self.bundle.config.sample_rate
        self.lexicon = resolve_lexicon(config.lexicon, self.bundle.root, self.bundle.config.languages)
        self.out = OutputDir(config.out, config.audio_format)
        self.records: dict[str, ItemRecord] = {}
        self.errors: list[RowError] = []
        self.synthesized = 0
        self.synthesized_audio = 0.0
        self.write_seconds = 0.0
        self.timings: dict[str, float] = {}
        self.extra: dict[str, Any] = {}

    def plan(self) -> ItemPlan:
        t0 = time.perf_counter()
        if self.config.timestamps and self.backend is WholeGraph:
            raise InputError(
                "--timestamps needs the component graphs (text_encoder and duration_predictor): backend 'model' "
                "runs model.onnx, which does not output durations; use --backend auto, split or components"
            )
        rows = read_manifest(self.config.manifest)
        voices = Voices(self.bundle, self.config.voices_dir, SessionOptions())
        default_voice = self.config.defaults.voice
        resolver = VoiceResolver(
            voices,
            self.config.manifest.parent,
            os.fspath(default_voice) if default_voice is not None else None,
        )
        identity = RunIdentity(
            config_sha256(self.bundle.root), self.backend.name, self.config.audio_format, self.sample_rate
        )
        plan = ItemPlanner(self.bundle, resolver, self.config.defaults, identity, self.lexicon).plan(rows)
        noisy = [item for item in plan.items if item.scales.noisy]
        if noisy and not bundle_seedable(self.bundle, self.backend):
            raise InputError(
                f"batch needs reproducible noise, but backend '{self.backend.name}' of '{self.bundle.root}' draws it "
                "inside its graphs (a bundle exported before duration predictors took 'dp_noise', or "
                "--backend model): re-export the bundle, or set --noise-scale 0 --noise-scale-dp 0 "
                f"({len(noisy)} item(s) have noise, e.g. line {noisy[0].line})"
            )
        self.errors.extend(plan.errors)
        self.timings["plan_seconds"] = time.perf_counter() - t0
        self.extra["clone"] = {"recordings": resolver.cloned, "seconds": round(resolver.clone_seconds, 3)}
        return plan

    def resume(self, plan: ItemPlan) -> list[WorkItem]:
        t0 = time.perf_counter()
        todo = []
        words = self.out.previous_words() if self.config.timestamps else {}
        for item in plan.items:
            stamp = self.out.done(item.id, item.key, self.sample_rate)
            if stamp is None or (self.config.timestamps and item.key not in words):
                todo.append(item)
            else:
                self.records[item.id] = _record(
                    self.out, item, stamp.frames, stamp.sample_rate, words.get(item.key)
                )
        self.timings["resume_scan_seconds"] = time.perf_counter() - t0
        return todo

    def on_result(self, item: WorkItem, result: JobResult, progress: BatchProgress) -> None:
        if result.error is not None or result.data is None:
            self.errors.append(RowError(item.line, item.id, result.error or "no audio"))
            progress.item_done(0.0)
            return
        t0 = time.perf_counter()
        self.out.write_audio(item.id, result.data)
        self.write_seconds += time.perf_counter() - t0
        stamps = result.words if self.config.timestamps else None
        self.records[item.id] = _record(self.out, item, result.frames, self.sample_rate, stamps)
        self.synthesized += 1
        seconds = result.frames / self.sample_rate
        self.synthesized_audio += seconds
        progress.item_done(seconds)

    def on_failure(self, item: WorkItem, reason: str, progress: BatchProgress) -> None:
        self.errors.append(RowError(item.line, item.id, reason))
        progress.item_done(0.0)

    def synthesize(self, todo: list[WorkItem], worker_cls: type, verbose: bool) -> None:
        config = self.config
        by_id = {item.id: item for item in todo}
        jobs = [Job(item.id, item.text, item.options, item.key) for item in todo]
        threads = config.threads_per_worker
        local_cpus = max(os.cpu_count() or 1, (config.workers or 1) * threads)
        packed = pack_bundle(self.bundle) if config.ships_bundle else None
        shipped_bytes = sum(len(v) for v in packed.values()) if packed else 0
        store = LOCAL_OBJECT_STORE_BYTES + int(shipped_bytes * 1.5)
        progress = BatchProgress(len(jobs), self.stream, config.progress_interval)
        pool: WorkerPool | None = None
        try:
            with ray_runtime(config.address, local_cpus, store, verbose) as rt:
                stop = _StopFlag()
                stop.install()  # ray.init replaced ours
                self.timings["ray_start_seconds"] = rt.init_seconds
                workers = config.workers or max(1, int(rt.cpus // threads))
                workers = min(workers, len(jobs))
                shipped = None
                if packed is not None:
                    t0 = time.perf_counter()
                    shipped = rt.ray.put(packed)
                    self.extra["bundle_put_seconds"] = round(time.perf_counter() - t0, 3)
                    packed = None
                spec = WorkerSpec(
                    bundle=os.fspath(self.bundle.root.resolve()),
                    config_sha256=config_sha256(self.bundle.root),
                    backend=config.backend,
                    integrity=config.integrity,
                    threads=threads,
                    audio_format=config.audio_format,
                    prefer_path=config.ship_bundle != "always",
                    needs_seed=any(item.scales.noisy for item in todo),
                    lexicon=self.lexicon,
                    session_options=config.session_options,
                    voices_dir=os.fspath(config.voices_dir) if config.voices_dir is not None else None,
                )
                self.extra.update(nodes=rt.nodes, cluster_cpus=rt.cpus, shipped_bytes=shipped_bytes)
                pool = WorkerPool(
                    rt.ray,
                    spec,
                    workers=workers,
                    retries=config.retries,
                    shipped=shipped,
                    worker_cls=worker_cls,
                )
                try:
                    pool.run(
                        jobs,
                        lambda job, res: self.on_result(by_id[job.id], res, progress),
                        lambda job, why: self.on_failure(by_id[job.id], why, progress),
                        lambda: (stop.check(), progress.tick()),
                    )
                finally:
                    pool.stats.run_seconds = pool.stats.run_seconds or time.perf_counter() - pool.t0
                    self.extra["pool"] = pool.stats
                    pool.close()
        finally:
            progress.close()

    def finish(self, plan: ItemPlan, interrupted: bool) -> dict[str, Any]:
        records = [self.records[item.id] for item in plan.items if item.id in self.records]
        expand = self.config.defaults.normalize_numbers
        self.out.write_metadata(records, expand_numbers=expand, lexicon=self.lexicon)
        self.out.write_errors(self.errors)
        summary = self.summary(plan, records, interrupted)
        self.out.write_summary(summary)
        self.out.finish()
        return summary

    def summary(self, plan: ItemPlan, records: list[ItemRecord], interrupted: bool) -> dict[str, Any]:
        stats: PoolStats | None = self.extra.get("pool")
        wall = time.perf_counter() - self.t0
        workers = [s.to_dict() for s in stats.slots] if stats else []
        used = sum(1 for w in workers if w["items"]) or len(workers) or 1
        pool_seconds = stats.run_seconds if stats else 0.0
        ready = (stats.all_ready_seconds or stats.first_ready_seconds or 0.0) if stats else 0.0
        busy = sum(w["busy_seconds"] for w in workers)
        steady = pool_seconds - (stats.first_ready_seconds or 0.0) if stats else 0.0
        throughput = self.synthesized_audio / wall if wall > 0 else 0.0
        import onnxruntime

        versions = {
            "yourtts_onnx": __version__,
            "onnxruntime": onnxruntime.__version__,
            "python": sys.version.split()[0],
        }
        if "ray" in sys.modules:
            versions["ray"] = sys.modules["ray"].__version__
        return {
            "rows": plan.rows,
            "items": len(plan.items),
            "skipped": len(records) - self.synthesized,
            "synthesized": self.synthesized,
            "errors": len(self.errors),
            "errors_file": os.fspath(self.out.root / ERRORS),
            "retried": stats.retried if stats else 0,
            "failed": stats.failed if stats else 0,
            "interrupted": interrupted,
            "audio_hours": sum(r.duration for r in records) / 3600.0,
            "synthesized_audio_seconds": round(self.synthesized_audio, 3),
            "wall_seconds": round(wall, 3),
            "plan_seconds": round(self.timings.get("plan_seconds", 0.0), 3),
            "resume_scan_seconds": round(self.timings.get("resume_scan_seconds", 0.0), 3),
            "ray_start_seconds": round(self.timings.get("ray_start_seconds", 0.0), 3),
            "workers_ready_seconds": round(ready, 3),
            "synthesis_seconds": round(pool_seconds, 3),
            "write_seconds": round(self.write_seconds, 3),
            "throughput": round(throughput, 4),  # audio s per wall s, the whole command
            "steady_throughput": round(self.synthesized_audio / steady, 4) if steady > 0 else 0.0,
            "throughput_per_worker": round(throughput / used, 4),
            "worker_busy_fraction": round(busy / (used * steady), 4) if steady > 0 else 0.0,
            "workers_used": used,
            "workers": workers,
            "nodes": self.extra.get("nodes"),
            "cluster_cpus": self.extra.get("cluster_cpus"),
            "clone": self.extra.get("clone"),
            "bundle": {
                "path": os.fspath(self.bundle.root),
                "backend": self.backend.name,
                "shipped_bytes": self.extra.get("shipped_bytes", 0),
                "put_seconds": self.extra.get("bundle_put_seconds"),
            },
            "versions": versions,
        }


def run_batch(
    config: BatchConfig,
    *,
    stream: TextIO | None = None,
    worker_cls: type = BatchWorker,
    verbose: bool = False,
) -> dict[str, Any]:
    """Run ``config`` to the end; returns the summary (also written to ``DIR/summary.json``).

    ``stream``: progress output (default stderr). ``worker_cls``: the actor class (a :class:`BatchWorker`
    subclass; tests inject failures with it). Raises :class:`KeyboardInterrupt` after finalising the
    outputs when interrupted, :class:`~yourtts_onnx.errors.ClusterError` when no worker can go on.
    """
    run = _Run(config, stream if stream is not None else sys.stderr)
    run.out.prepare()
    try:
        plan = run.plan()
        todo = run.resume(plan)
    except BaseException:  # refused before any work: leave no empty .partial behind
        run.out.finish()
        raise
    interrupted = False
    try:
        with _sigterm_as_interrupt():
            if todo:
                run.synthesize(todo, worker_cls, verbose)
    except (KeyboardInterrupt, Terminated):
        interrupted = True
        raise
    finally:
        summary = run.finish(plan, interrupted)
        if interrupted:
            print(summary_text(summary), file=run.stream)
    return summary
