"""``batch`` on a local Ray (two worker actors) with the tiny reference bundle: a 40-row manifest in three
languages with built-in, saved and cloned voices and two bad rows; resuming; retries after worker crashes;
seeded noise reproduced on any worker.

Seeded noise needs a bundle whose duration predictor takes ``dp_noise``, as every bundle ``export`` writes
does; the seeded-noise test fails on one that does not.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from batch_support import (
    FAULTS_ENV,
    LANG_TEXTS,
    FlakyWorker,
    local_ray,
    partial_files,
    read_jsonl,
    read_pcm,
    write_rows,
)
from runtime_helpers import golden_ref
from yourtts_onnx.batch.config import BatchConfig
from yourtts_onnx.batch.outputs import OutputDir
from yourtts_onnx.batch.runner import bundle_seedable, run_batch
from yourtts_onnx.cli import main
from yourtts_onnx.runtime import Bundle, SynthesisOptions, Synthesizer, Voices
from yourtts_onnx.runtime.backends import choose_backend
from yourtts_onnx.runtime.waveform import pcm16

pytestmark = pytest.mark.ray

BUILTIN = ["VCTK_p225", "female-en-5", "male-pt-3"]
SAVED = "narrator"
RECORDINGS = ["ref0.wav", "clips/ref2.wav"]


@pytest.fixture(scope="module")
def ray_local(tmp_path_factory):
    with local_ray(tmp_path_factory.mktemp("faults")) as ray:
        yield ray


@pytest.fixture(scope="module")
def seedable(tiny_bundle) -> bool:
    bundle = Bundle.open(tiny_bundle)
    return bundle_seedable(bundle, choose_backend(bundle.config.graphs))


@pytest.fixture(scope="module")
def reference_synth(tiny_bundle):
    return Synthesizer.from_bundle(tiny_bundle, threads=1)


def quiet(seedable: bool) -> SynthesisOptions:
    """The bundle's noise when it can be seeded, else none."""
    return SynthesisOptions() if seedable else SynthesisOptions(noise_scale=0.0, noise_scale_dp=0.0)


def forty_rows() -> list[dict]:
    """38 good rows (3 languages; built-in, saved and cloned voices; 2 without an id, some with options)
    and 2 bad ones (lines 8 and 21)."""
    langs = list(LANG_TEXTS)
    voices = [*BUILTIN, SAVED, *RECORDINGS]
    rows = []
    for i in range(38):
        lang = langs[i % 3]
        row: dict = {
            "id": f"utt-{i:03d}",
            "text": LANG_TEXTS[lang].format(i=i),
            "language": lang,
            "voice": voices[i % 6],
        }
        if i in (4, 17):
            del row["id"]
        if i % 7 == 3:
            row["length_scale"] = 1.15
        if i % 10 == 5:
            row["seed"] = 1000 + i
        rows.append(row)
    rows.insert(7, {"id": "bad-voice", "text": "Nobody speaks this.", "voice": "nobody-at-all"})
    rows.insert(20, {"id": "bad-text", "text": "   "})
    return rows


@pytest.fixture
def workspace(tmp_path, tiny_bundle):
    """A manifest directory with two recordings and a voices directory with one saved voice."""
    mdir = tmp_path / "manifest"
    (mdir / "clips").mkdir(parents=True)
    shutil.copy(golden_ref(0), mdir / RECORDINGS[0])
    shutil.copy(golden_ref(2), mdir / RECORDINGS[1])
    voices_dir = tmp_path / "voices"
    Voices(Bundle.open(tiny_bundle), voices_dir).save(SAVED, [golden_ref(1)])
    return mdir, voices_dir


def config(
    bundle: Path, manifest: Path, out: Path, voices_dir: Path | None, defaults: SynthesisOptions, **kw
) -> BatchConfig:
    return BatchConfig(
        bundle=bundle, manifest=manifest, out=out, voices_dir=voices_dir, defaults=defaults, workers=2, **kw
    )


_CLONED: dict[str, np.ndarray] = {}


def expected_audio(
    synth: Synthesizer, row: dict, meta: dict, mdir: Path, voices_dir: Path, base: SynthesisOptions
) -> np.ndarray:
    voice = row.get("voice", synth.speakers[0])
    source: dict = {"voice": voice}
    if voice in RECORDINGS:  # what synthesize(speaker_wav=...) computes, cloned once per recording here
        path = str(mdir / voice)
        if path not in _CLONED:
            _CLONED[path] = synth.embed(path)
        source = {"embedding": _CLONED[path]}
    opts = base.with_(
        language=row.get("language", "en"), length_scale=row.get("length_scale"), seed=meta["seed"], **source
    )
    if voice == SAVED:
        synth = Synthesizer(synth.bundle, synth.backend, Voices(synth.bundle, voices_dir))
    return np.frombuffer(pcm16(synth.synthesize(row["text"], opts).samples), "<i2")


