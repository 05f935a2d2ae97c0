"""Write a benchmark result as ``bench.json``, ``bench.md``, ``machine.json``, ``rtf.png`` and
``readme_section.md`` (the README's "Performance" section, to paste as is). Every table says which path and
options produced its figures (API/CLI/bare session/graph/PyTorch, bundle, backend, threads, integrity mode,
optimised-graph cache)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from yourtts_onnx.bench.timing import SETTLE_S

JSON_NAME, MD_NAME, PNG_NAME, MACHINE_NAME, README_NAME = (
    "bench.json",
    "bench.md",
    "rtf.png",
    "machine.json",
    "readme_section.md",
)
MET = {True: "yes", False: "**no**", None: "–"}


def _f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _range(stats: dict[str, Any] | None, scale: float = 1.0, digits: int = 3) -> str:
    if not stats:
        return "–"
    return (
        f"{_f(stats['median'] * scale, digits)} [{_f(stats['min'] * scale, digits)}–"
        f"{_f(stats['max'] * scale, digits)}]"
    )


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(r) + " |" for r in rows),
        "",
    ]


def _machine_line(r: dict[str, Any]) -> str:
    cpu = r["machine"]["cpu"]
    return (
        f"{cpu['model']} ({cpu['vendor']} family {cpu['family']} model {cpu['cpu_model']}), "
        f"{cpu['logical_cpus']} logical CPUs / {cpu['physical_cores']} cores, {_f(cpu['mhz'], 0)} MHz; "
        f"flags: {' '.join(cpu['flags_relevant'])}"
    )


def _short_machine(r: dict[str, Any]) -> str:
    cpu = r["machine"]["cpu"]
    simd = [f for f in ("avx512f", "avx512_vnni", "avx2", "fma") if f in cpu["flags_relevant"]]
    return f"{cpu['model']}, {cpu['physical_cores']} cores, {_f(cpu['mhz'], 0)} MHz" + (
        f" ({', '.join(simd)})" if simd else ""
    )


def _run_line(r: dict[str, Any]) -> str:
    c = r["config"]
    quick = " **QUICK smoke run: tiny model, 1 repetition — not a measurement.**" if c["quick"] else ""
    return (
        f"Run {r['started']}, {r['duration_s']:.0f} s; model size `{c['size']}` (random weights); "
        f"{r['machine']['threads']} threads everywhere; medians of {c['reps']} interleaved repetitions "
        f"(CLI: {c['cli_reps']} new processes per configuration after one warm-up start), shown as "
        f"median [min–max].{quick}"
    )


def _targets(r: dict[str, Any]) -> list[str]:
    return _table(
        ["target", "measured", "met", "path and options"],
        [[t["target"], t["measured"], MET[t["met"]], t["how"] or "–"] for t in r["targets"]],
    )


def _engine_rows(r: dict[str, Any]) -> list[str]:
    rows = [[n, e["how_text"], _f(e["load_s"], 2)] for n, e in r["engines"].items()]
    return _table(["engine", "path and options", "load s (in process)"], rows)


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        "# yourtts-onnx benchmark",
        "",
        _run_line(r),
        "",
        f"**Machine**: {_machine_line(r)}.",
        f"Versions: {', '.join(f'{k} {v}' for k, v in m['versions'].items())}.",
        f"Load average at start {m['load_average_start']}, at end {r.get('load_average_end')} "
        "(other work on the machine inflates every time; compare ratios measured in the same run).",
        "",
        f"**fp32 peak**: {m['peak_fp32']['explanation']}.",
        "",
        "## Targets",
        "",
        *_targets(r),
        "## Engines",
        "",
        "Every synthesis figure comes from one of these. `API` is the public `Synthesizer` "
        "(`from_bundle(bundle, backend=..., session_options=SessionOptions(threads=N))`); `bare session` is one "
        "`model.onnx` session from `create_session` with the same options, fed the ids the synthesizer planned; "
        f"speed and quality are relative to `{r['reference']}` (the fp32 bundle's default backend).",
        "",
        *_engine_rows(r),
    ]
    lines += _bundles(r)
    lines += _rtf(r)
    lines += _flops(r)
    lines += _decoder(r)
    lines += _streaming(r)
    lines += _cli(r)
    lines += _quality(r)
    lines += _peers(r)
    lines += _int8_quality(r)
    return "\n".join(lines) + "\n"


def peers_table(r: dict[str, Any]) -> list[str]:
    """Ours / peer RTF (per second of audio, each at its own sample rate), geo-mean over the texts."""
    p = r.get("peers")
    if not p or not p["ratios"]:
        return []
    peers = sorted({q for v in p["ratios"].values() for q in v})
    rows = []
    for mine, per in p["ratios"].items():
        rows.append(
            [f"`{mine}`", *(f"{per[q]['geo_mean']:.2f}×" if per[q]["geo_mean"] else "–" for q in peers)]
        )
    rtf_rows = []
    for case in p["cases"]:
        rtf_rows.append(
            [
                case["text_class"],
                *(_f(case["engines"][n]["rtf"]["median"], 4) for n in [*p["ratios"], *peers]),
            ]
        )
    return [
        *_table(["RTF ours / peer (< 1: ours faster)", *peers], rows),
        *_table(["RTF (median)", *[f"`{n}`" for n in p["ratios"]], *peers], rtf_rows),
    ]


def _peers(r: dict[str, Any]) -> list[str]:
    p = r.get("peers")
    if not p:
        return []
    lines = [
        "## Peers, same run",
        "",
        "Ours (API, as in the Engines table) and the peers timed interleaved on the same English texts; RTF = "
        "seconds of the call / seconds of its audio at the engine's own sample rate. Each timed call follows an "
        f"untimed {SETTLE_S:g} s pause, so no engine pays for another's threads still spinning after its call "
        "(ONNX Runtime's default spinning, which Piper and sherpa-onnx keep).",
        "",
    ]
    lines += [f"- `{n}`: {how}" for n, how in {**p.get("ours_how", {}), **p.get("how", {})}.items()]
    lines += [f"- {n}: **not run** — {why}" for n, why in p.get("missing", {}).items()]
    return [*lines, "", *peers_table(r)]


def _int8_quality(r: dict[str, Any]) -> list[str]:
    from yourtts_onnx.bench.int8_quality import report

    q = r.get("int8_quality")
    if not q:
        return []
    return ["## INT8 recipes: quality gates", "", *report(q), ""]


def _bundles(r: dict[str, Any]) -> list[str]:
    sizes = r["sizes"]
    lines = ["## Bundles on disk", ""]
    lines += _table(
        ["bundle", "made by", "total MB", "graph MB per backend"],
        [
            [
                n,
                s["made_by"],
                _f(s["total_bytes"] / 1e6, 1),
                ", ".join(f"{b} {v / 1e6:.1f}" for b, v in s["backend_graph_bytes"].items()),
            ]
            for n, s in sizes.items()
        ],
    )
    files = sorted({f for s in sizes.values() for f in s["files"]})
    lines += ["Per file (MB):", ""]
    lines += _table(
        ["file", *sizes],
        [
            [f, *(_f(s["files"][f] / 1e6, 2) if f in s["files"] else "–" for s in sizes.values())]
            for f in files
        ],
    )
    return lines


def _rtf(r: dict[str, Any]) -> list[str]:
    cases = r["rtf"]
    if not cases:
        return []
    names = list(cases[0]["engines"])
    lines = [
        "## Real-time factor (lower is better)",
        "",
        "Wall time of one call / seconds of audio it returned; one text per length class, "
        f"{r['engines'][r['reference']]['how']['options']}. Each engine's path and options (API / bare "
        "session / PyTorch, bundle, backend, threads, integrity, graph cache): the Engines table above.",
        "",
    ]
    header = [
        "engine",
        *(
            f"{c['text_class']} ({c['words']} words, {c['engines'][r['reference']]['audio_s']:.1f} s)"
            for c in cases
        ),
        f"speed vs {r['reference']}",
    ]
    rows = [
        [n, *(_range(c["engines"][n]["rtf"]) for c in cases), f"{r['speed']['engines'][n]['geo_mean']:.2f}x"]
        for n in names
    ]
    lines += _table(header, rows)
    lines += [
        "API against a bare `model.onnx` session (same bundle, same SessionOptions; ratio of median "
        "seconds, > 1: the API is slower):",
        "",
    ]
    rows = []
    for label, row in r["api_vs_bare"].items():
        if row.get("missing"):
            rows.append([label, "–", "–", "–", row["missing"]])
        else:
            rows.append(
                [
                    label,
                    row["api"],
                    f"{row['ratio_geo_mean']:.3f}",
                    ", ".join(f"{x:.3f}" for x in row["ratio_per_case"]),
                    _f(row["model_backend_ratio_geo_mean"]),
                ]
            )
    lines += _table(
        [
            "bundle",
            "API engine (default backend)",
            "API / bare (geo-mean)",
            "per text",
            "backend model / bare",
        ],
        rows,
    )
    lines += [
        "Achieved GFLOP/s end to end (% of the fp32 peak), from the FLOPs per audio second below (INT8 "
        "does the same multiply-adds in 8 bits, so its share of the fp32 peak can exceed 100%):",
        "",
    ]
    lines += _table(
        ["engine", *(c["text_class"] for c in cases)],
        [
            [
                n,
                *(
                    f"{_f(c['engines'][n]['achieved_gflops'], 0)} ({_f(c['engines'][n]['pct_peak'], 0)}%)"
                    for c in cases
                ),
            ]
            for n in names
        ],
    )
    return lines


def _flops(r: dict[str, Any]) -> list[str]:
    fl = r["flops"]
    lines = [
        "## FLOPs per audio second",
        "",
        "Conv/ConvTranspose/MatMul counted on the fp32 graphs with shape inference (2 FLOPs per multiply-add).",
        "",
    ]
    lines += _table(
        ["graph", "GFLOP", "for", "GFLOP per audio s"],
        [
            [g, _f(fl[g]["gflop"], 2), fl[g]["basis"], _f(fl[g]["gflop_per_audio_s"], 2)]
            for g in ("text_encoder", "duration_predictor", "decoder", "speaker_encoder")
            if g in fl
        ],
    )
    lines += [
        f"Synthesis total {fl['synthesis_total_gflop_per_audio_s']:.2f} GFLOP per second of audio, "
        f"{100 * fl['decoder_share']:.0f}% in the decoder (flow + HiFi-GAN).",
        "",
    ]
    return lines


def _decoder(r: dict[str, Any]) -> list[str]:
    d = r["decoder"]
    lines = [
        "## Decoder alone",
        "",
        f"{d['frames']} frames ({d['audio_s']:.2f} s of audio), {d['gflop']:.2f} GFLOP; graph sessions from "
        "`create_session` (graph level, not a synthesis path).",
        "",
    ]
    lines += _table(
        ["bundle", "path and options", "seconds", "RTF", "GFLOP/s", "% of peak"],
        [
            [n, v["how_text"], _range(v["seconds"]), _f(v["rtf"]), _f(v["gflops"], 0), _f(v["pct_peak"], 0)]
            for n, v in d["engines"].items()
        ],
    )
    if d["sweep"]:
        lines += ["Session options and rewrites on the fp32 `decoder.onnx` (`SessionOptions` fields):", ""]
        lines += _table(
            ["setting", "what", "session load s", "seconds", "speed vs default", "% of peak"],
            [
                [
                    n,
                    v["what"],
                    _f(v["load_s"], 2),
                    _range(v["seconds"]),
                    f"{v['speedup_vs_default']:.2f}x",
                    _f(v["pct_peak"], 0),
                ]
                for n, v in d["sweep"].items()
            ],
        )
    ir = r.get("int8_recipes")
    if ir:
        lines += [
            f"INT8 recipes on HiFi-GAN alone (`vocoder.onnx`, {ir['frames']} frames; "
            f"`create_session`, {r['machine']['threads']} threads):",
            "",
        ]
        lines += _table(
            ["recipe", "seconds", "speed vs fp32", "SNR dB vs fp32", "MB"],
            [
                [
                    n,
                    _range(v["seconds"]),
                    f"{v['speedup_vs_fp32']:.2f}x",
                    _f(v["snr_db"], 1),
                    _f(v["bytes"] / 1e6, 1),
                ]
                for n, v in ir["recipes"].items()
            ],
        )
    vp = r.get("vocoder_profile")
    if vp and vp["results"]:
        from yourtts_onnx.bench.vocoder_profile import report as profile_report

        lines += [
            f"HiFi-GAN per layer class (`vocoder.onnx`, {vp['frames']} frames, {vp['threads']} threads, ONNX "
            f"Runtime's profile of {vp['runs']} runs in a `create_session` session with `profile_prefix`; GOPS = "
            "multiply-adds × 2 counted from the graph's shapes / kernel time; int8 peak = 4× the fp32 peak, "
            "the VNNI rate):",
            "",
            *profile_report(vp["results"], vp["peak_fp32"]),
        ]
    return lines


def _streaming(r: dict[str, Any]) -> list[str]:
    s = r["streaming"]
    lines = [
        "## Streaming (API `Synthesizer.stream`)",
        "",
        f'"{s["sentence"]}" ({s["words"]} words, {s["ids"]} ids, {s["audio_s"]:.2f} s of audio); windows: '
        f"{s['windows']}. First audio: from the `stream` call to the first chunk. Seams: the chunks "
        "concatenated against `synthesize` of the same text. A backend without windows (model.onnx, or a "
        "bundle without receptive fields) yields whole sentences. Engines as in the Engines table "
        "(API `Synthesizer.stream`, same bundles, backends, threads, integrity stamp, no graph cache).",
        "",
    ]
    lines += _table(
        [
            "engine",
            "windows",
            "first audio ms",
            "total s",
            "underruns",
            "worst slack s",
            "chunks",
            "seam max-abs",
        ],
        [
            [
                n,
                "yes" if v["streams"] else "no",
                _range(v["first_audio_s"], 1e3, 0),
                _range(v["total_s"]),
                str(v["underruns"]),
                _f(v["worst_slack_s"]),
                str(len(v["chunk_samples"])),
                _f(v["seam_max_abs"], 9),
            ]
            for n, v in s["engines"].items()
        ],
    )
    return lines


def _cli(r: dict[str, Any]) -> list[str]:
    c = r["cli"]
    lines = [
        "## CLI: new process → first audio byte",
        "",
        f"`{' '.join(Path(x).name if i == 0 else x for i, x in enumerate(c['command']))} synth --bundle B "
        f'--stream --out - --threads {c["threads"]} "<{len(c["sentence"].split())}-word sentence>"` started '
        "by a small coordinator process: seconds from the spawn to the first byte read from the pipe (the WAV "
        "header goes out with the first audio chunk) and to the process's exit; peak RSS is the child's "
        f"`ru_maxrss` (wait4; the coordinator is {_f(c['coordinator_vmrss_mb'], 0)} MB, a floor for the "
        "figure). Verified stamps and saved graphs live in the bench's own "
        f"`YOURTTS_ONNX_CACHE` ({c['env']['YOURTTS_ONNX_CACHE']}); one warm-up start per configuration "
        "writes the stamp first; OS page cache warm.",
        "",
    ]
    lines += _table(
        ["configuration", "path and options", "first byte s", "exit s", "peak RSS MB"],
        [
            [
                n,
                v["how_text"],
                _range(v.get("first_byte_s")),
                _range(v.get("exit_s")),
                _range(v.get("maxrss_mb"), digits=0),
            ]
            for n, v in c["configs"].items()
        ],
    )
    return lines


def _quality(r: dict[str, Any]) -> list[str]:
    q = r["quality"]
    lines = [
        f"## Quality against {q['reference']}",
        "",
        f"Texts: {', '.join(q['texts'])}; SNR over all samples; cosine between the speaker embeddings of "
        f"the two outputs ({q['embedding'] or 'no speaker encoder in the bundle'}; – where not computed).",
        "",
    ]
    lines += _table(
        ["engine", "SNR dB", "worst text SNR dB", "max-abs", "same lengths", "embedding cosine mean", "min"],
        [
            [
                n,
                _f(v["snr_db"], 1),
                _f(v["snr_db_min"], 1),
                _f(v["max_abs"], 6),
                "yes" if v["lengths_equal"] else "no",
                _f(v["embedding_cosine"], 4),
                _f(v["embedding_cosine_min"], 4),
            ]
            for n, v in q["engines"].items()
        ],
    )
    return lines


def readme_section(r: dict[str, Any]) -> str:
    """The README's "Performance" section: the headline figures, each with the path that produced it."""
    m, cfg = r["machine"], r["config"]
    ref = r["reference"]
    int8 = r["speed"]["int8_default"]
    long_case = r["rtf"][-1]
    words = f"{long_case['text_class']} text, {long_case['words']} words, {long_case['engines'][ref]['audio_s']:.1f} s"
    cols = [
        (n, label)
        for n, label in (
            ("pytorch", "PyTorch (ours)"),
            (ref, f"ONNX fp32, API `{ref}`"),
            (int8, f"ONNX INT8, API `{int8}`"),
        )
        if n and n in r["engines"]
    ]
    q = r["quality"]["engines"]
    rows = [
        [f"RTF, {words}", *(_f(long_case["engines"][n]["rtf"]["median"]) for n, _ in cols)],
        [
            "speed vs ONNX fp32 (geo-mean over texts)",
            *(f"{r['speed']['engines'][n]['geo_mean']:.2f}×" for n, _ in cols),
        ],
    ]
    dec = r["decoder"]["engines"]
    dec_key = {"pytorch": "pytorch", ref: "fp32", int8: "int8"}
    rows.append(
        [
            f"decoder alone ({r['decoder']['frames']} frames), GFLOP/s (% of fp32 peak)",
            *(
                f"{dec[dec_key[n]]['gflops']:.0f} ({dec[dec_key[n]]['pct_peak']:.0f}%)"
                if dec_key[n] in dec
                else "–"
                for n, _ in cols
            ),
        ]
    )
    rows.append(
        [
            f"quality vs `{ref}`",
            *(
                "–"
                if n == ref
                else f"SNR {_f(q[n]['snr_db'], 1)} dB"
                + (
                    f", speaker cosine ≥ {q[n]['embedding_cosine_min']:.3f}"
                    if q[n]["embedding_cosine_min"] is not None
                    else ""
                )
                for n, _ in cols
            ),
        ]
    )
    cli = r["cli"]["configs"]
    s = r["streaming"]["engines"]
    fl = r["flops"]
    sizes = r["sizes"]
    lines = [
        "## Performance",
        "",
        f"Measured by `yourtts-onnx bench` (`make bench`) on {_short_machine(r)}; fp32 peak "
        f"{m['peak_fp32']['explanation']}. Model: a `{cfg['size']}` "
        "YourTTS with random weights (same architecture and FLOPs as the released model). "
        f"{m['threads']} threads everywhere; medians of {cfg['reps']} interleaved repetitions (each timed call "
        f"after an untimed {SETTLE_S:g} s pause where runtimes share the process); run of "
        f"{r['duration_s']:.0f} s. Every synthesis figure goes through the public path: `Synthesizer.synthesize` / "
        "`Synthesizer.stream` (API: `from_bundle(..., backend=..., session_options=SessionOptions(threads=N))`, "
        "default integrity check (verified stamp), no saved optimised graphs, noise scales 0; engines are named "
        "bundle/backend) or the `yourtts-onnx` CLI in a new process; the decoder-alone row runs the bundle's "
        "decoder graph in a `create_session` session. Full tables (every figure with its path and options), the "
        "machine description and the RTF plot: `benchmarks/results/`."
        + (" **QUICK smoke run — not a measurement.**" if cfg["quick"] else ""),
        "",
        *_table(["", *(label for _, label in cols)], rows),
        'New process → first audio byte (`yourtts-onnx synth --bundle B --stream --out - "<20-word sentence>"`, '
        "default integrity check (verified stamp), no saved graphs, page cache warm):",
        "",
        *_table(
            ["configuration", "first byte s", "exit s", "peak RSS MB"],
            [
                [
                    f"{n} — {v['how']['backend'] or ''}".rstrip(" —"),
                    _f(v["first_byte_s"]["median"], 2),
                    _f(v["exit_s"]["median"], 2),
                    _f(v["maxrss_mb"]["median"], 0),
                ]
                for n, v in cli.items()
            ],
        ),
    ]
    stream_bits = [
        f"{n} {v['first_audio_s']['median'] * 1e3:.0f} ms ({'windows' if v['streams'] else 'whole sentence'})"
        for n, v in s.items()
    ]
    peers = peers_table(r)
    if peers:
        lines += [
            "Peers in the same run (RTF per second of audio at each engine's own rate, geo-mean over the texts; "
            "Piper medium = `piper-tts` with en_US-joe-medium; sherpa-onnx runs the same VITS voice):",
            "",
            *peers,
        ]
    lines += [
        f"Synthesis costs {fl['synthesis_total_gflop_per_audio_s']:.1f} GFLOP per second of audio, "
        f"{100 * fl['decoder_share']:.0f}% of it in the decoder (flow + HiFi-GAN). Time to first audio of "
        f"`Synthesizer.stream` for the 20-word sentence (from the call, default windows): {'; '.join(stream_bits)}. "
        "Bundles: " + ", ".join(f"{n} {v['total_bytes'] / 1e6:.0f} MB" for n, v in sizes.items()) + ".",
        "",
        "Targets, measured in that run:",
        "",
        *_targets(r),
    ]
    return "\n".join(lines).rstrip() + "\n"


