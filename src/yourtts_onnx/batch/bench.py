"""Throughput of ``batch`` next to a plain single-process loop, and Ray's costs per item — rerunnable:

    python -m yourtts_onnx.batch.bench [--bundle INT8_BUNDLE] [--items 32] [--out benchmarks/batch]

Without ``--bundle`` a random full-size checkpoint is exported and quantised to INT8 once (cached in
``--work``, shared with ``yourtts-onnx bench``). In one run, on the same items (built-in voices, seeded noise
when the bundle can seed it, else noise 0):

* plain loop: one process, ``Synthesizer.synthesize`` + ``Audio.save`` per item, 1 thread and all threads;
* ``batch`` with 1 and 2 workers (a local Ray started and stopped by each run, as the command does);
* Ray alone: an echo actor's round trip with an audio-sized payload (one in flight, and pipelined), and Ray
  Data ``map_batches`` with an actor pool doing nothing (start-up and per item), for the choice of engine;
* the driver's costs per item: writing an audio file atomically (fsync), the resume check of an existing
  file, cloning one reference recording; and shipping the bundle through the object store.

Writes ``batch_bench.json`` and ``batch_bench.md`` to ``--out``. Timings on a shared machine are indicative.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.bench.machine import describe, load_average
from yourtts_onnx.bench.texts import TEXTS

from .config import BatchConfig
from .outputs import OutputDir, encode_audio
from .pool import import_ray
from .runner import bundle_seedable, run_batch
from .shipping import config_sha256, pack_bundle
from .worker import BatchWorker, WorkerSpec


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def manifest_rows(n: int, speakers: list[str]) -> list[dict[str, Any]]:
    texts = [TEXTS[group] for group in ("medium", "long", "short")]
    return [
        {
            "id": f"b{i:04d}",
            "text": texts[i % len(texts)],
            "language": "en",
            "voice": speakers[i % len(speakers)],
        }
        for i in range(n)
    ]


def plain_loop(
    bundle: Path, rows: list[dict[str, Any]], threads: int | None, noise: dict[str, float], out: Path
) -> dict[str, Any]:
    """What a user's hand-written loop does: one synthesizer, synthesize and save each item."""
    from yourtts_onnx.runtime import SynthesisOptions, Synthesizer

    t0 = time.perf_counter()
    synth = Synthesizer.from_bundle(bundle, threads=threads)
    load = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    audio_s = 0.0
    per_item = []
    t1 = time.perf_counter()
    for i, row in enumerate(rows):
        t = time.perf_counter()
        opts = SynthesisOptions(language="en", voice=row["voice"], seed=i, **noise)
        audio = synth.synthesize(row["text"], opts)
        audio.save(out / f"{row['id']}.wav")
        per_item.append(time.perf_counter() - t)
        audio_s += audio.duration
    wall = time.perf_counter() - t1
    return {
        "threads": threads or os.cpu_count(),
        "load_seconds": round(load, 3),
        "wall_seconds": round(wall, 3),
        "audio_seconds": round(audio_s, 3),
        "throughput": round(audio_s / wall, 3),
        "seconds_per_item": round(wall / len(rows), 4),
        "median_item_seconds": round(statistics.median(per_item), 4),
    }


def batch_run(
    bundle: Path, manifest: Path, out: Path, workers: int, noise: dict[str, float]
) -> dict[str, Any]:
    from yourtts_onnx.runtime.options import SynthesisOptions

    shutil.rmtree(out, ignore_errors=True)
    config = BatchConfig(
        bundle=bundle, manifest=manifest, out=out, workers=workers, defaults=SynthesisOptions(**noise)
    )
    s = run_batch(config, stream=io.StringIO())
    busy = sum(w["busy_seconds"] for w in s["workers"])
    steady = s["synthesis_seconds"] - (s["workers_ready_seconds"] or 0.0)
    items = s["synthesized"]
    return {
        "workers": workers,
        "wall_seconds": s["wall_seconds"],
        "ray_start_seconds": s["ray_start_seconds"],
        "workers_ready_seconds": s["workers_ready_seconds"],
        "synthesis_seconds": s["synthesis_seconds"],
        "audio_seconds": s["synthesized_audio_seconds"],
        "throughput": s["throughput"],  # the whole command, start-up included
        "throughput_after_startup": round(s["synthesized_audio_seconds"] / steady, 3) if steady > 0 else None,
        "worker_busy_seconds": round(busy, 3),
        "worker_busy_fraction": s["worker_busy_fraction"],
        "driver_write_seconds": s["write_seconds"],
        # time per item the workers were not synthesising, after all were ready (dispatch, transfer, tail)
        "idle_per_item_ms": round((workers * steady - busy) / items * 1000, 2)
        if items and steady > 0
        else None,
        "worker_load_seconds": [w["load_seconds"] for w in s["workers"]],
    }