def test_forty_rows_once_each_equal_to_synth_loadable_and_resumable(
    ray_local, tiny_bundle, workspace, seedable, reference_synth, tmp_path
):
    mdir, voices_dir = workspace
    rows = forty_rows()
    manifest = write_rows(mdir / "rows.jsonl", rows)
    out = tmp_path / "out"
    base = quiet(seedable)
    summary = run_batch(config(tiny_bundle, manifest, out, voices_dir, base), stream=io.StringIO())

    assert (summary["items"], summary["synthesized"], summary["skipped"], summary["errors"]) == (38, 38, 0, 2)
    assert summary["clone"]["recordings"] == 2  # each distinct recording cloned once
    errors = read_jsonl(out / "errors.jsonl")
    assert [(e["line"], e["id"]) for e in errors] == [(8, "bad-voice"), (21, "bad-text")]
    assert "unknown voice 'nobody-at-all'" in errors[0]["error"] and errors[1]["error"] == "empty text"

    meta = read_jsonl(out / "metadata.jsonl")
    good = [r for r in rows if r.get("id") not in ("bad-voice", "bad-text")]
    assert len(meta) == 38 and len({m["id"] for m in meta}) == 38  # every good row exactly once, in order
    assert [m["text"] for m in meta] == [r["text"] for r in good]
    assert sorted(p.name for p in (out / "wavs").iterdir()) == sorted(Path(m["file_name"]).name for m in meta)
    assert not (out / ".partial").exists() and not partial_files(out)
    ljspeech = (out / "metadata_ljspeech.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split("|")[0] for line in ljspeech] == [m["id"] for m in meta]

    for row, m in zip(good, meta, strict=True):
        assert m["language"] == row["language"] and m["voice"] == row["voice"]
        if "seed" in row:
            assert m["seed"] == row["seed"]
        got = read_pcm(out / m["file_name"])
        assert m["duration"] == pytest.approx(len(got) / 16000)
        assert np.array_equal(got, expected_audio(reference_synth, row, m, mdir, voices_dir, base)), m["id"]

    # the command line's synth gives the same file content for a cloned row
    m, row = next((m, r) for m, r in zip(meta, good, strict=True) if r["voice"] == RECORDINGS[0])
    wav = tmp_path / "synth.wav"
    args = ["synth", "--bundle", str(tiny_bundle), "--threads", "1", "--language", row["language"]]
    args += [
        "--speaker-wav",
        str(mdir / row["voice"]),
        "--seed",
        str(m["seed"]),
        "--out",
        str(wav),
        row["text"],
    ]
    if not seedable:
        args += ["--noise-scale", "0", "--noise-scale-dp", "0"]
    assert main(args) == 0
    assert np.array_equal(read_pcm(wav), read_pcm(out / m["file_name"]))

    check_audiofolder(out, meta, tmp_path)

    # a re-run of the finished manifest does no synthesis and rewrites no audio
    before = {p.name: p.stat().st_mtime_ns for p in (out / "wavs").iterdir()}
    again = run_batch(config(tiny_bundle, manifest, out, voices_dir, base), stream=io.StringIO())
    assert (again["synthesized"], again["skipped"], again["errors"], again["workers"]) == (0, 38, 2, [])
    assert {p.name: p.stat().st_mtime_ns for p in (out / "wavs").iterdir()} == before
    assert read_jsonl(out / "metadata.jsonl") == meta

    # a changed row is redone, and only it
    rows[0]["text"] = "A different first sentence."
    write_rows(manifest, rows)
    changed = run_batch(config(tiny_bundle, manifest, out, voices_dir, base), stream=io.StringIO())
    assert (changed["synthesized"], changed["skipped"]) == (1, 37)
    assert read_jsonl(out / "metadata.jsonl")[0]["text"] == "A different first sentence."


def check_audiofolder(out: Path, meta: list[dict], tmp_path: Path) -> None:
    """Hugging Face ``datasets`` finds every row with its metadata (decoding needs torchcodec: optional)."""
    datasets = pytest.importorskip("datasets")
    import importlib.util

    cache = tmp_path / "hf-cache"
    if importlib.util.find_spec("torchcodec") is not None:
        ds = datasets.load_dataset("audiofolder", data_dir=str(out), cache_dir=str(cache))["train"]
        assert ds[0]["audio"] is not None
    else:  # the audio column as the file name: datasets >= 4 needs torchcodec to touch audio at all
        names = {
            k: datasets.Value("string")
            for k in ("file_name", "id", "text", "language", "voice", "content_key")
        }
        floats = {
            k: datasets.Value("float64")
            for k in ("duration", "noise_scale", "length_scale", "noise_scale_dp")
        }
        ints = {k: datasets.Value("int64") for k in ("seed", "sample_rate")}
        features = datasets.Features({**names, **floats, **ints})
        ds = datasets.load_dataset("audiofolder", data_dir=str(out), cache_dir=str(cache), features=features)[
            "train"
        ]
        assert sorted(ds["file_name"]) == sorted(m["file_name"] for m in meta)
    assert ds.num_rows == len(meta)
    assert ds["id"] == [m["id"] for m in meta] and ds["text"] == [m["text"] for m in meta]
    assert ds["seed"] == [m["seed"] for m in meta] and ds["voice"] == [m["voice"] for m in meta]


def test_crashed_workers_items_are_retried_elsewhere_and_written_once(
    ray_local, tiny_bundle, seedable, tmp_path, monkeypatch
):
    faults_dir = Path(os.environ[FAULTS_ENV])
    for marker in faults_dir.glob("crashed-*"):  # the Ray cluster (and its faults dir) outlives one case
        marker.unlink()
    crash, poison = ["r02", "r05", "r09"], ["r07"]
    (faults_dir / "faults.json").write_text(json.dumps({"crash": crash, "poison": poison}))
    rows = [{"id": f"r{i:02d}", "text": LANG_TEXTS["en"].format(i=i), "language": "en"} for i in range(12)]
    manifest = write_rows(tmp_path / "rows.jsonl", rows)
    writes: list[str] = []
    original = OutputDir.write_audio
    monkeypatch.setattr(OutputDir, "write_audio", lambda self, i, d: (writes.append(i), original(self, i, d)))
    out = tmp_path / "out"
    cfg = BatchConfig(
        bundle=tiny_bundle, manifest=manifest, out=out, defaults=quiet(seedable), workers=2, retries=3
    )
    summary = run_batch(cfg, stream=io.StringIO(), worker_cls=FlakyWorker)

    assert all((faults_dir / f"crashed-{i}").exists() for i in crash)  # each crashed its worker once
    assert sorted(writes) == sorted(r["id"] for r in rows if r["id"] not in poison)  # each written once
    assert (summary["synthesized"], summary["errors"], summary["failed"]) == (11, 1, 1)
    assert summary["retried"] >= len(crash) + 3
    (error,) = read_jsonl(out / "errors.jsonl")
    assert error["id"] == "r07" and error["error"].startswith("synthesis failed 4 time(s)")
    assert "poisoned item r07" in error["error"]
    assert [m["id"] for m in read_jsonl(out / "metadata.jsonl")] == [
        r["id"] for r in rows if r["id"] != "r07"
    ]


def test_seeded_noise_gives_the_same_audio_on_any_worker(
    ray_local, tiny_bundle, seedable, reference_synth, tmp_path
):
    assert seedable, "the exported bundle's duration predictor must take dp_noise (seeded noise)"
    text = LANG_TEXTS["en"].format(i=1)
    rows = [{"id": f"s{i}", "text": text, "language": "en", "seed": 42} for i in range(4)]
    rows += [
        {"id": "other-seed", "text": text, "language": "en", "seed": 43},
        {"id": "derived", "text": text},
    ]
    manifest = write_rows(tmp_path / "rows.jsonl", rows)
    out = tmp_path / "out"
    summary = run_batch(
        BatchConfig(bundle=tiny_bundle, manifest=manifest, out=out, workers=2), stream=io.StringIO()
    )
    # Which worker takes which row is Ray's choice (a worker slow to start may leave all rows to the
    # other); rows that share a seed must agree whichever worker ran them and in whatever order, and
    # must equal an in-process synthesis (a different process from every worker).
    assert summary["synthesized"] == 6 and 1 <= summary["workers_used"] <= 2
    same = [read_pcm(out / "wavs" / f"s{i}.wav") for i in range(4)]
    assert all(
        np.array_equal(same[0], a) for a in same[1:]
    )  # the same row gives the same audio on any worker
    expected = reference_synth.synthesize(text, language="en", seed=42)
    assert np.array_equal(same[0], np.frombuffer(pcm16(expected.samples), "<i2"))
    assert not np.array_equal(same[0][:2000], read_pcm(out / "wavs" / "other-seed.wav")[:2000])
    derived = {m["id"]: m["seed"] for m in read_jsonl(out / "metadata.jsonl")}["derived"]
    again = reference_synth.synthesize(text, language="en", seed=derived)
    assert np.array_equal(read_pcm(out / "wavs" / "derived.wav"), np.frombuffer(pcm16(again.samples), "<i2"))
