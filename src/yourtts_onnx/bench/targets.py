"""The issue targets, computed from the numbers of a result (nothing is measured here).

Each target records the figure it was judged on (``value``), where it is in ``bench.json`` (``source``), the
limit and direction, and the path and options that produced the figure (``how``), so the report and a reader
can recompute ``met`` from the JSON.
"""

from __future__ import annotations

from typing import Any

CLI_INT8 = "int8, stamp"
CLI_FP32 = "fp32, stamp"


def _target(
    name: str,
    value: float | None,
    limit: float,
    *,
    lower: bool,
    unit: str,
    source: str,
    how: str,
    note: str = "",
    digits: int = 3,
) -> dict[str, Any]:
    met = None if value is None else (value <= limit if lower else value >= limit)
    shown = "–" if value is None else f"{value:.{digits}f}{unit}"
    return {
        "target": name,
        "value": value,
        "limit": limit,
        "better": "lower" if lower else "higher",
        "measured": shown + (f" ({note})" if note else ""),
        "met": met,
        "source": source,
        "how": how,
    }


def compute_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cli = r["cli"]["configs"]
    for label, limit, precision in ((CLI_INT8, 0.5, "INT8"), (CLI_FP32, 0.6, "fp32")):
        if label in cli:
            c = cli[label]
            out.append(
                _target(
                    f"new process → first audio byte of `synth --stream --out -`, {precision} bundle ≤ {limit} s",
                    c["first_byte_s"]["median"],
                    limit,
                    lower=True,
                    unit=" s",
                    source=f"cli.configs[{label!r}].first_byte_s.median",
                    how=c["how_text"],
                    note=f"exit {c['exit_s']['median']:.2f} s",
                )
            )
    for precision, row in r["api_vs_bare"].items():
        name = f"`Synthesizer.synthesize` RTF within 5% of a bare model.onnx session ({precision})"
        if row.get("missing"):
            out.append(
                {
                    "target": name,
                    "value": None,
                    "limit": 1.05,
                    "better": "lower",
                    "measured": row["missing"],
                    "met": None,
                    "source": f"api_vs_bare[{precision!r}]",
                    "how": "",
                }
            )
            continue
        out.append(
            _target(
                name,
                row["ratio_geo_mean"],
                1.05,
                lower=True,
                unit="x",
                digits=3,
                source=f"api_vs_bare[{precision!r}].ratio_geo_mean",
                how=row["how_text"],
                note=f"{row['api']} / {row['bare']}, geo-mean of per-text median ratios",
            )
        )
    dec = r["decoder"]["engines"].get("fp32")
    if dec is not None:
        out.append(
            _target(
                "ONNX fp32 decoder ≥ 90% of the fp32 peak",
                dec["pct_peak"],
                90.0,
                lower=False,
                unit="%",
                digits=0,
                source="decoder.engines['fp32'].pct_peak",
                how=dec["how_text"],
                note=f"{dec['gflops']:.0f} GFLOP/s",
            )
        )
    sp = r["speed"]
    if "pytorch" in sp["engines"]:
        # speed of pytorch = seconds(fp32 ONNX) / seconds(pytorch): the ONNX RTF as a fraction of PyTorch's
        ratio = sp["engines"]["pytorch"]["geo_mean"]
        out.append(
            _target(
                "ONNX fp32 RTF ≤ 0.6 × PyTorch RTF",
                ratio,
                0.6,
                lower=True,
                unit="x",
                digits=2,
                source="speed.engines['pytorch'].geo_mean",
                how=f"{sp['reference']} vs pytorch",
                note=f"{sp['reference']} vs our PyTorch model, geo-mean over texts",
            )
        )
    int8 = sp.get("int8_default")
    if int8 and int8 in sp["engines"]:
        out.append(
            _target(
                "INT8 ≥ 1.8× faster than ONNX fp32",
                sp["engines"][int8]["geo_mean"],
                1.8,
                lower=False,
                unit="x",
                digits=2,
                source=f"speed.engines[{int8!r}].geo_mean",
                how=f"{int8} vs {sp['reference']}",
                note=f"{int8} vs {sp['reference']}, geo-mean over texts",
            )
        )
        q = r["quality"]["engines"].get(int8, {})
        out.append(
            _target(
                "INT8 offered only if speaker-embedding cosine ≥ 0.95",
                q.get("embedding_cosine_min"),
                0.95,
                lower=False,
                unit="",
                digits=4,
                source=f"quality.engines[{int8!r}].embedding_cosine_min",
                how=f"{int8} vs {r['quality']['reference']}",
                note="worst text",
            )
        )
        s = r["streaming"]["engines"].get(int8)
        if s is not None:
            out.append(
                _target(
                    "first audio ≤ 150 ms, 20-word sentence, streaming",
                    s["first_audio_s"]["median"],
                    0.15,
                    lower=True,
                    unit=" s",
                    source=f"streaming.engines[{int8!r}].first_audio_s.median",
                    how=f"API Synthesizer.stream, {int8}",
                    note=f"{int8}, {'windows' if s['streams'] else 'whole sentence: no windows'}",
                )
            )
    if int8 and int8 in sp["engines"] and "pytorch" in sp["engines"]:
        # seconds(int8) / seconds(pytorch) = speed(pytorch) / speed(int8), both relative to the same fp32 run
        ratio = sp["engines"]["pytorch"]["geo_mean"] / sp["engines"][int8]["geo_mean"]
        out.append(
            _target(
                "INT8 RTF ≤ 0.30 × PyTorch RTF",
                ratio,
                0.30,
                lower=True,
                unit="x",
                digits=2,
                source=f"speed.engines['pytorch'].geo_mean / speed.engines[{int8!r}].geo_mean",
                how=f"{int8} vs pytorch",
                note="geo-mean over texts, same run",
            )
        )
    peers = r.get("peers") or {}
    piper = (peers.get("ratios") or {}).get(int8 or "", {}).get("piper medium")
    if piper and piper["geo_mean"] is not None:
        out.append(
            _target(
                "INT8 RTF ≤ 0.6 × Piper medium RTF (per audio-second)",
                piper["geo_mean"],
                0.6,
                lower=True,
                unit="x",
                digits=2,
                source=f"peers.ratios[{int8!r}]['piper medium'].geo_mean",
                how=f"{int8} vs {peers['how']['piper medium']}",
                note="geo-mean over texts, interleaved",
            )
        )
    iq = r.get("int8_quality")
    name, shipped = next(
        ((n, v) for n, v in (iq or {}).get("recipes", {}).items() if v.get("shipped")), ("", None)
    )
    if shipped:
        out.append(
            _target(
                "shipped INT8 recipe: durations equal at noise 0, SNR ≥ 25 dB, speaker cosine ≥ 0.98",
                float(shipped["passes"]),
                1.0,
                lower=False,
                unit="",
                digits=0,
                source=f"int8_quality.recipes[{name!r}].passes",
                how=iq["path"],
                note=f"{shipped['durations_changed_tokens']} tokens changed, SNR {shipped['noise0']['snr_db']:.1f} dB, "
                f"cosine min {shipped['noise0']['embedding_cosine_min'] or float('nan'):.4f}",
            )
        )
    if CLI_INT8 in cli:
        out.append(
            _target(
                "peak RSS ≤ 300 MB (CLI synth --stream, 20-word sentence)",
                cli[CLI_INT8]["maxrss_mb"]["median"],
                300.0,
                lower=True,
                unit=" MB",
                digits=0,
                source=f"cli.configs[{CLI_INT8!r}].maxrss_mb.median",
                how=cli[CLI_INT8]["how_text"],
            )
        )
    return out