class Echo:
    def run(self, payload: bytes) -> bytes:
        return payload


def ray_round_trips(payload_bytes: int, n: int) -> dict[str, Any]:
    """An actor that returns what it gets: per-item cost of Ray alone, one in flight and pipelined (2)."""
    ray = import_ray(local=True)
    tmp = tempfile.mkdtemp(prefix="yt-bench-ray-")
    t0 = time.perf_counter()
    ray.init(
        num_cpus=2, include_dashboard=False, object_store_memory=128 << 20, _temp_dir=tmp, log_to_driver=False
    )
    init = time.perf_counter() - t0
    try:
        actor = ray.remote(Echo).options(num_cpus=1).remote()
        payload = os.urandom(payload_bytes)
        ray.get(actor.run.remote(payload))
        t0 = time.perf_counter()
        for _ in range(n):
            ray.get(actor.run.remote(payload))
        sync = (time.perf_counter() - t0) / n
        t0 = time.perf_counter()
        pending = [actor.run.remote(payload) for _ in range(2)]
        for _ in range(n):
            done, pending = ray.wait(pending, num_returns=1)
            ray.get(done[0])
            pending.append(actor.run.remote(payload))
        ray.get(pending)
        piped = (time.perf_counter() - t0) / n
        data = ray_data_noop(ray, n)
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "payload_bytes": payload_bytes,
        "ray_init_seconds": round(init, 3),
        "round_trip_ms": round(sync * 1000, 3),
        "pipelined_ms": round(piped * 1000, 3),
        "ray_data": data,
    }


class _Noop:
    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        return batch


