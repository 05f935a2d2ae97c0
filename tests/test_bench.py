"""``yourtts-onnx bench --quick`` on the tiny model: every section comes from real runs through the public path,
and its figures agree with what this test recomputes from the raw numbers, the files on disk and the other
sections (speed is never compared with a threshold)."""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

import onnx
import pytest

from runtime_helpers import INT8_MIN_SNR_DB
from yourtts_onnx.bench.machine import CpuInfo, fp32_peak
from yourtts_onnx.bench.report import markdown, readme_section
from yourtts_onnx.commands import bench as bench_command
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.bundle import Bundle

pytestmark = pytest.mark.export

BENCH_SOURCES = Path(__file__).resolve().parents[1] / "src" / "yourtts_onnx" / "bench"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench_command.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["bench", *argv])


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory, live_checkpoint: Path, live_bundle: Path) -> Path:
    out = tmp_path_factory.mktemp("bench") / "results"
    args = _args(
        "--quick",
        "--out",
        str(out),
        "--work",
        str(out.parent / "work"),
        "--checkpoint",
        str(live_checkpoint),
        "--bundle",
        str(live_bundle),
    )
    assert bench_command.run(args) == 0
    return out


@pytest.fixture(scope="module")
def r(quick: Path) -> dict:
    return json.loads((quick / "bench.json").read_text())  # strict JSON: no NaN/Infinity literals


def _check_summary(stats: dict) -> None:
    """A timing summary is its own samples' median, min and max (recomputed here: a summary taken over the
    wrong list, or a stale one, fails)."""
    samples = stats["samples"]
    assert samples and all(s > 0 for s in samples)
    assert stats["median"] == pytest.approx(statistics.median(samples))
    assert (stats["min"], stats["max"]) == (pytest.approx(min(samples)), pytest.approx(max(samples)))


