"""``batch`` without Ray: manifest parsing, row checks against a bundle, seeds and keys, the output files."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest

from batch_support import read_jsonl, write_rows
from runtime_helpers import golden_ref
from yourtts_onnx.batch.config import BatchConfig
from yourtts_onnx.batch.items import ItemPlanner, RunIdentity
from yourtts_onnx.batch.keys import derive_seed
from yourtts_onnx.batch.manifest import ManifestRow, RowError, read_manifest
from yourtts_onnx.batch.outputs import ItemRecord, OutputDir, encode_audio, read_stamp
from yourtts_onnx.batch.shipping import locate_bundle, pack_bundle
from yourtts_onnx.batch.voices import VoiceResolver
from yourtts_onnx.batch.worker import BatchWorker, Job, WorkerSpec
from yourtts_onnx.cli import main
from yourtts_onnx.errors import BundleError, InputError, MissingDependencyError
from yourtts_onnx.runtime import Bundle, SynthesisOptions, Voices
from yourtts_onnx.runtime.bundle import CONFIG_NAME

pytest_plugins = ["runtime_fixtures"]


# -- manifest -------------------------------------------------------------------------------------


def test_jsonl_rows_and_row_errors(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(
        '{"id": "a", "text": "Hi.", "language": "en", "noise_scale": 0.5, "seed": 7}\n'
        "\n"
        '{"id": 12, "text": "Number id.", "voice": ""}\n'
        "not json\n"
        "[1, 2]\n"
        '{"text": 5}\n'
        '{"text": "x", "seed": 1.5}\n'
        '{"text": "x", "speed": 2}\n'
        '{"id": "n"}\n'
        '{"text": "x", "length_scale": "fast"}\n',
        encoding="utf-8",
    )
    rows = read_manifest(path)
    assert rows[0] == ManifestRow(line=1, text="Hi.", id="a", language="en", noise_scale=0.5, seed=7)
    assert rows[1] == ManifestRow(line=3, text="Number id.", id="12")  # empty voice: not given
    errors = {r.line: r.reason for r in rows if isinstance(r, RowError)}
    assert errors[4].startswith("not valid JSON")
    assert errors[5] == "a row must be a JSON object, got list"
    assert errors[6] == "'text' must be a string, got int"
    assert errors[7] == "'seed' must be an integer, got float"
    assert errors[8].startswith("unknown field 'speed'")
    assert errors[9] == "no 'text'"
    assert errors[10] == "'length_scale' must be a number, got str"


def test_csv_rows_quoted_multiline_and_bad_cells(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(
        'id,text,language,length_scale,seed\na,"Hello, world.",en,1.1,\nb,"Two\nlines",fr,,3\nc,x,en,slow,\nd,only\n',
        encoding="utf-8",
    )
    rows = read_manifest(path)
    assert rows[0] == ManifestRow(line=2, text="Hello, world.", id="a", language="en", length_scale=1.1)
    assert rows[1] == ManifestRow(line=3, text="Two\nlines", id="b", language="fr", seed=3)
    assert rows[2] == RowError(5, "c", "'length_scale' must be a number, got 'slow'")
    assert rows[3] == RowError(6, None, "2 cells, but the header has 5 columns")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,words\n1,hi\n", "unknown column 'words'"),
        ("id,language\n1,en\n", "no 'text' column"),
        ("", "has no rows"),
    ],
)
def test_manifest_errors_name_the_problem(tmp_path, content, message):
    path = tmp_path / "m.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_manifest(path)


def test_manifest_missing_and_not_utf8(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_manifest(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'\xef\xbb\xbf{"text": "ok"}\n{"text": "\xff"}\n{"text": "fine"}\n')
    rows = read_manifest(bad)  # one bad byte is that row's error, not the whole run's
    assert rows == [
        ManifestRow(line=1, text="ok"),
        RowError(2, None, "not UTF-8 text (byte 0xff at byte 11 of the line)"),
        ManifestRow(line=3, text="fine"),
    ]
    csv_path = tmp_path / "bad.csv"
    csv_path.write_bytes(b'text,id\nok,a\n"two\nlines \xff",b\nfine,c\n')
    rows = read_manifest(csv_path)
    assert rows[0] == ManifestRow(line=2, text="ok", id="a") and rows[2] == ManifestRow(
        line=5, text="fine", id="c"
    )
    assert rows[1] == RowError(3, None, "not UTF-8 text (byte 0xff at byte 7 of the line)")


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "too-big"])
def test_manifest_must_be_a_bounded_regular_file(tmp_path, kind, monkeypatch):
    import os

    path = tmp_path / "m.jsonl"
    if kind == "fifo":
        os.mkfifo(path)  # opening it would block until a writer comes: refused before
        needle = "not a regular file"
    elif kind == "device":
        path = Path("/dev/zero")  # endless: refused before a byte is read
        needle = "not a regular file"
    elif kind == "directory":
        path.mkdir()
        needle = "is a directory"
    else:
        import yourtts_onnx.batch.manifest as manifest

        monkeypatch.setattr(manifest, "MAX_MANIFEST_BYTES", 100)
        path.write_text('{"text": "x"}\n' * 10)
        needle = "is 140 bytes; at most 100"
    with pytest.raises(InputError, match=needle):
        read_manifest(path)


def test_a_long_line_is_its_rows_error_and_read_in_blocks(tmp_path, monkeypatch):
    import yourtts_onnx.batch.manifest as manifest

    monkeypatch.setattr(manifest, "MAX_MANIFEST_LINE_BYTES", 64)
    path = tmp_path / "m.jsonl"
    path.write_text('{"text": "ok"}\n{"text": "' + "x" * 5000 + '"}\n{"text": "next"}\n')
    rows = read_manifest(path)
    assert rows == [
        ManifestRow(1, "ok"),
        RowError(2, None, "line longer than 64 bytes"),
        ManifestRow(3, "next"),
    ]


# -- rows against the bundle ----------------------------------------------------------------------


@pytest.fixture
def planner(stub_bundle, tmp_path):
    def make(defaults: SynthesisOptions | None = None, base=None):
        bundle = Bundle.open(stub_bundle)
        voices = Voices(bundle, tmp_path / "voices")
        defaults = defaults or SynthesisOptions()
        resolver = VoiceResolver(voices, base or tmp_path, defaults.voice)
        identity = RunIdentity("sha", "model", "wav", bundle.config.sample_rate)
        return ItemPlanner(bundle, resolver, defaults, identity), voices

    return make


def test_rows_become_items_with_seeds_keys_and_reasons(planner, tmp_path):
    (tmp_path / "clip.wav").write_bytes(golden_ref(0).read_bytes())
    (tmp_path / "junk.wav").write_text("not audio")
    p, voices = planner()
    speaker = voices.builtin_names()[0]
    rows = [
        ManifestRow(1, "Hello there.", id="a", language="en"),
        ManifestRow(2, "Hello there.", id="b", language="en"),  # same content, another id: another seed
        ManifestRow(3, "Cloned.", id="c", voice="clip.wav"),
        ManifestRow(4, "Cloned again.", id="d", voice="clip.wav"),
        ManifestRow(5, "   ", id="e"),
        ManifestRow(6, "Hi.", id="f", language="klingon"),
        ManifestRow(7, "Hi.", id="g", voice="nobody"),
        ManifestRow(8, "Hi.", id="h", voice="junk.wav"),
        ManifestRow(9, "Hi.", id="a"),
        ManifestRow(10, "Hi.", id="bad/id"),
        ManifestRow(11, "Hi.", id="i", length_scale=0.0),
        ManifestRow(12, "Same.", seed=5),
        ManifestRow(13, "Same.", seed=5),
        ManifestRow(14, "%%%", id="j"),
        RowError(15, None, "not valid JSON"),
    ]
    plan = p.plan(rows)
    items = {i.id: i for i in plan.items}
    generated = [k for k in items if k not in {"a", "b", "c", "d"}]
    assert (
        len(items) == 5 and len(generated) == 1 and len(generated[0]) == 16
    )  # row 12's id, from its content
    assert items["a"].voice == speaker and items["a"].language == "en"
    assert items["a"].seed == derive_seed("a", "Hello there.", "en", f"builtin:{speaker}")
    assert items["a"].seed != items["b"].seed and items["a"].key != items["b"].key
    assert np.array_equal(items["c"].options.embedding, items["d"].options.embedding)
    assert p.resolver.cloned == 1  # one distinct recording, cloned once
    reasons = {e.line: e.reason for e in plan.errors}
    assert reasons[5] == "empty text"
    assert "unknown language 'klingon'" in reasons[6]
    assert reasons[7].startswith("unknown voice 'nobody'") and speaker in reasons[7]
    assert "junk.wav" in reasons[8] and "not a readable audio file" in reasons[8]
    assert reasons[9] == "duplicate id 'a' (first on line 1)"
    assert "cannot name a file" in reasons[10]
    assert "length_scale must be" in reasons[11]
    assert reasons[13].startswith("same text, language, voice and options as line 12")
    assert "pronounce" in reasons[14] or "nothing" in reasons[14]
    assert reasons[15] == "not valid JSON"


def test_keys_are_stable_and_follow_what_decides_the_audio(planner):
    p, _ = planner()
    row = ManifestRow(1, "Hello there.", id="a", language="en")
    first, again = p.item(row), p.item(row)
    assert (first.seed, first.key) == (again.seed, again.key)
    assert p.item(ManifestRow(1, "Hello there!", id="a", language="en")).key != first.key
    assert p.item(ManifestRow(1, "Hello there.", id="a", language="en", length_scale=1.1)).key != first.key
    assert p.item(ManifestRow(1, "Hello there.", id="a", language="en", seed=first.seed)).key == first.key
    p2, _ = planner(SynthesisOptions(sentence_pause=0.5))
    assert p2.item(row).key != first.key


def test_saved_voice_and_default_voice(planner, tmp_path):
    p, voices = planner(SynthesisOptions(voice="mine"))
    voices.save("mine", [golden_ref(1)])
    item = p.item(ManifestRow(1, "Hi.", id="a"))
    assert item.voice == "mine"
    assert np.allclose(item.options.embedding, voices.embedding("mine"))


# -- outputs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_audio_files_carry_their_key(tmp_path, fmt):
    samples = np.sin(np.linspace(0, 50, 4000)).astype(np.float32) * 0.5
    out = OutputDir(tmp_path / "out", fmt)
    out.prepare()
    out.write_audio("x", encode_audio(samples, 16000, fmt, "k1"))
    stamp = read_stamp(out.audio_path("x"))
    assert stamp is not None and (stamp.key, stamp.frames, stamp.sample_rate) == ("k1", 4000, 16000)
    assert out.done("x", "k1", 16000) == stamp
    assert out.done("x", "k2", 16000) is None and out.done("y", "k1", 16000) is None
    out.audio_path("y").write_bytes(b"garbage")
    assert out.done("y", "k1", 16000) is None


def test_prepare_clears_partial_files_and_metadata_is_written_whole(tmp_path):
    out = OutputDir(tmp_path / "out", "wav")
    out.prepare()
    (out.partial / ".x.wav.123.tmp").write_bytes(b"half")
    out.prepare()
    assert list(out.partial.iterdir()) == []
    rec = ItemRecord(
        "wavs/a.wav", "a", "I have 2 cats | one\ndog", "en", "v", 1.5, 3, 0.0, 1.0, 0.0, 16000, "k"
    )
    out.write_metadata([rec])
    out.write_errors([RowError(9, None, "later"), RowError(2, "b", "earlier")])
    out.finish()
    assert read_jsonl(tmp_path / "out" / "metadata.jsonl") == [rec.to_dict()]
    assert (
        tmp_path / "out" / "metadata_ljspeech.csv"
    ).read_text() == "a|I have 2 cats one dog|I have two cats one dog\n"
    assert [e["line"] for e in read_jsonl(tmp_path / "out" / "errors.jsonl")] == [2, 9]
    assert not out.partial.exists()


def test_out_must_be_a_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        OutputDir(tmp_path / "file", "wav").prepare()


# -- bundle shipping and the worker, without Ray -------------------------------------------------


def test_shipped_bundle_is_unpacked_once_per_node(stub_bundle, tmp_path, monkeypatch):
    monkeypatch.setenv("YOURTTS_ONNX_CACHE", str(tmp_path / "cache"))
    bundle = Bundle.open(stub_bundle)
    packed = pack_bundle(bundle)
    assert set(packed) == {CONFIG_NAME, *bundle.config.files}
    from yourtts_onnx.batch.shipping import config_sha256

    sha = config_sha256(stub_bundle)
    assert locate_bundle(str(stub_bundle), sha, None).source == "path"
    fetches = []
    located = locate_bundle("/nowhere/bundle", sha, lambda: fetches.append(1) or packed)
    assert (
        located.source == "shipped"
        and (located.path / CONFIG_NAME).read_bytes() == (stub_bundle / CONFIG_NAME).read_bytes()
    )
    assert locate_bundle("/nowhere/bundle", sha, lambda: fetches.append(1) or packed).source == "cache"
    assert fetches == [1]
    with pytest.raises(BundleError, match="not on node"):
        locate_bundle("/nowhere/bundle", "0" * 64, None)


def test_worker_synthesises_what_the_synthesizer_does(stub_bundle, stub_synth):
    from yourtts_onnx.batch.shipping import config_sha256
    from yourtts_onnx.runtime.waveform import pcm16

    spec = WorkerSpec(str(stub_bundle), config_sha256(stub_bundle), "auto", "stamp", 1, "wav")
    worker = BatchWorker(spec)
    opts = SynthesisOptions(language="en", noise_scale=0, noise_scale_dp=0, seed=3)
    result = worker.run(Job("a", "Hello there.", opts, "key"))
    expected = stub_synth.synthesize("Hello there.", opts)
    import io

    import soundfile as sf

    got, _ = sf.read(io.BytesIO(result.data), dtype="int16")
    assert np.array_equal(got, np.frombuffer(pcm16(expected.samples), "<i2"))
    assert result.frames == len(expected) and result.error is None
    noisy = Job("b", "Hi.", SynthesisOptions(language="en", noise_scale=0.5, seed=1), "k")
    assert worker.run(noisy).data == worker.run(noisy).data  # the stub's component graphs take seeds
    whole_graph = BatchWorker(
        WorkerSpec(str(stub_bundle), config_sha256(stub_bundle), "model", "stamp", 1, "wav")
    )
    bad = whole_graph.run(noisy)  # model.onnx draws its own noise: a seed cannot fix it
    assert bad.data is None and "seed" in bad.error


# -- configuration and the command line -----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"audio_format": "mp3"}, "--format"),
        ({"workers": 0}, "--workers"),
        ({"threads_per_worker": 0}, "--threads-per-worker"),
        ({"retries": -1}, "--retries"),
        ({"ship_bundle": "maybe"}, "--ship-bundle"),
        ({"defaults": SynthesisOptions(seed=1)}, "seed"),
    ],
)
def test_config_is_checked(tmp_path, changes, message):
    with pytest.raises(InputError, match=message):
        BatchConfig(bundle=tmp_path, manifest=tmp_path / "m", out=tmp_path / "o", **changes)


def test_without_ray_the_error_names_the_extra(stub_bundle, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN"):  # import_ray(local=True) sets them; restored after
        monkeypatch.delenv(name, raising=False)
    manifest = write_rows(tmp_path / "m.jsonl", [{"text": "Hi."}])
    from yourtts_onnx.batch.pool import import_ray

    with pytest.raises(MissingDependencyError, match=r"yourtts-onnx\[scale\]"):
        import_ray()
    rc = main(
        ["batch", "--bundle", str(stub_bundle), "--manifest", str(manifest), "--out", str(tmp_path / "o")]
    )
    assert rc == MissingDependencyError.exit_code
    assert "pip install 'yourtts-onnx[scale]'" in capsys.readouterr().err


def test_noise_without_a_seedable_backend_is_refused_before_any_work(stub_bundle, tmp_path, capsys):
    manifest = write_rows(
        tmp_path / "m.jsonl", [{"text": "Hi."}, {"text": "Quiet.", "noise_scale": 0, "noise_scale_dp": 0}]
    )
    out = tmp_path / "o"
    rc = main(
        [
            "batch",
            "--bundle",
            str(stub_bundle),
            "--backend",
            "model",
            "--manifest",
            str(manifest),
            "--out",
            str(out),
        ]
    )
    assert rc == InputError.exit_code
    err = capsys.readouterr().err
    assert "reproducible noise" in err and "--noise-scale 0 --noise-scale-dp 0" in err and "line 1" in err
    assert not list((out / "wavs").iterdir())


# -- progress -------------------------------------------------------------------------------------


def test_progress_lines_off_a_terminal_and_a_bar_on_one():
    from yourtts_onnx.batch.progress import BatchProgress

    log = io.StringIO()
    progress = BatchProgress(4, log, interval=0.0, bar=False)
    progress.item_done(2.5)
    progress.tick()
    line = log.getvalue()
    assert line.startswith("batch: 1/4 items (25%), ") and "s of audio per second" in line and "ETA" in line
    tty = io.StringIO()
    bar = BatchProgress(2, tty, bar=True, width=10)
    bar.item_done(1.0)
    bar.close()
    assert tty.getvalue().startswith("\r[#####.....] 1/2 items (50%)") and tty.getvalue().endswith("\n")