def ray_data_noop(ray: Any, n: int) -> dict[str, Any] | None:
    """Ray Data ``map_batches`` with a 2-actor pool doing nothing: the fixed cost and the cost per item."""
    try:
        import ray.data as rd
    except ImportError:
        return None
    rd.DataContext.get_current().enable_progress_bars = False
    out = {}
    for items in (n // 4, n):
        t0 = time.perf_counter()
        ds = rd.from_items([{"i": i} for i in range(items)]).map_batches(
            _Noop, batch_size=1, compute=rd.ActorPoolStrategy(size=2), num_cpus=1
        )
        count = sum(1 for _ in ds.iter_rows())
        out[items] = time.perf_counter() - t0
        assert count == items
    small, large = n // 4, n
    per_item = (out[large] - out[small]) / (large - small)
    return {
        "seconds": {str(k): round(v, 3) for k, v in out.items()},
        "per_item_ms": round(per_item * 1000, 3),
        "fixed_seconds": round(out[small] - small * per_item, 3),
    }


def driver_costs(bundle: Path, sample_rate: int, n: int, work: Path) -> dict[str, Any]:
    """Per item on the driver: atomic write (with fsync), resume check; per recording: cloning."""
    from yourtts_onnx.runtime import Bundle, Voices
    from yourtts_onnx.runtime.session import SessionOptions

    out = OutputDir(work / "driver-costs", "wav")
    shutil.rmtree(out.root, ignore_errors=True)
    out.prepare()
    rng = np.random.default_rng(0)
    samples = (rng.standard_normal(sample_rate * 6) * 0.1).astype(np.float32)  # 6 s, a medium sentence
    data = encode_audio(samples, sample_rate, "wav", "k")
    t0 = time.perf_counter()
    for i in range(n):
        out.write_audio(f"x{i}", data)
    write = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for i in range(n):
        assert out.done(f"x{i}", "k", sample_rate) is not None
    scan = (time.perf_counter() - t0) / n
    shutil.rmtree(out.root, ignore_errors=True)
    voices = Voices(Bundle.open(bundle), work / "voices", SessionOptions())
    clip = work / "clip.wav"
    clip.write_bytes(
        encode_audio(
            np.sin(np.arange(sample_rate * 5) * 0.05).astype(np.float32) * 0.3 + samples[: sample_rate * 5],
            sample_rate,
            "wav",
            "k",
        )
    )
    t0 = time.perf_counter()
    voices.clone(clip)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(3):
        voices.clone(clip)
    clone = (time.perf_counter() - t0) / 3
    return {
        "encoded_bytes_per_6s_item": len(data),
        "write_ms": round(write * 1000, 3),
        "resume_check_ms": round(scan * 1000, 3),
        "clone_first_seconds": round(first, 3),
        "clone_seconds": round(clone, 3),
    }


def shipping_costs(bundle_path: Path, work: Path) -> dict[str, Any]:
    """``ray.put`` of the packed bundle, and a worker that unpacks it into a fresh node cache and loads it."""
    from yourtts_onnx.runtime import Bundle

    ray = import_ray(local=True)
    tmp = tempfile.mkdtemp(prefix="yt-bench-ray-")
    bundle = Bundle.open(bundle_path)
    t0 = time.perf_counter()
    packed = pack_bundle(bundle)
    read = time.perf_counter() - t0
    size = sum(len(v) for v in packed.values())
    cache = work / "ship-cache"
    shutil.rmtree(cache, ignore_errors=True)
    saved = os.environ.get("YOURTTS_ONNX_CACHE")
    os.environ["YOURTTS_ONNX_CACHE"] = str(cache)  # the worker inherits it: a node that never saw the bundle
    try:
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            object_store_memory=(128 << 20) + 2 * size,
            _temp_dir=tmp,
            log_to_driver=False,
        )
        t0 = time.perf_counter()
        ref = ray.put(packed)
        put = time.perf_counter() - t0
        del packed
        spec = WorkerSpec(
            os.fspath(bundle_path), config_sha256(bundle_path), "auto", "stamp", 1, "wav", prefer_path=False
        )
        actor = ray.remote(BatchWorker).options(num_cpus=1)
        shipped = ray.get(actor.remote(spec, [ref]).info.remote())
        from_path = ray.get(
            actor.remote(
                WorkerSpec(os.fspath(bundle_path), config_sha256(bundle_path), "auto", "stamp", 1, "wav")
            ).info.remote()
        )
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        if saved is None:
            os.environ.pop("YOURTTS_ONNX_CACHE", None)
        else:
            os.environ["YOURTTS_ONNX_CACHE"] = saved
    return {
        "bundle_bytes": size,
        "read_seconds": round(read, 3),
        "put_seconds": round(put, 3),
        "worker_fetch_and_unpack_seconds": round(shipped.fetch_seconds, 3),
        "worker_load_shipped_seconds": round(shipped.load_seconds, 3),
        "worker_load_from_path_seconds": round(from_path.load_seconds, 3),
    }


