"""The whole benchmark: one run, same inputs, same thread count, interleaved repetitions.

Sections: machine and peak; bundles (built or reused); sizes; FLOPs per audio second per graph; RTF per
variant x text length x batch size; the decoder alone (GFLOP/s, % of peak, ORT settings sweep); streaming
(time to first audio, underruns, seam error); cold start and peak RSS in fresh processes; quality of each
variant against ONNX fp32 (SNR, speaker-embedding cosine); the targets of the issue, met or not.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.bench import machine
from yourtts_onnx.bench.decoder_bench import (
    DecoderInputs,
    session_runner,
    settings_sweep,
    tile_frames,
    torch_runner,
)
from yourtts_onnx.bench.flops import count_flops
from yourtts_onnx.bench.int8_recipes import compare_recipes
from yourtts_onnx.bench.ort_pipeline import Batch, OrtSettings, OrtTTS, scales_array
from yourtts_onnx.bench.prepare import prepare
from yourtts_onnx.bench.process import ProbeConfig, cold_starts, peak_rss
from yourtts_onnx.bench.quality import Embedder, compare
from yourtts_onnx.bench.rtf import make_batches, run_rtf
from yourtts_onnx.bench.streaming import run_streaming
from yourtts_onnx.bench.texts import LANGUAGE, QUICK_TEXTS, STREAMING_SENTENCE, TEXTS
from yourtts_onnx.bench.timing import interleaved
from yourtts_onnx.bench.variants import OnnxVariant, TorchVariant, VariantSpec, build
from yourtts_onnx.runtime.bundle import GRAPH_SPEAKER_ENCODER
from yourtts_onnx.runtime.chunked_decoding import (
    YOURTTS_DECODER_FIELD,
    YOURTTS_FLOW_FIELD,
    YOURTTS_VOCODER_FIELD,
    ChunkSchedule,
)
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer

Progress = Callable[[str], None]
REFERENCE = "onnx-fp32"


@dataclass
class BenchConfig:
    out: Path = Path("benchmarks/results")
    work: Path = Path("build/bench")
    size: str = "full"
    checkpoint: Path | None = None
    bundle: Path | None = None
    threads: int = 2
    reps: int = 3
    cold_reps: int = 3
    batch_sizes: tuple[int, ...] = (1, 4)
    decoder_frames: int = 250
    first_frames: int = 16
    peak_gflops: float | None = None
    torch: bool = True
    quick: bool = False
    text_classes: tuple[str, ...] = ("short", "medium", "long")

    @classmethod
    def quick_config(cls, out: Path, work: Path, **kw: Any) -> BenchConfig:
        return cls(out=out, work=work, size="tiny", reps=1, cold_reps=1, decoder_frames=64, quick=True,
                   text_classes=("short", "medium"), **kw)

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


def _sizes(bundles: dict[str, Path]) -> dict[str, Any]:
    out = {}
    for label, root in bundles.items():
        files = {p.name: p.stat().st_size for p in sorted(root.iterdir()) if p.is_file()}
        streaming = ("text_encoder.onnx", "duration_predictor.onnx", "flow.onnx", "vocoder.onnx")
        out[label] = {
            "total_bytes": sum(files.values()),
            "files": files,
            "model_onnx_bytes": files.get("model.onnx"),
            "streaming_set_bytes": sum(files.get(f, 0) for f in streaming) if "vocoder.onnx" in files else None,
        }
    return out


def _flops(bundle: Path, tokens: int, audio_s: float, frames: int, hop: int, sr: int) -> dict[str, Any]:
    per: dict[str, Any] = {}
    te = count_flops(bundle / "text_encoder.onnx", {"batch": 1, "tokens": tokens})
    dp = count_flops(bundle / "duration_predictor.onnx", {"batch": 1, "tokens": tokens})
    dec = count_flops(bundle / "decoder.onnx", {"batch": 1, "frames": frames})
    dec_s = frames * hop / sr
    per["text_encoder"] = {"gflop": te.total / 1e9, "basis": f"{tokens} ids -> {audio_s:.2f} s of audio",
                           "gflop_per_audio_s": te.total / 1e9 / audio_s, "by_op": te.by_op, "uncounted": te.uncounted}
    per["duration_predictor"] = {"gflop": dp.total / 1e9, "basis": f"{tokens} ids -> {audio_s:.2f} s of audio",
                                 "gflop_per_audio_s": dp.total / 1e9 / audio_s, "by_op": dp.by_op,
                                 "uncounted": dp.uncounted}
    per["decoder"] = {"gflop": dec.total / 1e9, "basis": f"{frames} frames = {dec_s:.2f} s of audio",
                      "gflop_per_audio_s": dec.total / 1e9 / dec_s, "by_op": dec.by_op, "uncounted": dec.uncounted}
    se = count_flops(bundle / "speaker_encoder.onnx", {"batch": 1, "audio_samples": sr}) if (
        bundle / "speaker_encoder.onnx").is_file() else None
    if se is not None:
        per["speaker_encoder"] = {"gflop": se.total / 1e9, "basis": "1 s of reference audio (cloning only)",
                                  "gflop_per_audio_s": se.total / 1e9, "by_op": se.by_op, "uncounted": se.uncounted}
    total = sum(per[g]["gflop_per_audio_s"] for g in ("text_encoder", "duration_predictor", "decoder"))
    per["synthesis_total_gflop_per_audio_s"] = total
    per["decoder_share"] = per["decoder"]["gflop_per_audio_s"] / total
    return per


def _geo_mean(values: list[float]) -> float:
    vals = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else float("nan")


class _Clock:
    """Seconds spent per section of the run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._name, self._t = "machine", time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[self._name] = self.seconds.get(self._name, 0.0) + now - self._t
        self._name, self._t = name, now


