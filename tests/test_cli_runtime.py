"""CLI commands synth, embed, voices, tokenize through ``yourtts_onnx.cli.main([...])``."""

from __future__ import annotations

import io
import json
import struct
import sys

import numpy as np
import pytest
import soundfile as sf

from runtime_helpers import write_tone
from yourtts_onnx.cli import main
from yourtts_onnx.progress import ProgressBar

pytest_plugins = ["runtime_fixtures"]

TEXT = "Hello there. This is a test with 2 sentences."


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


def _synth(bundle, *args: str) -> int:
    return main(["synth", "--bundle", str(bundle), *args])


def _read(data: bytes) -> tuple[np.ndarray, int]:
    return sf.read(io.BytesIO(data), dtype="float32")


# -- synth ----------------------------------------------------------------------------------------


def test_synth_to_file_equals_api(stub_bundle, stub_synth, tmp_path):
    out = tmp_path / "out.wav"
    assert _synth(stub_bundle, TEXT, "--out", str(out), "--noise-scale", "0", "--noise-scale-dp", "0") == 0
    expected = stub_synth.synthesize(TEXT, noise_scale=0, noise_scale_dp=0)
    assert out.read_bytes() == expected.to_wav()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_synth_text_file_and_stdin(stub_bundle, tmp_path, monkeypatch):
    text_file = tmp_path / "in.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    quiet = ["--noise-scale", "0", "--noise-scale-dp", "0"]
    assert _synth(stub_bundle, "--text-file", str(text_file), "-o", str(a), *quiet) == 0
    _stdin(monkeypatch, TEXT)
    assert _synth(stub_bundle, "-o", str(b), *quiet) == 0
    assert a.read_bytes() == b.read_bytes()


def test_synth_to_stdout(stub_bundle, capsysbinary):
    assert _synth(stub_bundle, TEXT, "--out", "-") == 0
    data, sr = _read(capsysbinary.readouterr().out)
    assert sr == 16000 and data.size > 0


def test_synth_stream_to_stdout_equals_whole(stub_bundle, capsysbinary):
    quiet = ["--noise-scale", "0", "--noise-scale-dp", "0"]
    assert _synth(stub_bundle, TEXT, "--out", "-", *quiet) == 0
    whole = capsysbinary.readouterr().out
    assert _synth(stub_bundle, TEXT, "--out", "-", "--stream", *quiet) == 0
    streamed = capsysbinary.readouterr().out
    assert streamed[44:] == whole[44:]  # same samples; the streamed header says "length unknown"
    assert struct.unpack("<I", streamed[40:44])[0] == 0xFFFFFFFF