def _geo_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def test_writes_every_file(quick: Path, r: dict):
    for name in ("bench.json", "bench.md", "readme_section.md", "rtf.png", "machine.json"):
        assert (quick / name).stat().st_size > 0, name
    assert (quick / "rtf.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((quick / "machine.json").read_text()) == r["machine"]
    assert r["config"]["quick"] is True


def test_engines_are_the_public_paths(r: dict):
    engines = r["engines"]
    assert r["reference"] == r["default_engines"]["fp32"]
    for label in ("fp32", "int8", "fp16"):
        assert label in r["default_engines"]
    for name, e in engines.items():
        how = e["how"]
        if how["path"] == "API":
            assert how["call"] == "Synthesizer.synthesize"
            assert name == f"{how['bundle']}/{how['backend'].removesuffix(' (auto)')}"
            assert how["threads"] == r["config"]["threads"] and how["integrity"] == "stamp"
    assert {
        "fp32/model",
        "int8/model",
        "int8/split",
        "fp32/bare model.onnx",
        "int8/bare model.onnx",
        "pytorch",
    } <= set(engines)
    for name in r["default_engines"].values():
        assert engines[name]["how"]["backend"].endswith("(auto)")


def test_no_session_is_created_outside_the_factory():
    for path in BENCH_SOURCES.glob("*.py"):
        text = path.read_text()
        assert "InferenceSession(" not in text, path.name
        assert "ort_pipeline" not in text and "time_runners" not in text, path.name
    assert not (BENCH_SOURCES / "ort_pipeline.py").exists()


def test_rtf_rows_follow_from_their_own_timings(r: dict, live_bundle: Path):
    sr = Bundle.open(live_bundle, integrity="none").config.sample_rate
    assert [c["text_class"] for c in r["rtf"]] == ["short", "medium"]
    for case in r["rtf"]:
        lengths = {name: row["samples"] for name, row in case["engines"].items()}
        # noise off and the same planned ids: every engine speaks the same number of samples
        assert len(set(lengths.values())) == 1, lengths
        for row in case["engines"].values():
            seconds = row["seconds"]
            assert len(seconds["samples"]) == r["config"]["reps"]
            _check_summary(seconds)
            assert row["audio_s"] == pytest.approx(row["samples"] / sr)
            assert row["rtf"]["median"] == pytest.approx(seconds["median"] / row["audio_s"])
            assert row["rtf"]["samples"] == pytest.approx([s / row["audio_s"] for s in seconds["samples"]])


def test_speed_and_api_overhead_are_ratios_of_the_same_run(r: dict):
    ref = r["reference"]
    for name, speed in r["speed"]["engines"].items():
        per_case = [
            c["engines"][ref]["seconds"]["median"] / c["engines"][name]["seconds"]["median"] for c in r["rtf"]
        ]
        assert speed["per_case"] == pytest.approx(per_case)
        assert speed["geo_mean"] == pytest.approx(_geo_mean(per_case))
    for label in ("fp32", "int8"):
        row = r["api_vs_bare"][label]
        assert row["api"] == r["default_engines"][label] and row["bare"] == f"{label}/bare model.onnx"
        ratios = [
            c["engines"][row["api"]]["seconds"]["median"] / c["engines"][row["bare"]]["seconds"]["median"]
            for c in r["rtf"]
        ]
        assert row["ratio_geo_mean"] == pytest.approx(_geo_mean(ratios))


def test_bundle_sizes_are_the_files_on_disk(r: dict):
    assert set(r["sizes"]) == set(r["prepare"]["bundles"])
    assert r["sizes"]["int8"]["made_by"] == "yourtts-onnx quantize --precision int8"
    for label, size in r["sizes"].items():
        root = Path(size["path"])
        on_disk = {p.name: p.stat().st_size for p in root.iterdir() if p.is_file()}
        assert size["files"] == on_disk, label
        assert size["total_bytes"] == sum(on_disk.values())
        graphs = Bundle.open(root, integrity="none").config.graphs
        if (
            "model" in size["backend_graph_bytes"]
        ):  # model.onnx + the distinct weights it reads from weights.bin
            external = onnx.load(root / graphs["model"].file, load_external_data=False)
            refs = {
                tuple(sorted((e.key, e.value) for e in t.external_data))
                for t in onnx.external_data_helper._get_all_tensors(external)
                if t.data_location == onnx.TensorProto.EXTERNAL
            }
            weight_bytes = sum(int(dict(r)["length"]) for r in refs)
            assert weight_bytes > 0
            assert size["backend_graph_bytes"]["model"] == on_disk[graphs["model"].file] + weight_bytes
            assert size["backend_graph_bytes"]["model"] <= size["total_bytes"]


def test_cli_runs_are_new_processes_writing_wav(r: dict):
    cli = r["cli"]
    assert set(cli["configs"]) >= {
        "int8, stamp",
        "fp32, stamp",
        "int8, --verify-hashes",
        "baseline: --version",
    }
    assert "YOURTTS_ONNX_CACHE" in cli["env"]
    for label, config in cli["configs"].items():
        runs = config["runs"]
        assert len(runs) == r["config"]["cli_reps"]
        for run in runs:
            assert run["returncode"] == 0
            assert run["first_byte_s"] > 0 and run["exit_s"] > 0
        for key in ("first_byte_s", "exit_s", "maxrss_mb"):
            assert config[key]["median"] == pytest.approx(statistics.median(run[key] for run in runs))
        if label.startswith("baseline"):
            continue
        argv = config["argv"]
        assert argv[argv.index("synth") :][:5] == ["synth", "--stream", "--out", "-", "--threads"]
        assert argv[-1] == r["streaming"]["sentence"]
        assert ("--verify-hashes" in argv) == (config["how"]["integrity"] == "full")
        assert Path(argv[argv.index("--bundle") + 1]) == Path(
            r["prepare"]["bundles"][config["how"]["bundle"]]
        )
        for run in runs:
            assert run["stdout_head"] == "RIFF"
            assert run["stdout_bytes"] > 44 and (run["stdout_bytes"] - 44) % 2 == 0
    # each child's own peak, not the benchmark's (a child forked from it would report the parent's size)
    baseline = cli["configs"]["baseline: --version"]["maxrss_mb"]["median"]
    assert baseline < cli["configs"]["int8, stamp"]["maxrss_mb"]["median"]


def test_streaming_chunks_are_the_synthesized_audio(r: dict):
    s = r["streaming"]
    medium = next(c for c in r["rtf"] if c["text"] == s["sentence"])
    assert set(s["engines"]) == {n for n, e in r["engines"].items() if e["how"]["path"] == "API"}
    for name, row in s["engines"].items():
        assert row["seam_max_abs"] < 1e-4, name
        assert sum(row["chunk_samples"]) == medium["engines"][name]["samples"], name
        assert (len(row["chunk_samples"]) > 1) == row["streams"], name
        assert row["streams"] == r["engines"][name]["streams"]
        assert len(row["first_audio_s"]["samples"]) == len(row["total_s"]["samples"]) == r["config"]["reps"]
        _check_summary(row["first_audio_s"])
        _check_summary(row["total_s"])


def test_quality_matches_the_precisions(r: dict):
    q = r["quality"]
    assert q["reference"] == r["reference"] and q["reference"] not in q["engines"]
    for name, row in q["engines"].items():
        assert row["lengths_equal"], name
        if name.startswith("fp32") or name == "pytorch":  # the same fp32 arithmetic: parity, not quantisation
            assert row["snr_db"] == "inf" or row["snr_db"] > 60, name
    int8 = q["engines"][r["default_engines"]["int8"]]
    # INT8 against fp32 on the quick texts (short, medium), the live reference: measured SNR 34.14 dB (worst
    # item 34.13; tiny: 34.72), a few dB over the shared gate; < 80: INT8 did change the waveform
    assert int8["snr_db_min"] >= INT8_MIN_SNR_DB and int8["snr_db"] < 80
    # speaker embeddings of the INT8 audio vs the fp32 audio: measured 1 - cosine ≤ 3.3e-4 (live; tiny 3.7e-4);
    # the other text's audio is 3.1e-3 away, so 1e-3 tells the same utterance from another
    assert 1 - int8["embedding_cosine_min"] <= 1e-3


def test_flops_and_decoder_sections(r: dict):
    fl = r["flops"]
    total = sum(fl[g]["gflop_per_audio_s"] for g in ("text_encoder", "duration_predictor", "decoder"))
    assert fl["synthesis_total_gflop_per_audio_s"] == pytest.approx(total) and total > 0
    assert fl["decoder"]["uncounted"] == 0
    d = r["decoder"]
    assert set(d["engines"]) == {"fp32", "int8", "fp16", "pytorch"}
    for row in d["engines"].values():
        assert row["gflops"] == pytest.approx(d["gflop"] / row["seconds"]["median"])
        assert row["pct_peak"] == pytest.approx(100 * row["gflops"] / r["machine"]["peak_fp32"]["gflops"])
    assert {"default", "no-spinning", "saved-optimized", "polyphase"} <= set(d["sweep"])
    recipes = r["int8_recipes"]["recipes"]
    assert recipes["fp32"]["snr_db"] == "inf" and any("shipped" in n for n in recipes)


def test_targets_are_computed_from_the_json(r: dict):
    targets = {t["target"]: t for t in r["targets"]}
    cli = r["cli"]["configs"]
    for precision, label, limit in (("INT8", "int8, stamp", 0.5), ("fp32", "fp32, stamp", 0.6)):
        t = next(
            t for name, t in targets.items() if "first audio byte" in name and f"{precision} bundle" in name
        )
        assert t["value"] == cli[label]["first_byte_s"]["median"] and t["limit"] == limit
        assert t["met"] == (t["value"] <= limit)
    for label in ("fp32", "int8"):
        t = targets[f"`Synthesizer.synthesize` RTF within 5% of a bare model.onnx session ({label})"]
        assert t["value"] == r["api_vs_bare"][label]["ratio_geo_mean"]
        assert t["met"] == (t["value"] <= 1.05)
    torch_target = targets.get("ONNX fp32 RTF ≤ 0.6 × PyTorch RTF")
    if torch_target is not None:  # the ONNX RTF over PyTorch's, recomputed from the RTF rows
        rtf = [c["engines"] for c in r["rtf"]]
        ratios = [
            e[r["speed"]["reference"]]["seconds"]["median"] / e["pytorch"]["seconds"]["median"] for e in rtf
        ]
        assert torch_target["value"] == pytest.approx(_geo_mean(ratios))
    for t in r["targets"]:
        assert t["how"], t["target"]
        if t["value"] is not None:
            assert t["met"] == (
                t["value"] <= t["limit"] if t["better"] == "lower" else t["value"] >= t["limit"]
            )


def test_markdown_and_readme_section_come_from_the_json(quick: Path, r: dict):
    md = (quick / "bench.md").read_text()
    assert markdown(r) == md
    for heading in (
        "## Targets",
        "## Engines",
        "## Bundles on disk",
        "## Real-time factor",
        "## FLOPs per audio",
        "## Decoder alone",
        "## Streaming",
        "## CLI: new process",
        "## Quality",
    ):
        assert heading in md
    for e in r["engines"].values():
        assert e["how_text"] in md
    for c in r["cli"]["configs"].values():
        assert c["how_text"] in md
    readme = (quick / "readme_section.md").read_text()
    assert readme == readme_section(r) and readme.startswith("## Performance\n")
    assert "QUICK smoke run" in readme
    int8 = r["cli"]["configs"]["int8, stamp"]
    assert f"| {int8['first_byte_s']['median']:.2f} | {int8['exit_s']['median']:.2f} |" in readme
    for t in r["targets"]:
        assert f"| {t['target']} | {t['measured']} |" in readme


def test_bad_counts_are_one_line_errors(tmp_path: Path):
    with pytest.raises(InputError, match="--reps must be at least 1"):
        bench_command.run(_args("--quick", "--reps", "0", "--work", str(tmp_path)))
    with pytest.raises(InputError, match="--decoder-frames"):
        bench_command.run(_args("--decoder-frames", "3", "--work", str(tmp_path)))


def test_peak_is_derived_from_cpu_flags():
    zen4 = CpuInfo(
        vendor="AuthenticAMD", family=25, flags=["avx2", "fma", "avx512f"], mhz=2450.0, physical_cores=2
    )
    assert math.isclose(fp32_peak(zen4, 2).gflops, 2 * 2 * 8 * 2 * 2.45)
    avx2 = CpuInfo(
        vendor="GenuineIntel", family=6, flags=["avx", "avx2", "fma"], mhz=2450.0, physical_cores=8
    )
    assert math.isclose(fp32_peak(avx2, 2).gflops, 156.8)  # the figure: 2 x 2 x 8 x 2 x 2.45
    skx = CpuInfo(
        vendor="GenuineIntel", family=6, flags=["avx2", "fma", "avx512f"], mhz=2000.0, physical_cores=4
    )
    assert math.isclose(fp32_peak(skx, 8).gflops, 4 * 2 * 16 * 2 * 2.0)  # threads capped at physical cores


def test_peers_are_timed_at_their_own_rates_and_ratios_follow(r: dict):
    """Piper medium (the trained en_US-joe-medium voice) and sherpa-onnx on the same VITS voice, interleaved
    with our fp32 and INT8 default engines; every ratio is recomputed from the per-case medians."""
    p = r["peers"]
    assert p["missing"] == {}  # both peers are in the dev extra
    assert set(p["how"]) == {"piper medium", "sherpa-onnx vits"}
    assert "en_US-joe-medium" in p["how"]["piper medium"] and "piper-tts" in p["how"]["piper medium"]
    ours = [r["default_engines"]["fp32"], r["default_engines"]["int8"]]
    assert set(p["ratios"]) == set(ours)
    for case in p["cases"]:
        assert case["engines"]["piper medium"]["sample_rate"] == 22050
        assert case["engines"][ours[0]]["sample_rate"] == 16000
        for row in case["engines"].values():
            assert row["audio_s"] > 0.3  # real speech from every engine
    for mine in ours:
        for peer in p["how"]:
            per_case = [
                c["engines"][mine]["rtf"]["median"] / c["engines"][peer]["rtf"]["median"] for c in p["cases"]
            ]
            assert p["ratios"][mine][peer]["per_case"] == pytest.approx(per_case)
            assert p["ratios"][mine][peer]["geo_mean"] == pytest.approx(_geo_mean(per_case))
    md = markdown(r)
    assert "## Peers, same run" in md and "RTF ours / peer" in readme_section(r)


def test_int8_recipes_are_gated_and_vocoder_profiled(r: dict):
    q = r["int8_quality"]
    assert set(q["recipes"]) == {"hifigan", "hifigan+flow-wavenet"}
    shipped = q["recipes"]["hifigan+flow-wavenet"]  # int8_recipe.SHIPPED
    assert (
        shipped["shipped"] and shipped["durations_changed_tokens"] == 0
    )  # fp32 text encoder + duration predictor
    assert not q["recipes"]["hifigan"]["shipped"]
    for row in q["recipes"].values():
        assert row["passes"] == all(row["gates"].values())
        assert row["gates"]["snr_db"] == (row["noise0"]["snr_db"] >= 25)
    assert "## INT8 recipes: quality gates" in markdown(r)
    vp = r["vocoder_profile"]["results"]
    assert set(vp) == {"fp32", "int8", "int8 CPU copy"}
    assert vp["int8"]["gop"] == pytest.approx(vp["fp32"]["gop"], rel=0.02)  # same convolutions, counted alike
    copy = vp["int8 CPU copy"]["classes"]
    assert vp["int8 CPU copy"]["gop"] == pytest.approx(
        vp["int8"]["gop"], rel=1e-6
    )  # every conv found by name
    # the channels-last copy keeps only the input's and the output's layout transposes
    assert copy.get("Transpose", {"ms": 0.0})["ms"] < vp["int8"]["classes"]["Transpose"]["ms"]
    classes = vp["int8"]["classes"]
    int8_convs = {
        k for n, c in classes.items() if c["gop"] > 0 and not n.startswith("cond_layer") for k in c["kernels"]
    }
    assert int8_convs == {"QLinearConv"}  # every convolution on z runs an integer kernel
    assert classes["cond_layer (speaker embedding)"]["kernels"] == ["Conv"]  # the embedding's stays fp32
    assert any(name.startswith("resblock conv k=") for name in vp["int8"]["classes"])