def run_suite(cfg: BenchConfig, progress: Progress = print) -> dict[str, Any]:
    t_start = time.time()
    clock = _Clock()
    result: dict[str, Any] = {"config": cfg.to_dict(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    result["machine"] = machine.describe(cfg.threads, cfg.peak_gflops)
    peak = result["machine"]["peak_fp32"]["gflops"]
    progress(f"peak: {result['machine']['peak_fp32']['explanation']}")

    clock.mark("prepare")
    prep = prepare(cfg.work, size=cfg.size, checkpoint=cfg.checkpoint, bundle=cfg.bundle, progress=progress)
    bundles = prep.bundles
    result["prepare"] = {"bundles": {k: str(v) for k, v in bundles.items()}, "seconds": prep.seconds,
                         "checkpoint": str(prep.checkpoint) if prep.checkpoint else None}
    result["sizes"] = _sizes(bundles)

    base = OrtSettings(threads=cfg.threads, spinning=True)  # what a plain InferenceSession gets
    tuned = OrtSettings(threads=cfg.threads)  # spinning off: see OrtSettings
    specs: dict[str, VariantSpec] = {}
    if cfg.torch and prep.checkpoint is not None:
        specs["pytorch"] = VariantSpec("pytorch", "torch", "our PyTorch YourTTS.synthesize", prep.checkpoint)
    specs[REFERENCE] = VariantSpec(REFERENCE, "onnx", "model.onnx as exported, default ORT session", bundles["fp32"],
                                   "model", base)
    specs["onnx-int8"] = VariantSpec("onnx-int8", "onnx", "model.onnx with INT8 HiFi-GAN (static QDQ, polyphase)",
                                     bundles["int8"], "model", base, "int8")
    clock.mark("load variants")
    progress("loading variants")
    variants = {name: build(spec, cfg.threads) for name, spec in specs.items()}
    ref = variants[REFERENCE]
    assert isinstance(ref, OnnxVariant)
    bundle_cfg = ref.tts.bundle.config
    sr, hop = bundle_cfg.sample_rate, bundle_cfg.hop_length
    tok = Tokenizer(TextFrontendConfig.from_dict(bundle_cfg.text))
    speakers = ref.tts.bundle.speaker_embeddings()
    embedding = next(iter(speakers.values()))
    lang_id = bundle_cfg.languages.get(LANGUAGE, 0)
    scales = scales_array(0.0, 1.0, 0.0)
    result["variants"] = [s.to_dict() for s in specs.values()]

    clock.mark("rtf")
    # -- RTF matrix ---------------------------------------------------------------------------------
    pool = QUICK_TEXTS if cfg.quick else TEXTS
    texts = {k: pool[k] for k in cfg.text_classes}
    cases = make_batches(texts, cfg.batch_sizes, lambda t: tok.encode(t, LANGUAGE), embedding, lang_id, tok.pad_id)
    rtf_cases, outputs = run_rtf(variants, cases, scales, cfg.reps, REFERENCE, sr, progress)
    result["rtf"] = [c.to_dict() for c in rtf_cases]
    ratios: dict[str, list[float]] = {}
    for c in rtf_cases:
        for name in c.rtf:
            ratios.setdefault(name, []).append(c.rtf[REFERENCE]["median"] / c.rtf[name]["median"])
    result["speedup_vs_onnx_fp32"] = {name: {"geo_mean": _geo_mean(r), "per_case": r} for name, r in ratios.items()}

    clock.mark("flops")
    # -- FLOPs ----------------------------------------------------------------------------------------
    stream_ids = tok.encode(STREAMING_SENTENCE, LANGUAGE)
    stream_audio = len(ref.synthesize(Batch.of([stream_ids], embedding, lang_id, tok.pad_id), scales)[0]) / sr
    flops = _flops(bundles["fp32"], len(stream_ids), stream_audio, cfg.decoder_frames, hop, sr)
    result["flops"] = flops
    per_s = flops["synthesis_total_gflop_per_audio_s"]
    for c in result["rtf"]:
        c["achieved_gflops"] = {n: per_s / r["median"] for n, r in c["rtf"].items()}
        c["pct_peak"] = {n: 100 * g / peak for n, g in c["achieved_gflops"].items()}

    # -- decoder alone -------------------------------------------------------------------------------
    clock.mark("decoder")
    progress("decoder alone: variants and ORT settings")
    prior = ref_components(bundles["fp32"], tuned).prior(Batch.of([stream_ids], embedding, lang_id, tok.pad_id), scales)
    dec_in = DecoderInputs(tile_frames(prior.z_p, cfg.decoder_frames), embedding[None, :].astype(np.float32))
    dec_gflop = flops["decoder"]["gflop"]
    runners: dict[str, Any] = {}
    if "pytorch" in variants:
        tv = variants["pytorch"]
        assert isinstance(tv, TorchVariant)
        runners["pytorch"] = torch_runner(tv.model, dec_in, cfg.threads)
    for label, key in (("onnx-fp32", "fp32"), ("onnx-int8", "int8"), ("onnx-fp16w", "fp16")):
        session = base.create(bundles[key] / "decoder.onnx")
        runners[label] = session_runner(session, dec_in)
    dec_stats = interleaved(runners, cfg.reps, warmup=1)
    sweep = settings_sweep(bundles["fp32"] / "decoder.onnx", dec_in, base, hop, cfg.work)
    sweep_stats = interleaved({k: v["runner"] for k, v in sweep.items()}, cfg.reps + (0 if cfg.quick else 2), warmup=1)
    default_t = sweep_stats["default"].median
    result["decoder"] = {
        "frames": cfg.decoder_frames, "audio_s": cfg.decoder_frames * hop / sr, "gflop": dec_gflop,
        "peak_gflops": peak,
        "variants": {
            n: {"seconds": st.to_dict(), "gflops": dec_gflop / st.median, "pct_peak": 100 * dec_gflop / st.median / peak,
                "rtf": st.median / (cfg.decoder_frames * hop / sr)}
            for n, st in dec_stats.items()
        },
        "sweep": {
            n: {"what": sweep[n]["what"], "load_s": sweep[n]["load_s"], "seconds": st.to_dict(),
                "speedup_vs_default": default_t / st.median, "pct_peak": 100 * dec_gflop / st.median / peak}
            for n, st in sweep_stats.items()
        },
    }

    progress("INT8 recipes on HiFi-GAN alone")
    result["int8_recipes"] = compare_recipes(
        bundles["fp32"], bundles["fp32-split"], dec_in.z_p, dec_in.embedding, base, cfg.reps, progress
    )

    # -- streaming -----------------------------------------------------------------------------------
    clock.mark("streaming")
    progress("streaming: time to first audio")
    schedule = ChunkSchedule(first=cfg.first_frames)
    stream_variants: dict[str, Any] = {
        "onnx-fp32 whole sentence": ref,
        "onnx-fp32 stream, fused decoder": OnnxVariant(VariantSpec("s1", "onnx", "", bundles["fp32"], "components", tuned)),
        "onnx-fp32 stream, flow+vocoder": OnnxVariant(VariantSpec("s2", "onnx", "", bundles["fp32-split"], "split", tuned)),
        "onnx-int8 stream, flow+vocoder": OnnxVariant(VariantSpec("s3", "onnx", "", bundles["int8"], "split", tuned)),
        "onnx-int8 stream, flow+vocoder, ORT default spinning": OnnxVariant(
            VariantSpec("s4", "onnx", "", bundles["int8"], "split", base)
        ),
    }
    if "pytorch" in variants:
        stream_variants = {"pytorch whole sentence": variants["pytorch"], **stream_variants}
    streams = run_streaming(stream_variants, stream_ids, embedding, lang_id, scales, schedule, cfg.reps, sr, tok.pad_id)
    result["streaming"] = {
        "sentence": STREAMING_SENTENCE, "words": len(STREAMING_SENTENCE.split()), "ids": len(stream_ids),
        "audio_s": stream_audio, "schedule": asdict(schedule),
        "context_frames": {"decoder": asdict(YOURTTS_DECODER_FIELD), "flow": asdict(YOURTTS_FLOW_FIELD),
                           "vocoder": asdict(YOURTTS_VOCODER_FIELD)},
        "variants": {n: r.to_dict() for n, r in streams.items()},
    }

    # -- fresh processes -----------------------------------------------------------------------------
    clock.mark("processes")
    progress("cold start and peak RSS (fresh processes)")
    cache = str(cfg.work / "ort-optimized")
    cold_cfgs = [
        ProbeConfig("onnx-fp32 model.onnx, whole sentence, ORT defaults", str(bundles["fp32"]), "model", ["--spinning"]),
        ProbeConfig("onnx-fp32 flow+vocoder stream", str(bundles["fp32-split"]), "split"),
        ProbeConfig("onnx-int8 flow+vocoder stream", str(bundles["int8"]), "split"),
        ProbeConfig("onnx-int8 flow+vocoder stream, saved optimised graphs", str(bundles["int8"]), "split",
                    ["--optimized-dir", cache]),
        ProbeConfig("onnx-int8 flow+vocoder stream, SHA-256 check", str(bundles["int8"]), "split", ["--verify-hashes"]),
    ]
    if cfg.quick:
        cold_cfgs = [cold_cfgs[0], cold_cfgs[2]]
    result["cold_start"] = cold_starts(
        cold_cfgs, STREAMING_SENTENCE, cfg.threads, cfg.cold_reps, progress, warmup=not cfg.quick
    )
    long_text = texts[cfg.text_classes[-1]][0]
    rss_cfgs = [
        ProbeConfig("onnx-fp32 model.onnx, ORT defaults", str(bundles["fp32"]), "model", ["--spinning"]),
        ProbeConfig("onnx-fp32 components (whole sentence)", str(bundles["fp32"]), "components"),
        ProbeConfig("onnx-fp32 flow+vocoder stream", str(bundles["fp32-split"]), "split"),
        ProbeConfig("onnx-int8 model.onnx", str(bundles["int8"]), "model"),
        ProbeConfig("onnx-int8 flow+vocoder stream", str(bundles["int8"]), "split"),
        ProbeConfig("onnx-int8 flow+vocoder stream, no arena", str(bundles["int8"]), "split", ["--no-arena"]),
        ProbeConfig("onnx-fp16w model.onnx", str(bundles["fp16"]), "model"),
    ]
    if cfg.quick:
        rss_cfgs = [rss_cfgs[0], rss_cfgs[4]]
    result["peak_rss"] = {"text": long_text, "configs": peak_rss(rss_cfgs, long_text, cfg.threads, progress)}

    # -- quality -------------------------------------------------------------------------------------
    clock.mark("quality")
    progress("quality against onnx-fp32")
    embedder = Embedder(ref.tts.bundle, cfg.threads) if ref.tts.bundle.has_graph(GRAPH_SPEAKER_ENCODER) else None
    fp16 = OnnxVariant(VariantSpec("onnx-fp16w", "onnx", "", bundles["fp16"], "model", base))
    ref_embedding_variant = ref
    quality: dict[str, Any] = {}
    singles = [(c, b) for c, b in cases if c.batch_size == 1]
    refs = [w for case, _ in singles for w in outputs[(case.text_class, 1)][REFERENCE]]
    ref_embeddings = [embedder.embed(w) for w in refs] if embedder is not None else None
    for name in [*variants, "onnx-fp16w"]:
        if name == REFERENCE:
            continue
        tests: list[np.ndarray] = []
        for case, batch in singles:
            tests += outputs[(case.text_class, 1)][name] if name in variants else fp16.synthesize(batch, scales)
        quality[name] = compare(refs, tests, embedder, ref_embeddings)
    # batching: the shortest item of a padded batch (most padding) against the same text alone
    batched: dict[str, Any] = {}
    for case, batch in cases:
        if case.batch_size > 1:
            i = int(np.argmin(batch.lengths))
            alone = Batch.of([batch.ids[i, : int(batch.lengths[i])].tolist()], embedding, lang_id, tok.pad_id)
            one = ref_embedding_variant.synthesize(alone, scales)
            in_batch = [outputs[(case.text_class, case.batch_size)][REFERENCE][i]]
            batched[f"{case.text_class} x{case.batch_size}"] = {
                "item": i, "ids": int(batch.lengths[i]), "longest_ids": int(batch.lengths.max()),
                **compare(one, in_batch, None),
            }
    result["quality"] = {"reference": REFERENCE, "variants": quality, "batched_vs_single": batched}

    clock.mark("end")
    result["section_seconds"] = clock.seconds
    result["targets"] = targets(result)
    result["load_average_end"] = machine.load_average()
    result["duration_s"] = time.time() - t_start
    return result


def ref_components(bundle: Path, settings: OrtSettings) -> OrtTTS:
    return OrtTTS.open(bundle, settings, "components")


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(target: str, value: str, met: bool | None) -> None:
        out.append({"target": target, "measured": value, "met": met})

    dec = r["decoder"]["variants"]
    if "onnx-fp32" in dec:
        pct = dec["onnx-fp32"]["pct_peak"]
        add("ONNX fp32 decoder >= 90% of fp32 peak", f"{pct:.0f}% ({dec['onnx-fp32']['gflops']:.0f} GFLOP/s)", pct >= 90)
    sp = r["speedup_vs_onnx_fp32"]
    if "pytorch" in sp:
        ratio = 1.0 / sp["pytorch"]["geo_mean"]  # RTF(onnx) / RTF(pytorch)
        add("ONNX fp32 RTF <= 0.6 x PyTorch RTF", f"{ratio:.2f} x (geo-mean over cases)", ratio <= 0.6)
    q = r["quality"]["variants"].get("onnx-int8", {})
    if "onnx-int8" in sp:
        s = sp["onnx-int8"]["geo_mean"]
        cos = q.get("embedding_cosine_min")
        add("INT8 >= 1.8x faster than ONNX fp32", f"{s:.2f}x (geo-mean); SNR {q.get('snr_db', float('nan')):.1f} dB; "
            f"embedding cosine min {cos if cos is None else round(cos, 4)}", s >= 1.8)
        add("INT8 offered only if embedding cosine >= 0.95", f"{cos}", None if cos is None else cos >= 0.95)
    best = min(
        ((n, v["first_audio_s"]["median"]) for n, v in r["streaming"]["variants"].items() if v["streaming"]),
        key=lambda x: x[1], default=None,
    )
    if best:
        add("first audio <= 150 ms, 20-word sentence, streaming", f"{best[1] * 1e3:.0f} ms ({best[0]})", best[1] <= 0.15)
    cold = min(((n, v["cold_s"]["median"]) for n, v in r["cold_start"].items()), key=lambda x: x[1], default=None)
    if cold:
        add("cold start <= 1 s (new process -> first sample)", f"{cold[1]:.2f} s ({cold[0]})", cold[1] <= 1.0)
    rss = min(((n, v["maxrss_mb"]) for n, v in r["peak_rss"]["configs"].items()), key=lambda x: x[1], default=None)
    if rss:
        add("peak RSS <= 300 MB (ORT synthesis only)", f"{rss[1]:.0f} MB ({rss[0]})", rss[1] <= 300)
    return out


__all__ = ["BenchConfig", "run_suite"]
