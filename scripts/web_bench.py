#!/usr/bin/env python3
"""Benchmark the browser build against native ONNX Runtime on the same graphs, in one run.

    .venv/bin/python scripts/web_bench.py --bundle BUNDLE [--site SITE] [--threads 2] [--repeats 5] \
        [--out benchmarks/web]

With ``--bundle`` (an fp32 bundle; a full-size one for the figures the README quotes: ``yourtts-onnx bench``'s
work directory holds one, or ``yourtts-onnx export --checkpoint ...``), the site is built first with
``web-export`` (INT8 vocoder, fp16 weights elsewhere) into ``SITE`` (default ``build/web-bench/site``);
``--site`` alone reuses a built site.

Measured, the browser being headless Chromium (``/usr/bin/chromium`` through Playwright) with onnxruntime-web's
WASM backend and ``--threads`` threads (the site served with COOP/COEP from localhost):

* download: the bytes a first visit fetches (model + onnxruntime-web's WASM build + page), raw and gzipped
  (what a static host that compresses sends);
* model ready: page open → model loaded, first visit (localhost, so no network time) and warm (Cache Storage);
* time to first audio, warm cache: ``synthesize`` called → first audio chunk on the main thread (streaming),
  the 20-word sentence of the performance issue; and page open → first audio;
* RTF: whole-sentence ``synthesize`` time / audio duration (median of ``--repeats`` after one warm-up), noise 0.

Native: the Python runtime (ONNX Runtime CPU, ``--threads`` threads, the split backend) on the site's own
``model/`` directory: first chunk of ``stream()`` and RTF of ``synthesize()``, measured in the same run just
before the browser. Results: ``OUT/web_bench.json`` and ``OUT/web_bench.md``. Run it on a quiet machine; timings are noisy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from yourtts_onnx.bench.texts import STREAMING_SENTENCE  # noqa: E402
from yourtts_onnx.web.chromium import CHROMIUM_ARGS, chromium_executable  # noqa: E402
from yourtts_onnx.web.preview import serve_site  # noqa: E402

FIRST_AUDIO = """async (request) => {
  const t0 = performance.now();
  let first = null;
  const out = await yourtts.synthesize(request, { stream: true, onChunk: (c) => {
    if (first === null && c.kind === 'audio') first = performance.now() - t0;
  } });
  return { firstMs: first, totalMs: performance.now() - t0, seconds: out.samples.length / out.sampleRate };
}"""
WHOLE = """async (request) => {
  const t0 = performance.now();
  const out = await yourtts.synthesize(request);
  return { totalMs: performance.now() - t0, seconds: out.samples.length / out.sampleRate };
}"""


def _gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6))


def download_sizes(site: Path) -> dict[str, int]:
    """Bytes of a first visit (the synthesis graphs, speakers, WASM, page) and of the first cloning."""
    config = json.loads((site / "model" / "config.json").read_text())
    encoder = site / "model" / config["graphs"]["speaker_encoder"]["file"]
    model = [p for p in (site / "model").iterdir() if p.is_file() and p != encoder]
    names = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
    wasm = [site / "ort" / n for n in names]
    page = [p for p in site.iterdir() if p.suffix in (".html", ".mjs", ".css")]
    page += list((site / "lib").glob("*.mjs"))
    first_visit = model + wasm + page
    return {
        "model_bytes": sum(p.stat().st_size for p in model),
        "wasm_bytes": sum(p.stat().st_size for p in wasm),
        "page_bytes": sum(p.stat().st_size for p in page),
        "first_visit_bytes": sum(p.stat().st_size for p in first_visit),
        "first_visit_gzip_bytes": sum(_gzip_size(p) for p in first_visit),
        "speaker_encoder_bytes": encoder.stat().st_size,
        "speaker_encoder_gzip_bytes": _gzip_size(encoder),
    }


def native_run(site: Path, threads: int, text: str, repeats: int) -> dict[str, float]:
    from yourtts_onnx.runtime import Synthesizer

    t0 = time.perf_counter()
    synth = Synthesizer.from_bundle(site / "model", threads=threads, backend="split")
    load = time.perf_counter() - t0
    opts = {"language": "en", "noise_scale": 0.0, "noise_scale_dp": 0.0}
    synth.synthesize(text, **opts)  # warm-up
    firsts, rtfs = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        stream = synth.stream(text, **opts)
        next(stream)
        firsts.append(time.perf_counter() - t0)
        for _chunk in stream:
            pass
        t0 = time.perf_counter()
        audio = synth.synthesize(text, **opts)
        rtfs.append((time.perf_counter() - t0) / (audio.samples.size / audio.sample_rate))
    return {
        "load_s": load,
        "first_audio_ms": 1000 * statistics.median(firsts),
        "rtf": statistics.median(rtfs),
    }


def browser_run(site: Path, threads: int, text: str, repeats: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    request = {"text": text, "language": "en", "noiseScale": 0, "noiseScaleDp": 0}
    with serve_site(site) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_executable(), args=list(CHROMIUM_ARGS))
        context = browser.new_context()
        page_url = f"{url}?ep=wasm&threads={threads}"

        def open_page() -> tuple[object, float]:
            page = context.new_page()
            t0 = time.perf_counter()
            page.goto(page_url)
            page.wait_for_function("() => document.body.dataset.ready", timeout=600_000)
            if page.evaluate("() => document.body.dataset.ready") != "true":
                raise SystemExit(f"the page failed to load: {page.inner_text('#error')}")
            return page, time.perf_counter() - t0

        cold_page, cold = open_page()
        info = cold_page.evaluate("() => yourtts.info")
        cold_page.close()
        warm_page, warm = open_page()
        cached = warm_page.evaluate("() => yourtts.info")
        # the first call after the page opened (sessions not run yet)
        first_visit = warm_page.evaluate(FIRST_AUDIO, request)
        warm_page.evaluate(WHOLE, request)  # warm-up
        firsts, rtfs = [], []
        for _ in range(repeats):
            first = warm_page.evaluate(FIRST_AUDIO, request)
            firsts.append(first["firstMs"])
            whole = warm_page.evaluate(WHOLE, request)
            rtfs.append(whole["totalMs"] / 1000 / whole["seconds"])
        browser.close()
    return {
        "backend": info["label"],
        "files_from_cache_on_second_visit": f"{cached['filesFromCache']} of {cached['files']}",
        "model_ready_first_visit_s": cold,
        "model_ready_warm_s": warm,
        "page_open_to_first_audio_warm_s": warm + first_visit["firstMs"] / 1000,
        "first_audio_ms": statistics.median(firsts),
        "rtf": statistics.median(rtfs),
        "audio_seconds": first_visit["seconds"],
    }


def report(result: dict[str, object]) -> str:
    d, b, n = result["download"], result["browser"], result["native"]  # type: ignore[index]
    mb = 1e6
    lines = [
        f"# Browser build benchmark ({result['when']})",
        "",
        f"Site: `{result['site']}` ({result['precision']}); machine: {result['machine']}; {result['threads']} threads; "
        f"text: the 20-word sentence ({b['audio_seconds']:.1f} s of audio), noise 0; medians of {result['repeats']}.",
        "",
        f"Download, first visit: {d['first_visit_bytes'] / mb:.1f} MB ({d['model_bytes'] / mb:.1f} MB model + "
        f"{d['wasm_bytes'] / mb:.1f} MB onnxruntime-web WASM + {d['page_bytes'] / 1e3:.0f} kB page), "
        f"{d['first_visit_gzip_bytes'] / mb:.1f} MB gzipped; the first cloning adds the speaker encoder, "
        f"{d['speaker_encoder_bytes'] / mb:.1f} MB ({d['speaker_encoder_gzip_bytes'] / mb:.1f} MB gzipped). "
        "MB = 10^6 bytes.",
        "",
        "| | browser (headless Chromium, onnxruntime-web WASM) | native ONNX Runtime (Python runtime) |",
        "| --- | --- | --- |",
        f"| backend | {b['backend']} | CPU, split backend |",
        f"| model ready | {b['model_ready_first_visit_s']:.2f} s first visit (localhost), {b['model_ready_warm_s']:.2f} s warm cache "
        f"({b['files_from_cache_on_second_visit']} files from Cache Storage) | {n['load_s']:.2f} s |",
        f"| time to first audio, warm | {b['first_audio_ms']:.0f} ms (page open → first audio {b['page_open_to_first_audio_warm_s']:.2f} s) "
        f"| {n['first_audio_ms']:.0f} ms |",
        f"| RTF, whole sentence | {b['rtf']:.3f} | {n['rtf']:.3f} |",
        f"| browser / native time | {b['rtf'] / n['rtf']:.2f}x | 1x |",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, help="fp32 bundle to build the site from")
    parser.add_argument("--site", type=Path, default=ROOT / "build" / "web-bench" / "site")
    parser.add_argument("--precision", default="int8", choices=["int8", "fp16", "fp32"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--text", default=STREAMING_SENTENCE)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "web")
    args = parser.parse_args()
    if args.bundle is not None:
        from yourtts_onnx.web.site import web_export

        web_export(args.bundle, args.site, args.precision, progress=lambda m: print(m, file=sys.stderr))
    if not (args.site / "site.json").is_file():
        parser.error(f"{args.site} is not a built site: pass --bundle to build one")
    precision = json.loads((args.site / "site.json").read_text())["precision"]
    result: dict[str, object] = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "site": str(args.site),
        "precision": precision,
        "threads": args.threads,
        "repeats": args.repeats,
        "machine": f"{platform.processor() or platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores",
        "download": download_sizes(args.site),
    }
    print("native ONNX Runtime ...", file=sys.stderr)
    result["native"] = native_run(args.site, args.threads, args.text, args.repeats)
    print("headless Chromium ...", file=sys.stderr)
    result["browser"] = browser_run(args.site, args.threads, args.text, args.repeats)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "web_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    text = report(result)
    (args.out / "web_bench.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
