"""``batch --timestamps`` on a local Ray with the stub bundle: each row's words in ``metadata.jsonl`` equal
the engine's (``Synthesizer.synthesize(...).words``), ``datasets`` reads them, resuming keeps them without
synthesising again, a run without timestamps is topped up, and ``model.onnx`` alone is refused up front."""

from __future__ import annotations

import io

import pytest

from batch_support import local_ray, read_jsonl, write_rows
from yourtts_onnx.batch.config import BatchConfig
from yourtts_onnx.batch.runner import run_batch
from yourtts_onnx.cli import main
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime import SynthesisOptions

pytest_plugins = ["runtime_fixtures"]

ROWS = [
    {"id": "a", "text": "Hello there, it's 3 o'clock. Second sentence here!", "language": "en"},
    {"id": "b", "text": "Bonjour à tous, j'ai 2 chats.", "language": "fr-fr"},
    {"id": "c", "text": "Olá, tudo bem?", "language": "pt-br"},
]
QUIET = SynthesisOptions(noise_scale=0.0, noise_scale_dp=0.0)


@pytest.fixture(scope="module")
def ray_local(tmp_path_factory):
    with local_ray(tmp_path_factory.mktemp("faults")) as ray:
        yield ray


def config(bundle, manifest, out, **kw) -> BatchConfig:
    return BatchConfig(bundle=bundle, manifest=manifest, out=out, workers=1, defaults=QUIET, **kw)


def test_words_in_metadata_equal_the_engine_and_survive_resuming(
    ray_local, stub_bundle, stub_synth, tmp_path
):
    manifest = write_rows(tmp_path / "rows.jsonl", ROWS)
    out = tmp_path / "out"
    plain = run_batch(config(stub_bundle, manifest, out), stream=io.StringIO())
    assert plain["synthesized"] == 3
    assert all("words" not in m for m in read_jsonl(out / "metadata.jsonl"))  # unchanged without the flag

    summary = run_batch(config(stub_bundle, manifest, out, timestamps=True), stream=io.StringIO())
    assert summary["synthesized"] == 3  # the earlier run recorded no words: redone
    meta = read_jsonl(out / "metadata.jsonl")
    for row, m in zip(ROWS, meta, strict=True):
        audio = stub_synth.synthesize(row["text"], QUIET, language=row["language"], seed=m["seed"])
        assert m["words"] == [w.to_dict() for w in audio.words], row["id"]
        assert all(row["text"][w["start_char"] : w["end_char"]] == w["word"] for w in m["words"])
        assert m["words"][-1]["end_time"] <= m["duration"]

    again = run_batch(config(stub_bundle, manifest, out, timestamps=True), stream=io.StringIO())
    assert (again["synthesized"], again["skipped"]) == (0, 3)
    assert read_jsonl(out / "metadata.jsonl") == meta

    # the words column is a list of records to Hugging Face datasets (audio decoding needs torchcodec: not here)
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(
        "json", data_files=str(out / "metadata.jsonl"), split="train", cache_dir=str(tmp_path / "hf")
    )
    assert loaded[1]["words"] == meta[1]["words"]


def test_model_backend_is_refused_before_any_work(stub_bundle, tmp_path, capsys):
    manifest = write_rows(tmp_path / "rows.jsonl", ROWS)
    with pytest.raises(InputError, match="--timestamps needs the component graphs"):
        run_batch(config(stub_bundle, manifest, tmp_path / "out", timestamps=True, backend="model"))
    args = ["batch", "-b", str(stub_bundle), "-m", str(manifest), "-o", str(tmp_path / "o2")]
    assert main([*args, "--timestamps", "--backend", "model"]) == 2
    assert "error: --timestamps needs the component graphs" in capsys.readouterr().err
