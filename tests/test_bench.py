"""``yourtts-onnx bench --quick``: the smoke run writes well-formed results (speed is never asserted)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from yourtts_onnx.bench.machine import CpuInfo, fp32_peak
from yourtts_onnx.bench.report import markdown
from yourtts_onnx.commands import bench as bench_command


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory, reference_checkpoint: Path, tiny_bundle: Path) -> Path:
    out = tmp_path_factory.mktemp("bench") / "results"
    work = out.parent / "work"
    parser_args = [
        "--quick", "--out", str(out), "--work", str(work), "--checkpoint", str(reference_checkpoint),
        "--bundle", str(tiny_bundle),
    ]
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    bench_command.register(sub)
    args = parser.parse_args(["bench", *parser_args])
    assert bench_command.run(args) == 0
    return out


def test_quick_bench_writes_json_markdown_png_and_machine(quick_results: Path):
    for name in ("bench.json", "bench.md", "rtf.png", "machine.json"):
        assert (quick_results / name).is_file(), name
        assert (quick_results / name).stat().st_size > 0
    assert (quick_results / "rtf.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    machine = json.loads((quick_results / "machine.json").read_text())
    assert machine["peak_fp32"]["gflops"] > 0 and machine["versions"]["onnxruntime"]


def test_quick_bench_json_is_complete(quick_results: Path):
    r = json.loads((quick_results / "bench.json").read_text())  # strict JSON: no NaN/Infinity literals
    assert r["config"]["quick"] is True
    for key in ("machine", "sizes", "flops", "rtf", "decoder", "streaming", "cold_start", "peak_rss", "quality",
                "targets", "speedup_vs_onnx_fp32", "section_seconds", "int8_recipes"):
        assert key in r, key
    variants = {"pytorch", "onnx-fp32", "onnx-int8"}
    assert {v["name"] for v in r["variants"]} == variants
    classes = {(c["text_class"], c["batch_size"]) for c in r["rtf"]}
    assert classes == {("short", 1), ("short", 4), ("medium", 1), ("medium", 4)}
    for case in r["rtf"]:
        assert case["audio_s"] > 0
        for v in variants:
            stats = case["rtf"][v]
            assert 0 < stats["min"] <= stats["median"] <= stats["max"]
    assert r["flops"]["decoder"]["gflop_per_audio_s"] > 0 and r["flops"]["decoder"]["uncounted"] == 0
    assert set(r["decoder"]["variants"]) >= {"onnx-fp32", "onnx-int8", "onnx-fp16w", "pytorch"}
    assert {"default", "io-binding", "saved-optimized", "polyphase"} <= set(r["decoder"]["sweep"])
    recipes = r["int8_recipes"]["recipes"]
    assert "fp32" in recipes and any("shipped" in n for n in recipes)
    assert all(v["speedup_vs_fp32"] > 0 for v in recipes.values())
    streams = r["streaming"]["variants"]
    chunked = streams["onnx-fp32 stream, flow+vocoder"]
    assert chunked["streaming"] and len(chunked["chunk_samples"]) >= 1
    assert chunked["seam_max_abs"] < 1e-4  # chunked decoding reproduces the whole sentence
    for probe in r["cold_start"].values():
        assert 0 < probe["cold_s"]["median"] < 120
    for probe in r["peak_rss"]["configs"].values():
        assert 10 < probe["maxrss_mb"] < 100_000
    for name, q in r["quality"]["variants"].items():
        assert q["lengths_equal"], name
        assert -1.0 <= q["embedding_cosine_min"] <= 1.0
    assert all(t["met"] in (True, False, None) for t in r["targets"])
    for size in r["sizes"].values():
        assert size["total_bytes"] > 0


def test_quick_bench_markdown_has_every_section(quick_results: Path):
    md = (quick_results / "bench.md").read_text()
    for heading in ("## Targets", "## Real-time factor", "## FLOPs per audio second", "## Decoder alone",
                    "## Streaming", "## Cold start", "## Peak RSS", "## Bundle size on disk", "## Quality"):
        assert heading in md
    r = json.loads((quick_results / "bench.json").read_text())
    assert markdown(r) == md


def test_peak_is_derived_from_cpu_flags():
    zen4 = CpuInfo(vendor="AuthenticAMD", family=25, flags=["avx2", "fma", "avx512f"], mhz=2450.0, physical_cores=2)
    assert math.isclose(fp32_peak(zen4, 2).gflops, 2 * 2 * 8 * 2 * 2.45)
    avx2 = CpuInfo(vendor="GenuineIntel", family=6, flags=["avx", "avx2", "fma"], mhz=2450.0, physical_cores=8)
    assert math.isclose(fp32_peak(avx2, 2).gflops, 156.8)  # the figure: 2 x 2 x 8 x 2 x 2.45
    skx = CpuInfo(vendor="GenuineIntel", family=6, flags=["avx2", "fma", "avx512f"], mhz=2000.0, physical_cores=4)
    assert math.isclose(fp32_peak(skx, 8).gflops, 4 * 2 * 16 * 2 * 2.0)  # threads capped at physical cores