def test_synth_stream_to_file_has_a_complete_header(stub_bundle, tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    quiet = ["--noise-scale", "0", "--noise-scale-dp", "0"]
    assert _synth(stub_bundle, TEXT, "-o", str(a), *quiet) == 0
    assert _synth(stub_bundle, TEXT, "-o", str(b), "--stream", *quiet) == 0
    assert a.read_bytes() == b.read_bytes()


def test_synth_options(stub_bundle, stub_synth, tmp_path):
    out = tmp_path / "o.wav"
    args = [
        "--speaker",
        stub_synth.speakers[2],
        "--language",
        "fr",
        "--length-scale",
        "1.5",
        "--sentence-pause",
        "0",
    ]
    args += ["--threads", "1", "--noise-scale", "0", "--noise-scale-dp", "0"]
    assert _synth(stub_bundle, "Bonjour. Ça va?", "-o", str(out), *args) == 0
    expected = stub_synth.synthesize(
        "Bonjour. Ça va?",
        language="fr-fr",
        voice=stub_synth.speakers[2],
        length_scale=1.5,
        sentence_pause=0,
        noise_scale=0,
        noise_scale_dp=0,
    )
    assert out.read_bytes() == expected.to_wav()


def test_synth_coqui_exact(stub_bundle, stub_synth, tmp_path):
    out = tmp_path / "o.wav"
    assert (
        _synth(
            stub_bundle,
            "I have 3 cats. Yes.",
            "-o",
            str(out),
            "--coqui-exact",
            "--noise-scale",
            "0",
            "--noise-scale-dp",
            "0",
        )
        == 0
    )
    expected = stub_synth.synthesize(
        "I have 3 cats. Yes.", normalize_numbers=False, split_sentences=False, noise_scale=0, noise_scale_dp=0
    )
    assert out.read_bytes() == expected.to_wav()


def test_synth_speaker_wav_repeatable(stub_bundle, stub_synth, tmp_path):
    clips = [write_tone(tmp_path / "a.wav", 1.0), write_tone(tmp_path / "b.wav", 2.0, sr=22050)]
    out = tmp_path / "o.wav"
    args = [
        "--speaker-wav",
        str(clips[0]),
        "--speaker-wav",
        str(clips[1]),
        "--noise-scale",
        "0",
        "--noise-scale-dp",
        "0",
    ]
    assert _synth(stub_bundle, "Hi.", "-o", str(out), *args) == 0
    expected = stub_synth.synthesize("Hi.", speaker_wav=clips, noise_scale=0, noise_scale_dp=0)
    assert out.read_bytes() == expected.to_wav()


# -- embed and voices -----------------------------------------------------------------------------


def test_embed_then_synth_with_voice(stub_bundle, tmp_path, voices_dir, capsys):
    clips = [str(write_tone(tmp_path / "a.wav", 1.0)), str(write_tone(tmp_path / "b.flac", 1.5))]
    assert main(["embed", "--bundle", str(stub_bundle), "--name", "me", *clips]) == 0
    assert capsys.readouterr().out.strip() == str(voices_dir / "me.json")
    out = tmp_path / "o.wav"
    assert _synth(stub_bundle, "Hi.", "-o", str(out), "--voice", "me") == 0
    assert out.is_file()
    # a second embed under the same name needs --force
    assert main(["embed", "--bundle", str(stub_bundle), "--name", "me", clips[0]]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["embed", "--bundle", str(stub_bundle), "--name", "me", "--force", clips[0]]) == 0


def test_embed_voices_dir_argument(stub_bundle, tmp_path, capsys):
    d = tmp_path / "elsewhere"
    clip = str(write_tone(tmp_path / "a.wav", 1.0))
    assert main(["embed", "-b", str(stub_bundle), "--name", "x", "--voices-dir", str(d), clip]) == 0
    assert (d / "x.json").is_file() and (d / "x.npy").is_file()
    capsys.readouterr()
    assert main(["voices", "--voices-dir", str(d), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["builtin"] == [] and [v["name"] for v in report["saved"]] == ["x"]


def test_voices_lists_builtin_and_saved(stub_bundle, stub_synth, tmp_path, voices_dir, capsys):
    clip = str(write_tone(tmp_path / "a.wav", 1.0))
    assert main(["embed", "-b", str(stub_bundle), "--name", "saved-one", clip]) == 0
    capsys.readouterr()
    assert main(["voices", "--bundle", str(stub_bundle)]) == 0
    text = capsys.readouterr().out
    for name in stub_synth.speakers:
        assert name in text
    assert "saved-one" in text and "1 clip(s)" in text


# -- tokenize -------------------------------------------------------------------------------------


def test_tokenize(stub_bundle, capsys, monkeypatch):
    assert main(["tokenize", "--bundle", str(stub_bundle), "--language", "en", "I have 3 cats."]) == 0
    expanded = json.loads(capsys.readouterr().out)
    assert (
        main(["tokenize", "--bundle", str(stub_bundle), "-l", "en", "--coqui-exact", "I have 3 cats."]) == 0
    )
    exact = json.loads(capsys.readouterr().out)
    assert len(expanded) > len(exact)
    assert main(["tokenize", "--bundle", str(stub_bundle), "--split", "One. Two."]) == 0
    assert [u["text"] for u in json.loads(capsys.readouterr().out)] == ["One.", "Two."]
    _stdin(monkeypatch, "a")
    assert main(["tokenize", "--bundle", str(stub_bundle)]) == 0
    assert json.loads(capsys.readouterr().out) == [164, 38, 164]


# -- errors: one line, an exit code, nothing written ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--language", "de", "Hi."], 2, "error: unknown language 'de' (known: en, fr-fr, pt-br)"),
        ([""], 2, "error: text is empty: give at least one word to speak"),
        (["😀😀"], 2, "error: text has nothing the model can pronounce"),
        (["--speaker", "nobody", "Hi."], 2, "error: unknown speaker 'nobody' (built-in speakers: "),
        (["--voice", "nobody", "Hi."], 2, "error: unknown voice 'nobody' (built-in speakers: "),
        (["--noise-scale", "-1", "Hi."], 2, "error: noise_scale must be at least 0"),
        (["--speaker", "x", "--voice", "y", "Hi."], 2, "error: give only one of --speaker, --voice"),
        (["--threads", "0", "Hi."], 2, "error: threads must be an integer from 1"),
        (
            ["--provider", "NoSuchExecutionProvider", "Hi."],
            2,
            "error: execution provider 'NoSuchExecutionProvider'",
        ),
    ],
)
def test_synth_input_errors(stub_bundle, tmp_path, capsys, voices_dir, args, code, message):
    out = tmp_path / "out.wav"
    assert _synth(stub_bundle, "--out", str(out), *args) == code
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == [] or list(tmp_path.iterdir()) == [voices_dir]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: _silence(d / "s.wav"), "is silent"),
        (lambda d: write_tone(d / "short.wav", 0.2), "is too short"),
        (lambda d: _bytes(d / "c.wav", b"RIFF....WAVEjunk"), "not a readable audio file"),
        (lambda d: _bytes(d / "t.ogg", b"hello, I am text"), "not a readable audio file"),
        (lambda d: d / "missing.wav", "does not exist"),
    ],
    ids=["silent", "short", "corrupt", "not-audio", "missing"],
)
def test_bad_reference_audio(stub_bundle, tmp_path, capsys, voices_dir, make, message):
    src = tmp_path / "src"
    src.mkdir()
    ref = make(src)
    before = sorted(src.iterdir())
    out = tmp_path / "out.wav"
    assert _synth(stub_bundle, "Hi.", "--out", str(out), "--speaker-wav", str(ref)) == 4
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not out.exists()
    assert main(["embed", "--bundle", str(stub_bundle), "--name", "v", str(ref)]) == 4
    assert message in capsys.readouterr().err
    assert not voices_dir.exists() or list(voices_dir.iterdir()) == []
    assert sorted(src.iterdir()) == before