def plot(r: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(8, 5))
    cases = r["rtf"]
    names = list(cases[0]["engines"]) if cases else []
    x = [c["words"] for c in cases]
    for i, n in enumerate(names):
        y = [c["engines"][n]["rtf"]["median"] for c in cases]
        err = [
            [c["engines"][n]["rtf"]["median"] - c["engines"][n]["rtf"]["min"] for c in cases],
            [c["engines"][n]["rtf"]["max"] - c["engines"][n]["rtf"]["median"] for c in cases],
        ]
        ax.errorbar(x, y, yerr=err, fmt="-o", color=f"C{i % 10}", capsize=3, label=n)
    ax.set_xlabel("text length (words)")
    ax.set_ylabel("real-time factor (median, min–max)")
    cpu = r["machine"]["cpu"]
    ax.set_title(f"RTF vs text length — {cpu['model']}, {r['machine']['threads']} threads")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_all(r: dict[str, Any], out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / JSON_NAME,
        "markdown": out / MD_NAME,
        "machine": out / MACHINE_NAME,
        "readme": out / README_NAME,
    }
    plotted = plot(r, out / PNG_NAME)
    if plotted:
        paths["png"] = out / PNG_NAME
    r["plot"] = PNG_NAME if plotted else None
    text = json.dumps(_finite(r), indent=2, default=_json_default, allow_nan=False) + "\n"
    data = json.loads(text)  # the reports are made from exactly what bench.json holds
    paths["json"].write_text(text, encoding="utf-8")
    paths["machine"].write_text(json.dumps(data["machine"], indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(data), encoding="utf-8")
    paths["readme"].write_text(readme_section(data), encoding="utf-8")
    return paths


def _finite(x: Any) -> Any:
    """Strict JSON: non-finite floats become the strings "inf", "-inf", "nan"."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {str(k): _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    return str(x)
