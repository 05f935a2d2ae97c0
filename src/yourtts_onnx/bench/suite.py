"""The whole benchmark: one run, same inputs, same thread count, interleaved repetitions; every synthesis
through the public path.

Sections: machine and peak; bundles (exported and quantised as a user makes them) and their sizes; RTF of
``Synthesizer.synthesize`` per bundle × backend, of a bare ``model.onnx`` session and of our PyTorch model;
FLOPs per audio second; the decoder alone (GFLOP/s, % of peak, session-option sweep, INT8 recipes);
streaming through ``Synthesizer.stream``; quality of each engine against the fp32 default; new ``yourtts-onnx
synth --stream --out -`` processes (first byte, exit, peak RSS); the issue targets.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.bench import machine
from yourtts_onnx.bench.cli_probe import cli_command, run_cli_probes
from yourtts_onnx.bench.decoder_bench import (
    DecoderInputs,
    bundle_runner,
    settings_sweep,
    tile_frames,
    torch_runner,
)
from yourtts_onnx.bench.engines import ApiEngine, BareModelEngine, Engine, How, TorchEngine
from yourtts_onnx.bench.flops import synthesis_flops
from yourtts_onnx.bench.int8_quality import RECIPES as INT8_QUALITY_RECIPES
from yourtts_onnx.bench.int8_quality import derive_recipes
from yourtts_onnx.bench.int8_quality import measure as measure_int8_quality
from yourtts_onnx.bench.int8_recipes import compare_recipes
from yourtts_onnx.bench.peers import load_peers, run_peers
from yourtts_onnx.bench.prepare import FP32, FP32_SPLIT, prepare
from yourtts_onnx.bench.quality import compare
from yourtts_onnx.bench.rtf import ratio_of_medians, run_rtf
from yourtts_onnx.bench.sizes import bundle_sizes
from yourtts_onnx.bench.streaming import run_streaming
from yourtts_onnx.bench.targets import CLI_FP32, CLI_INT8, compute_targets
from yourtts_onnx.bench.texts import STREAMING_SENTENCE, TEXTS
from yourtts_onnx.bench.timing import SETTLE_S, interleaved
from yourtts_onnx.bench.vocoder_profile import profile_bundles
from yourtts_onnx.errors import BundleError
from yourtts_onnx.runtime.backends import BACKENDS, choose_backend
from yourtts_onnx.runtime.bundle import GRAPH_DECODER, GRAPH_MODEL, Bundle
from yourtts_onnx.runtime.session import SessionOptions

Progress = Callable[[str], None]
BARE = "bare model.onnx"
CLI_CALL = "yourtts-onnx synth --stream --out -"


@dataclass
class BenchConfig:
    out: Path = Path("benchmarks/results")
    work: Path = Path("build/bench")
    size: str = "full"
    checkpoint: Path | None = None
    bundle: Path | None = None
    threads: int = 2
    reps: int = 5
    cli_reps: int = 9
    decoder_frames: int = 250
    peak_gflops: float | None = None
    torch: bool = True
    peers: bool = True
    int8_quality: bool = True
    quick: bool = False
    text_classes: tuple[str, ...] = ("short", "medium", "long")

    @classmethod
    def quick_config(cls, out: Path, work: Path, **kw: Any) -> BenchConfig:
        return cls(
            out=out,
            work=work,
            size="tiny",
            reps=1,
            cli_reps=1,
            decoder_frames=64,
            quick=True,
            text_classes=("short", "medium"),
            **kw,
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


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


@dataclass
class Engines:
    api: dict[str, ApiEngine]
    others: dict[str, Engine]  # bare sessions, PyTorch
    default: dict[str, str]  # bundle label → label of its engine with the auto backend
    reference: str  # the fp32 default engine: speed and quality are relative to it

    @property
    def all(self) -> dict[str, Engine]:
        return {**self.api, **self.others}


def _backends(label: str, bundle: Path, auto: str) -> list[str]:
    """Backends measured per bundle: every one the fp32 and INT8 bundles can run; the split one only for the
    fp32 bundle made for it; the default (auto) one for the others."""
    graphs = Bundle.open(bundle, integrity="none").config.graphs
    runnable = [name for name, b in BACKENDS.items() if all(g in graphs for g in b.graphs)]
    if label in (FP32, "int8"):
        return runnable
    if label == FP32_SPLIT:
        return ["split"]
    return [auto]


def load_engines(
    bundles: dict[str, Path], checkpoint: Path | None, cfg: BenchConfig, progress: Progress
) -> Engines:
    api: dict[str, ApiEngine] = {}
    default: dict[str, str] = {}
    for label, path in bundles.items():
        auto = choose_backend(Bundle.open(path, integrity="none").config.graphs).name
        for backend in _backends(label, path, auto):
            name = f"{label}/{backend}"
            progress(f"loading {name} (Synthesizer.from_bundle, backend {backend})")
            api[name] = ApiEngine(name, label, path, backend, cfg.threads, auto=auto)
            if backend == auto:
                default[label] = name
    reference = default[FP32]
    others: dict[str, Engine] = {}
    for label in (FP32, "int8"):
        if label in bundles and Bundle.open(bundles[label], integrity="none").has_graph(GRAPH_MODEL):
            others[f"{label}/{BARE}"] = BareModelEngine(
                f"{label}/{BARE}", label, api[default[label]], cfg.threads
            )
    if cfg.torch and checkpoint is not None:
        progress("loading our PyTorch model")
        others["pytorch"] = TorchEngine("pytorch", checkpoint, api[reference], cfg.threads)
    return Engines(api, others, default, reference)


def _speed(cases: list[dict[str, Any]], engines: Engines) -> dict[str, Any]:
    ref = engines.reference
    out = {}
    for name in engines.all:
        per_case = [1.0 / x for x in ratio_of_medians(cases, name, ref)]
        out[name] = {"geo_mean": _geo_mean(per_case), "per_case": per_case}
    return {"reference": ref, "int8_default": engines.default.get("int8"), "engines": out}


def _api_vs_bare(cases: list[dict[str, Any]], engines: Engines, bundles: dict[str, Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label in (FP32, "int8"):
        if label not in bundles:
            continue
        bare = f"{label}/{BARE}"
        if bare not in engines.others:
            out[label] = {"missing": f"the {label} bundle has no model.onnx: no bare session to compare with"}
            continue
        api = engines.default[label]
        per_case = ratio_of_medians(cases, api, bare)
        model = f"{label}/model"
        out[label] = {
            "api": api,
            "bare": bare,
            "ratio_per_case": per_case,
            "ratio_geo_mean": _geo_mean(per_case),
            "model_backend_ratio_geo_mean": _geo_mean(ratio_of_medians(cases, model, bare))
            if model in engines.api
            else None,
            "how_text": f"{engines.api[api].how.text()} vs {engines.others[bare].how.text()}",
        }
    return out


def _decoder_section(
    cfg: BenchConfig,
    engines: Engines,
    bundles: dict[str, Path],
    flops: dict[str, Any],
    peak: float,
    progress: Progress,
) -> tuple[dict[str, Any], DecoderInputs]:
    progress("decoder alone: bundles and session options")
    component = next(
        (e for e in engines.api.values() if e.how.bundle == FP32 and hasattr(e.synth.backend, "latent")), None
    )
    if component is None:
        raise BundleError(
            f"{bundles[FP32]}: the benchmark needs the component graphs (an export, not model.onnx alone)"
        )
    plan = component.plan(STREAMING_SENTENCE)
    z_p = component.synth.backend.latent(  # type: ignore[attr-defined]
        plan.utterances[0].ids, plan.embedding, plan.language_id, plan.scales.array()
    )
    inputs = DecoderInputs(
        tile_frames(z_p, cfg.decoder_frames), np.asarray(plan.embedding, np.float32).reshape(1, -1)
    )
    runners: dict[str, Any] = {}
    how: dict[str, str] = {}
    for label in (FP32, "int8", "fp16"):
        if label in bundles:
            bundle = Bundle.open(bundles[label], integrity="none")
            runner, _, graphs = bundle_runner(bundle, inputs, SessionOptions(threads=cfg.threads))
            runners[label] = runner
            how[label] = How(
                "graph", f"create_session({graphs}).run", label, None, cfg.threads, None, "off"
            ).text()
    if "pytorch" in engines.others:
        torch_engine = engines.others["pytorch"]
        runners["pytorch"] = torch_runner(torch_engine.model, inputs, cfg.threads)  # type: ignore[attr-defined]
        how["pytorch"] = How("PyTorch", "YourTTS.decode (our model)", None, None, cfg.threads).text()
    stats = interleaved(runners, cfg.reps, warmup=1, settle=SETTLE_S)  # PyTorch's threads spin on
    gflop = flops["decoder"]["gflop"]
    audio_s = (
        cfg.decoder_frames
        * engines.api[engines.reference].synth.config.hop_length
        / engines.api[engines.reference].synth.sample_rate
    )
    section: dict[str, Any] = {
        "frames": cfg.decoder_frames,
        "audio_s": audio_s,
        "gflop": gflop,
        "peak_gflops": peak,
        "engines": {
            n: {
                "seconds": st.to_dict(),
                "gflops": gflop / st.median,
                "pct_peak": 100 * gflop / st.median / peak,
                "rtf": st.median / audio_s,
                "how_text": how[n],
            }
            for n, st in stats.items()
        },
        "sweep": {},
    }
    fp32 = Bundle.open(bundles[FP32], integrity="none")
    if fp32.has_graph(GRAPH_DECODER):
        sweep = settings_sweep(fp32.graph_path(GRAPH_DECODER), inputs, cfg.threads, cfg.work)
        sweep_stats = interleaved(
            {k: v["runner"] for k, v in sweep.items()}, cfg.reps + (0 if cfg.quick else 2), warmup=1
        )
        base = sweep_stats["default"].median
        section["sweep"] = {
            n: {
                "what": sweep[n]["what"],
                "load_s": sweep[n]["load_s"],
                "seconds": st.to_dict(),
                "speedup_vs_default": base / st.median,
                "pct_peak": 100 * gflop / st.median / peak,
            }
            for n, st in sweep_stats.items()
        }
    return section, inputs


def _quality_section(
    engines: Engines, outputs: dict[str, dict[str, np.ndarray]], texts: list[str], quick: bool
) -> dict[str, Any]:
    ref = engines.api[engines.reference]
    embed = None
    if ref.synth.can_clone:
        encoder = ref.synth.voices.encoder()

        def embed(samples: np.ndarray) -> np.ndarray:
            return encoder.embed_samples(samples, ref.synth.sample_rate)

    refs = [outputs[c][engines.reference] for c in texts]
    ref_embeddings = [embed(w) for w in refs] if embed is not None else None
    # the speaker encoder costs more than synthesis: embeddings for the default engine of each quantised bundle
    # (a quick run: INT8 only)
    quantised = ("int8",) if quick else ("int8", "fp16")
    embedded = [e for label, e in engines.default.items() if label in quantised]
    return {
        "reference": engines.reference,
        "texts": texts,
        "embedding": "speaker_encoder.onnx of the fp32 bundle (Synthesizer.voices.encoder().embed_samples), "
        f"for {', '.join(embedded)}"
        if embed is not None
        else None,
        "engines": {
            name: compare(
                refs, [outputs[c][name] for c in texts], embed if name in embedded else None, ref_embeddings
            )
            for name in engines.all
            if name != engines.reference
        },
    }


def _peers_section(
    cfg: BenchConfig, engines: Engines, texts: dict[str, str], sr: int, progress: Progress
) -> dict[str, Any]:
    """Piper medium and sherpa-onnx (VITS) interleaved with our fp32 and INT8 default engines."""
    peers, missing = load_peers(cfg.work, cfg.threads, progress)
    ours = {
        engines.default[k]: engines.api[engines.default[k]] for k in (FP32, "int8") if k in engines.default
    }
    section = run_peers(ours, sr, peers, texts, cfg.reps, progress) if peers else {"cases": [], "ratios": {}}
    section["missing"] = missing
    section["ours_how"] = {n: e.how.text() for n, e in ours.items()}
    return section


def _int8_quality_section(cfg: BenchConfig, bundles: dict[str, Path], progress: Progress) -> dict[str, Any]:
    """Every INT8 recipe derived from the fp32 bundle and gated against it (quick: two recipes)."""
    names = ["hifigan", "hifigan+flow-wavenet"] if cfg.quick else list(INT8_QUALITY_RECIPES)
    recipes = {n: INT8_QUALITY_RECIPES[n] for n in names}
    progress("INT8 recipes: quality gates against the fp32 bundle")
    derived = derive_recipes(bundles[FP32], cfg.work / "int8-recipes", recipes, progress)
    return measure_int8_quality(
        bundles[FP32],
        derived,
        recipes=recipes,
        threads=cfg.threads,
        speakers=1 if cfg.quick else 2,
        reps=cfg.reps,
        progress=progress,
    )


def _cli_section(
    cfg: BenchConfig, bundles: dict[str, Path], auto: dict[str, str], progress: Progress
) -> dict[str, Any]:
    progress("CLI: new processes → first audio byte, exit, peak RSS")
    command = cli_command()
    synth = [*command, "synth", "--stream", "--out", "-", "--threads", str(cfg.threads)]
    configs: list[dict[str, Any]] = []

    def add(label: str, bundle: str, extra: list[str], backend: str, integrity: str, cache: str) -> None:
        how = How("CLI", CLI_CALL, bundle, backend, cfg.threads, integrity, cache, "bundle default scales")
        argv = [*synth, "--bundle", str(bundles[bundle]), *extra, STREAMING_SENTENCE]
        configs.append({"label": label, "argv": argv, "how": how.to_dict(), "how_text": how.text()})

    add(CLI_INT8, "int8", [], f"{auto['int8']} (auto)", "stamp", "off")
    add(CLI_FP32, FP32, [], f"{auto[FP32]} (auto)", "stamp", "off")
    add("int8, --verify-hashes", "int8", ["--verify-hashes"], f"{auto['int8']} (auto)", "full", "off")
    if not cfg.quick:
        add("fp32, --verify-hashes", FP32, ["--verify-hashes"], f"{auto[FP32]} (auto)", "full", "off")
        add("int8, --backend model", "int8", ["--backend", "model"], "model", "stamp", "off")
        add("fp32, --backend model", FP32, ["--backend", "model"], "model", "stamp", "off")
        add("int8, --cache-optimized", "int8", ["--cache-optimized"], f"{auto['int8']} (auto)", "stamp", "on")
    baseline = How("CLI", "yourtts-onnx --version", None, None, None, None, None)
    configs.append(
        {
            "label": "baseline: --version",
            "argv": [*command, "--version"],
            "how": baseline.to_dict(),
            "how_text": baseline.text(),
        }
    )
    cache = cfg.work / "cli-cache"
    env = {"YOURTTS_ONNX_CACHE": str(cache)}
    probes = run_cli_probes([{"label": c["label"], "argv": c["argv"]} for c in configs], cfg.cli_reps, env)
    for c in configs:
        probes["configs"][c["label"]].update(how=c["how"], how_text=c["how_text"])
        row = probes["configs"][c["label"]]
        progress(
            f"  {c['label']}: first byte {row['first_byte_s']['median']:.3f} s, exit {row['exit_s']['median']:.3f} s, "
            f"peak RSS {row['maxrss_mb']['median']:.0f} MB"
        )
    return {
        "command": command,
        "sentence": STREAMING_SENTENCE,
        "threads": cfg.threads,
        "reps": cfg.cli_reps,
        "env": env,
        **probes,
    }


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
    result["prepare"] = {
        "bundles": {k: str(v) for k, v in bundles.items()},
        "made_by": prep.made_by,
        "seconds": prep.seconds,
        "checkpoint": str(prep.checkpoint) if prep.checkpoint else None,
    }
    result["sizes"] = bundle_sizes(bundles, prep.made_by)
    auto = {
        k: choose_backend(Bundle.open(p, integrity="none").config.graphs).name for k, p in bundles.items()
    }

    clock.mark("load engines")
    engines = load_engines(bundles, prep.checkpoint, cfg, progress)
    ref = engines.api[engines.reference]
    sr = ref.synth.sample_rate
    result["engines"] = {
        n: {
            "how": e.how.to_dict(),
            "how_text": e.how.text(),
            "load_s": getattr(e, "load_s", None),
            "streams": getattr(e, "streams", False),
        }
        for n, e in engines.all.items()
    }
    result["reference"] = engines.reference
    result["default_engines"] = engines.default

    clock.mark("rtf")
    texts = {k: TEXTS[k] for k in cfg.text_classes}
    cases, outputs = run_rtf(engines.all, texts, cfg.reps, sr, progress)
    result["rtf"] = cases
    result["speed"] = _speed(cases, engines)
    result["api_vs_bare"] = _api_vs_bare(cases, engines, bundles)

    clock.mark("peers")
    if cfg.peers:
        result["peers"] = _peers_section(cfg, engines, texts, sr, progress)

    clock.mark("flops")
    plan = ref.plan(STREAMING_SENTENCE)
    stream_ids = len(plan.utterances[0].ids)
    stream_audio = len(ref.synthesize(STREAMING_SENTENCE)) / sr
    fp32_bundle = Bundle.open(bundles.get(FP32_SPLIT, bundles[FP32]), integrity="none")
    flops = synthesis_flops(fp32_bundle, stream_ids, stream_audio, cfg.decoder_frames)
    result["flops"] = flops
    per_s = flops["synthesis_total_gflop_per_audio_s"]
    for case in cases:
        for row in case["engines"].values():
            row["achieved_gflops"] = per_s / row["rtf"]["median"] if row["rtf"] else None
            row["pct_peak"] = 100 * row["achieved_gflops"] / peak if row["achieved_gflops"] else None

    clock.mark("decoder")
    result["decoder"], dec_in = _decoder_section(cfg, engines, bundles, flops, peak, progress)
    progress("INT8 recipes on HiFi-GAN alone")
    result["int8_recipes"] = compare_recipes(
        bundles[FP32],
        bundles.get(FP32_SPLIT, bundles[FP32]),
        dec_in.z_p,
        dec_in.embedding,
        cfg.threads,
        cfg.reps,
        progress,
    )

    progress("HiFi-GAN per layer class (ONNX Runtime profile)")
    result["vocoder_profile"] = {
        "frames": cfg.decoder_frames,
        "threads": cfg.threads,
        "runs": cfg.reps,
        "peak_fp32": peak,
        "results": profile_bundles(
            {FP32: bundles.get(FP32_SPLIT, bundles[FP32]), "int8": bundles["int8"]},
            cfg.decoder_frames,
            cfg.threads,
            cfg.reps,
        ),
    }

    clock.mark("streaming")
    progress("streaming: Synthesizer.stream")
    streams = run_streaming(engines.api, STREAMING_SENTENCE, cfg.reps, sr)
    result["streaming"] = {
        "sentence": STREAMING_SENTENCE,
        "words": len(STREAMING_SENTENCE.split()),
        "ids": stream_ids,
        "audio_s": stream_audio,
        "windows": "the runtime's default (chunk_frames None)",
        "engines": {
            n: {**r.to_dict(), "how_text": engines.api[n].how.text().replace("synthesize", "stream")}
            for n, r in streams.items()
        },
    }

    clock.mark("quality")
    progress("quality against the fp32 default engine")
    result["quality"] = _quality_section(engines, outputs, list(texts), cfg.quick)

    clock.mark("int8 recipes quality")
    if cfg.int8_quality:
        result["int8_quality"] = _int8_quality_section(cfg, bundles, progress)

    clock.mark("cli")
    del engines, ref, outputs, streams  # free the sessions before the CLI processes run
    gc.collect()
    result["cli"] = _cli_section(cfg, bundles, auto, progress)

    clock.mark("end")
    result["section_seconds"] = clock.seconds
    result["targets"] = compute_targets(result)
    result["load_average_end"] = machine.load_average()
    result["duration_s"] = time.time() - t_start
    return result


__all__ = ["BenchConfig", "run_suite"]