def markdown(r: dict[str, Any]) -> str:
    lines = [
        "# batch benchmark",
        "",
        f"Bundle: `{r['bundle']}` ({r['backend']} backend, {'seeded noise' if r['seedable'] else 'noise 0'}); "
        f"{r['items']} items, {r['audio_seconds']:.1f} s of audio; load average at start {r['machine']['load_average_start']}, "
        f"at end {r['load_average_end']}.",
        "",
        "| run | wall s | start-up s | audio s / wall s | after start-up | per worker |",
        "|---|---|---|---|---|---|",
    ]
    for p in r["plain"]:
        lines.append(
            f"| plain loop, {p['threads']} thread(s) | {p['wall_seconds']:.1f} | {p['load_seconds']:.1f} | "
            f"{p['throughput']:.2f} | {p['throughput']:.2f} | – |"
        )
    for b in r["batch"]:
        start = b["ray_start_seconds"] + b["workers_ready_seconds"]
        lines.append(
            f"| batch, {b['workers']} worker(s) × 1 thread | {b['wall_seconds']:.1f} | {start:.1f} | "
            f"{b['throughput']:.2f} | {b['throughput_after_startup']:.2f} | "
            f"{b['throughput_after_startup'] / b['workers']:.2f} |"
        )
    ray = r["ray"]
    d, s = r["driver"], r["shipping"]
    lines += [
        "",
        "Per item (Ray and the driver):",
        "",
        f"- Ray actor round trip with a {ray['payload_bytes'] // 1000} kB payload: {ray['round_trip_ms']:.2f} ms "
        f"(one in flight), {ray['pipelined_ms']:.2f} ms (two in flight, as batch runs); `ray.init` {ray['ray_init_seconds']:.1f} s",
        f"- batch, 1 worker: workers idle {r['batch'][0]['idle_per_item_ms']} ms per item after start-up "
        f"(plain 1-thread loop {r['plain'][0]['seconds_per_item'] * 1000:.0f} ms per item)",
    ]
    if ray.get("ray_data"):
        rd = ray["ray_data"]
        lines.append(
            f"- Ray Data `map_batches` (actor pool of 2, no-op): {rd['fixed_seconds']:.1f} s fixed per run, "
            f"{rd['per_item_ms']:.2f} ms per item"
        )
    lines += [
        f"- driver: atomic write with fsync {d['write_ms']:.2f} ms per {d['encoded_bytes_per_6s_item'] // 1000} kB file, "
        f"resume check {d['resume_check_ms']:.3f} ms per file, cloning {d['clone_seconds']:.2f} s per recording "
        f"(first {d['clone_first_seconds']:.2f} s, loading the speaker encoder)",
        f"- shipping the bundle ({s['bundle_bytes'] / 1e6:.0f} MB): read {s['read_seconds']:.2f} s + `ray.put` {s['put_seconds']:.2f} s "
        f"on the driver; a worker fetches and unpacks it in {s['worker_fetch_and_unpack_seconds']:.2f} s (same machine), "
        f"then loads it in {s['worker_load_shipped_seconds']:.2f} s (from the driver's path: {s['worker_load_from_path_seconds']:.2f} s)",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m yourtts_onnx.batch.bench", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--bundle", type=Path, help="an INT8 bundle (default: a random full-size one, built in --work)"
    )
    p.add_argument("--work", type=Path, default=Path("build/bench"), help="cache for checkpoints and bundles")
    p.add_argument("--out", type=Path, default=Path("benchmarks/batch"), help="results directory")
    p.add_argument("--items", type=int, default=32, help="items per run (default 32)")
    args = p.parse_args(argv)
    from yourtts_onnx.runtime import Bundle
    from yourtts_onnx.runtime.backends import choose_backend

    if args.bundle is None:
        from yourtts_onnx.bench.prepare import prepare

        bundle_path = prepare(args.work, size="full", precisions=("int8",), progress=_log).bundles["int8"]
    else:
        bundle_path = args.bundle
    bundle = Bundle.open(bundle_path)
    backend = choose_backend(bundle.config.graphs)
    seedable = bundle_seedable(bundle, backend)
    noise = {} if seedable else {"noise_scale": 0.0, "noise_scale_dp": 0.0}
    rows = manifest_rows(args.items, list(bundle.config.speakers.names) or [])
    work = Path(tempfile.mkdtemp(prefix="yt-batch-bench-"))
    result: dict[str, Any] = {
        "bundle": os.fspath(bundle_path),
        "backend": backend.name,
        "seedable": seedable,
        "items": len(rows),
        "machine": describe(threads=os.cpu_count() or 1),
    }
    try:
        manifest = work / "rows.jsonl"
        manifest.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        _log("plain loop, 1 thread")
        result["plain"] = [plain_loop(bundle_path, rows, 1, noise, work / "plain1")]
        _log("plain loop, all threads")
        result["plain"].append(plain_loop(bundle_path, rows, None, noise, work / "plainN"))
        result["audio_seconds"] = result["plain"][0]["audio_seconds"]
        result["batch"] = []
        for workers in (1, 2):
            _log(f"batch, {workers} worker(s)")
            result["batch"].append(batch_run(bundle_path, manifest, work / f"batch{workers}", workers, noise))
        sizes = [p.stat().st_size for p in (work / "batch1" / "wavs").iterdir()]
        _log("Ray alone")
        result["ray"] = ray_round_trips(int(statistics.mean(sizes)), 200)
        _log("driver costs")
        result["driver"] = driver_costs(bundle_path, bundle.config.sample_rate, 200, work)
        _log("shipping the bundle")
        result["shipping"] = shipping_costs(bundle_path, work)
        result["load_average_end"] = load_average()
        import ray

        result["versions"] = {**result["machine"]["versions"], "ray": ray.__version__}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch_bench.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    text = markdown(result)
    (args.out / "batch_bench.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