def _silence(path):
    sf.write(path, np.zeros(24000, dtype=np.float32), 16000)
    return path


def _bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def test_bundle_errors(copy_bundle, tmp_path, capsys):
    root = copy_bundle()
    with (root / "speakers.npy").open("r+b") as fh:
        fh.seek(-7, 2)
        fh.write(b"changed")
    out = tmp_path / "out.wav"
    assert _synth(root, "Hi.", "--out", str(out)) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "SHA-256 mismatch" in err and not out.exists()
    (root / "model.onnx").unlink()
    assert _synth(root, "Hi.", "--out", str(out)) == 3
    assert "missing file 'model.onnx'" in capsys.readouterr().err and not out.exists()
    assert _synth(tmp_path / "nowhere", "Hi.", "--out", str(out)) == 3
    assert "bundle directory not found" in capsys.readouterr().err


def test_unwritable_output(stub_bundle, tmp_path, capsys):
    assert _synth(stub_bundle, "Hi.", "--out", str(tmp_path / "no" / "such" / "dir.wav")) == 2
    assert "does not exist" in capsys.readouterr().err
    assert _synth(stub_bundle, "Hi.", "--out", str(tmp_path)) == 2
    assert "is a directory" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_text_sources_conflict_and_missing(stub_bundle, tmp_path, capsys):
    assert _synth(stub_bundle, "Hi.", "--text-file", "x.txt", "-o", str(tmp_path / "o.wav")) == 2
    assert "not both" in capsys.readouterr().err
    assert _synth(stub_bundle, "--text-file", str(tmp_path / "none.txt"), "-o", str(tmp_path / "o.wav")) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    assert _synth(stub_bundle, "--text-file", str(bad), "-o", str(tmp_path / "o.wav")) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert not (tmp_path / "o.wav").exists()


# -- progress bar ---------------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal():
    tty, pipe = _Tty(), io.StringIO()
    with ProgressBar("work", stream=tty) as bar:
        bar(1, 4)
        bar(4, 4)
    assert "\rwork [" in tty.getvalue() and "4/4" in tty.getvalue() and tty.getvalue().endswith("\n")
    with ProgressBar("work", stream=pipe) as bar:
        bar(1, 4)
    assert pipe.getvalue() == ""
    with ProgressBar("work", stream=_Tty()) as bar:  # a single step draws nothing
        bar(1, 1)
        assert not bar.drawn
