"""Write a benchmark result as ``bench.json``, ``bench.md``, ``machine.json`` and ``rtf.png``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

JSON_NAME, MD_NAME, PNG_NAME, MACHINE_NAME = "bench.json", "bench.md", "rtf.png", "machine.json"


def _f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _range(stats: dict[str, Any], scale: float = 1.0, digits: int = 3) -> str:
    return (f"{_f(stats['median'] * scale, digits)} [{_f(stats['min'] * scale, digits)}–"
            f"{_f(stats['max'] * scale, digits)}]")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(r) + " |" for r in rows), ""]


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    cpu = m["cpu"]
    lines = [
        "# yourtts-onnx benchmark",
        "",
        f"Run {r['started']}, {r['duration_s']:.0f} s; {m['threads']} threads; {r['config']['reps']} interleaved "
        f"repetitions per measurement (median [min–max]); model size `{r['config']['size']}`"
        f"{' (QUICK smoke run: tiny model, 1 repetition — not a measurement)' if r['config']['quick'] else ''}.",
        "",
        f"**Machine**: {cpu['model']} ({cpu['vendor']} family {cpu['family']} model {cpu['cpu_model']}), "
        f"{cpu['logical_cpus']} logical CPUs / {cpu['physical_cores']} cores, {_f(cpu['mhz'], 0)} MHz; "
        f"flags: {' '.join(cpu['flags_relevant'])}.",
        f"Versions: {', '.join(f'{k} {v}' for k, v in m['versions'].items())}.",
        f"Load average at start {m['load_average_start']}, at end {r.get('load_average_end')} "
        "(other work on the machine inflates every time; compare ratios measured in the same run).",
        "",
        f"**fp32 peak**: {m['peak_fp32']['explanation']}.",
        "",
        "## Targets",
        "",
    ]
    lines += _table(["target", "measured", "met"],
                    [[t["target"], t["measured"], {True: "yes", False: "**no**", None: "–"}[t["met"]]]
                     for t in r["targets"]])

    variants = list(r["rtf"][0]["rtf"]) if r["rtf"] else []
    lines += ["## Real-time factor (lower is better)", "",
              "Wall time / audio seconds; noise scales 0, length scale 1; each text one utterance.", ""]
    rows = []
    for c in r["rtf"]:
        rows.append([f"{c['text_class']} x{c['batch_size']}", f"{sum(c['tokens'])}", _f(c["audio_s"], 1),
                     *(_range(c["rtf"][v]) for v in variants)])
    lines += _table(["text x batch", "ids", "audio s", *variants], rows)
    sp = r["speedup_vs_onnx_fp32"]
    lines += _table(["variant", "speed vs onnx-fp32 (geo-mean of median ratios)", "per case"],
                    [[v, f"{sp[v]['geo_mean']:.2f}x", ", ".join(f"{x:.2f}" for x in sp[v]["per_case"])]
                     for v in variants])
    rows = [[f"{c['text_class']} x{c['batch_size']}",
             *(f"{c['achieved_gflops'][v]:.0f} ({c['pct_peak'][v]:.0f}%)" for v in variants)] for c in r["rtf"]]
    lines += ["Achieved GFLOP/s end to end (% of fp32 peak), from the FLOPs per audio second below (INT8 does the "
              "same multiply-adds in 8 bits, so its share of the fp32 peak can exceed 100%):", ""]
    lines += _table(["text x batch", *variants], rows)

    fl = r["flops"]
    lines += ["## FLOPs per audio second", "", "Conv/ConvTranspose/MatMul counted on the fp32 graphs with shape "
              "inference (2 FLOPs per multiply-add).", ""]
    rows = [[g, _f(fl[g]["gflop"], 2), fl[g]["basis"], _f(fl[g]["gflop_per_audio_s"], 2)]
            for g in ("text_encoder", "duration_predictor", "decoder", "speaker_encoder") if g in fl]
    lines += _table(["graph", "GFLOP", "for", "GFLOP per audio s"], rows)
    lines += [f"Synthesis total {fl['synthesis_total_gflop_per_audio_s']:.2f} GFLOP per audio second, "
              f"{100 * fl['decoder_share']:.0f}% in the decoder (flow + HiFi-GAN).", ""]

    d = r["decoder"]
    lines += ["## Decoder alone", "", f"{d['frames']} frames ({d['audio_s']:.2f} s of audio), {d['gflop']:.1f} GFLOP.",
              ""]
    lines += _table(["variant", "seconds", "RTF", "GFLOP/s", "% of peak"],
                    [[n, _range(v["seconds"]), _f(v["rtf"]), _f(v["gflops"], 0), _f(v["pct_peak"], 0)]
                     for n, v in d["variants"].items()])
    lines += ["ONNX Runtime settings and rewrites on the fp32 decoder:", ""]
    lines += _table(["setting", "what", "session load s", "seconds", "speed vs default", "% of peak"],
                    [[n, v["what"], _f(v["load_s"], 2), _range(v["seconds"]), f"{v['speedup_vs_default']:.2f}x",
                      _f(v["pct_peak"], 0)] for n, v in d["sweep"].items()])

    if r.get("int8_recipes"):
        ir = r["int8_recipes"]
        lines += [f"INT8 recipes on HiFi-GAN alone (vocoder.onnx, {ir['frames']} frames; ORT defaults):", ""]
        lines += _table(["recipe", "seconds", "speed vs fp32", "SNR dB vs fp32", "MB"],
                        [[n, _range(v["seconds"]), f"{v['speedup_vs_fp32']:.2f}x", _f(v["snr_db"], 1),
                          _f(v["bytes"] / 1e6, 1)] for n, v in ir["recipes"].items()])

    s = r["streaming"]
    lines += ["## Streaming", "",
              f"\"{s['sentence']}\" ({s['words']} words, {s['ids']} ids, {s['audio_s']:.2f} s of audio). Windows "
              f"{s['schedule']}; context frames each side: fused decoder {s['context_frames']['decoder']['left']}, "
              f"flow {s['context_frames']['flow']['left']}, vocoder {s['context_frames']['vocoder']['left']}.", ""]
    lines += _table(
        ["variant", "first audio ms", "total s", "underruns", "worst slack s", "seam max-abs", "seam SNR dB"],
        [[n, _range(v["first_audio_s"], 1e3, 0), _range(v["total_s"]), str(v["underruns"]) if v["streaming"] else "–",
          _f(v["worst_slack_s"], 3), _f(v["seam_max_abs"], 9), _f(v["seam_snr_db"], 1)]
         for n, v in s["variants"].items()])

    lines += ["## Cold start (new process → first sample)", "",
              "Median over fresh interpreters, OS page cache warm (graphs already read once).", ""]
    lines += _table(["configuration", "cold start s", "interpreter s", "imports s", "sessions s", "first audio s"],
                    [[n, _range(v["cold_s"]), _f(v["interpreter_s"]["median"]), _f(v["imports_s"]["median"]),
                      _f(v["sessions_s"]["median"]), _f(v["first_audio_s"]["median"])]
                     for n, v in r["cold_start"].items()])
    lines += ["## Peak RSS (fresh process, ORT synthesis only)", "",
              f"Text: \"{r['peak_rss']['text']}\"", ""]
    lines += _table(["configuration", "peak RSS MB"],
                    [[n, _f(v["maxrss_mb"], 0)] for n, v in r["peak_rss"]["configs"].items()])

    lines += ["## Bundle size on disk", ""]
    lines += _table(["bundle", "total MB", "model.onnx MB", "streaming set MB (text enc + dur + flow + vocoder)"],
                    [[n, _f(v["total_bytes"] / 1e6, 1), _f((v["model_onnx_bytes"] or 0) / 1e6, 1),
                      _f(v["streaming_set_bytes"] / 1e6, 1) if v["streaming_set_bytes"] else "–"]
                     for n, v in r["sizes"].items()])

    q = r["quality"]
    lines += ["## Quality against onnx-fp32", "",
              "Batch-1 outputs of every text; SNR over all samples; cosine between the speaker embeddings "
              "(speaker_encoder.onnx) of the two outputs.", ""]
    lines += _table(["variant", "SNR dB", "worst item SNR dB", "max-abs", "same lengths", "embedding cosine mean",
                     "min"],
                    [[n, _f(v["snr_db"], 1), _f(v["snr_db_min"], 1), _f(v["max_abs"], 6),
                      "yes" if v["lengths_equal"] else "no", _f(v["embedding_cosine"], 4),
                      _f(v["embedding_cosine_min"], 4)] for n, v in q["variants"].items()])
    if q["batched_vs_single"]:
        lines += ["Batching: the shortest item of a padded batch against the same text alone (onnx-fp32):", ""]
        lines += _table(["batch", "item ids / longest", "SNR dB", "max-abs"],
                        [[n, f"{v['ids']} / {v['longest_ids']}", _f(v["snr_db"], 1), _f(v["max_abs"], 6)]
                         for n, v in q["batched_vs_single"].items()])
    return "\n".join(lines) + "\n"


def plot(r: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(8, 5))
    variants = list(r["rtf"][0]["rtf"]) if r["rtf"] else []
    for i, v in enumerate(variants):
        for bs, style in ((1, "-o"), (4, "--s")):
            cs = sorted((c for c in r["rtf"] if c["batch_size"] == bs), key=lambda c: sum(c["tokens"]) / bs)
            if not cs:
                continue
            x = [sum(c["tokens"]) / bs for c in cs]
            y = [c["rtf"][v]["median"] for c in cs]
            err = [[c["rtf"][v]["median"] - c["rtf"][v]["min"] for c in cs],
                   [c["rtf"][v]["max"] - c["rtf"][v]["median"] for c in cs]]
            ax.errorbar(x, y, yerr=err, fmt=style, color=f"C{i}", capsize=3, label=f"{v} (batch {bs})")
    ax.set_xlabel("text length (ids per utterance)")
    ax.set_ylabel("real-time factor (median, min–max)")
    cpu = r["machine"]["cpu"]
    ax.set_title(f"RTF vs text length — {cpu['model']}, {r['machine']['threads']} threads")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_all(r: dict[str, Any], out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / JSON_NAME, "markdown": out / MD_NAME, "machine": out / MACHINE_NAME}
    plotted = plot(r, out / PNG_NAME)
    if plotted:
        paths["png"] = out / PNG_NAME
    r["plot"] = PNG_NAME if plotted else None
    paths["json"].write_text(
        json.dumps(_finite(r), indent=2, default=_json_default, allow_nan=False) + "\n", encoding="utf-8"
    )
    paths["machine"].write_text(json.dumps(r["machine"], indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(r), encoding="utf-8")
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
    if isinstance(x, Path):
        return str(x)
    return str(x)
