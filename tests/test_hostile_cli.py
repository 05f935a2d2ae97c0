"""Hostile input to the CLI (``synth``), table-driven: every case ends with one ``error:`` line naming the
problem and its exit code, no traceback, and nothing written; plus special output files (devices, FIFOs,
symbolic links), SIGTERM, a full standard output, bounded memory for long texts and bad bundles."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import STUB_BUNDLE
from runtime_helpers import write_tone
from yourtts_onnx.cli import main
from yourtts_onnx.runtime.limits import MAX_REFERENCE_FILES, MAX_REFERENCE_SECONDS, MAX_TEXT_BYTES

pytest_plugins = ["runtime_fixtures"]

TEXT = "Hello there. This is a test."


def _bundle_with(tmp: Path, change: Callable[[dict], None]) -> Path:
    import shutil

    dest = tmp / "bundle"
    shutil.copytree(STUB_BUNDLE, dest)
    config = json.loads((dest / "config.json").read_text(encoding="utf-8"))
    change(config)
    (dest / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return dest


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@dataclass(frozen=True)
class Case:
    """``setup(tmp)`` returns the arguments after ``synth`` (``--out`` is added unless given)."""

    name: str
    setup: Callable[[Path], list[str]]
    code: int
    needle: str
    stdin: bytes | None = None


def _args(*args: str) -> Callable[[Path], list[str]]:
    return lambda _tmp: [TEXT, *args]


def _file(name: str, data: bytes, *extra: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        (tmp / name).write_bytes(data)
        return ["--text-file", str(tmp / name), *extra]

    return setup


def _reference(make: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda tmp: [TEXT, "--speaker-wav", str(make(tmp))]


def _symlink_to_dev_zero(tmp: Path) -> Path:
    (tmp / "zero.wav").symlink_to("/dev/zero")
    return tmp / "zero.wav"


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "ref.wav")
    return tmp / "ref.wav"


def _long_recording(tmp: Path) -> Path:
    """Longer than the limit: stereo at 8 kHz (small on disk, refused from its header before decoding)."""
    path = tmp / "long.flac"
    frames = int((MAX_REFERENCE_SECONDS + 1) * 8000)
    with sf.SoundFile(path, "w", 8000, 2, format="FLAC") as fh:
        for start in range(0, frames, 1 << 18):
            fh.write(np.zeros((min(1 << 18, frames - start), 2), dtype=np.float32))
    return path


def _not_audio(tmp: Path) -> Path:
    (tmp / "notes.wav").write_bytes(b"this is not audio at all " * 40)
    return tmp / "notes.wav"


def _many_references(tmp: Path) -> list[str]:
    clip = write_tone(tmp / "clip.wav", 1.5)
    return [TEXT] + [a for _ in range(MAX_REFERENCE_FILES + 1) for a in ("--speaker-wav", str(clip))]


def _bad_bundle(change: Callable[[dict], None]) -> Callable[[Path], list[str]]:
    return lambda tmp: [TEXT, "--bundle", str(_bundle_with(tmp, change))]


def _deep_config(tmp: Path) -> list[str]:
    bundle = _bundle_with(tmp, lambda c: None)
    text = (bundle / "config.json").read_text(encoding="utf-8")
    (bundle / "config.json").write_text(text[:-1] + ', "x": ' + _deep(100_000) + "}", encoding="utf-8")
    return [TEXT, "--bundle", str(bundle)]


def _damaged_voice(tmp: Path) -> list[str]:
    (tmp / "me.json").write_text('{"format": "yourtts-onnx-voice", "format_vers', encoding="utf-8")
    return [TEXT, "--voice", str(tmp / "me.json")]


def _set_sample_rate(value: object) -> Callable[[dict], None]:
    return lambda c: c["audio"].__setitem__("sample_rate", value)


CASES = [
    # numbers: every option bounded
    Case("sentence-pause-1e12", _args("--sentence-pause", "1e12"), 2, "sentence_pause must be"),
    Case("sentence-pause-nan", _args("--sentence-pause", "nan"), 2, "sentence_pause must be a finite number"),
    Case("length-scale-0", _args("--length-scale", "0"), 2, "length_scale must be at least 0.05"),
    Case("length-scale-inf", _args("--length-scale", "inf"), 2, "length_scale must be a finite number"),
    Case("noise-scale-1e9", _args("--noise-scale", "1e9"), 2, "noise_scale must be"),
    Case("noise-scale-dp-negative", _args("--noise-scale-dp", "-1"), 2, "noise_scale_dp must be"),
    Case(
        "max-tokens-1e9",
        _args("--max-tokens", "1000000000"),
        2,
        "max_tokens must be an integer from 3 to 2000",
    ),
    Case("max-tokens-1", _args("--max-tokens", "1"), 2, "max_tokens must be an integer from 3"),
    Case("seed-negative", _args("--seed", "-1"), 2, "seed must be an integer from 0"),
    Case("seed-2**64", _args("--seed", str(2**64)), 2, "seed must be an integer from 0"),
    Case("threads-0", _args("--threads", "0"), 2, "threads must be an integer from 1 to 1024"),
    Case("threads-100000", _args("--threads", "100000"), 2, "threads must be an integer from 1 to 1024"),
    # text: bounded, strictly UTF-8, from regular files or pipes
    Case(
        "text-file-dev-zero",
        lambda _t: ["--text-file", "/dev/zero"],
        2,
        f"longer than {MAX_TEXT_BYTES} bytes",
    ),
    Case("text-file-over-limit", _file("big.txt", b"a" * (MAX_TEXT_BYTES + 1)), 2, "split the text"),
    Case(
        "text-file-invalid-utf8",
        _file("bad.txt", b"Hello \xff there"),
        2,
        "not UTF-8 text (byte 0xff at offset 6)",
    ),
    Case("text-file-directory", lambda t: ["--text-file", str(t)], 2, "is a directory"),
    Case("text-file-missing", lambda t: ["--text-file", str(t / "nope.txt")], 2, "not found"),
    Case("text-only-symbols", lambda _t: ["🙂 ☺ ✓"], 2, "nothing the model can pronounce"),
    Case(
        "stdin-invalid-utf8",
        lambda _t: [],
        2,
        "standard input is not UTF-8 text (byte 0xff",
        stdin=b"Hi \xff",
    ),
    Case(
        "stdin-over-limit",
        lambda _t: [],
        2,
        "standard input is longer than",
        stdin=b"a" * (MAX_TEXT_BYTES + 1),
    ),
    # reference recordings: regular files, bounded duration and count, readable
    Case("speaker-wav-symlink-dev-zero", _reference(_symlink_to_dev_zero), 4, "is not a regular file"),
    Case("speaker-wav-fifo", _reference(_fifo), 4, "is not a regular file"),
    Case("speaker-wav-directory", lambda t: [TEXT, "--speaker-wav", str(t)], 4, "is a directory"),
    Case("speaker-wav-too-long", _reference(_long_recording), 4, f"at most {MAX_REFERENCE_SECONDS:g} s"),
    Case("speaker-wav-not-audio", _reference(_not_audio), 4, "not a readable audio file"),
    Case("speaker-wav-too-many", _many_references, 4, f"at most {MAX_REFERENCE_FILES} are averaged"),
    Case("voice-profile-truncated", _damaged_voice, 2, "cannot be read"),
    # output locations
    Case("out-directory", lambda t: [TEXT, "--out", str(t)], 2, "is a directory"),
    Case("out-missing-directory", lambda t: [TEXT, "--out", str(t / "no" / "x.wav")], 2, "does not exist"),
    Case("out-dev-full", lambda _t: [TEXT, "--out", "/dev/full"], 2, "No space left on device"),
    Case(
        "out-dev-full-stream",
        lambda _t: [TEXT, "--stream", "--out", "/dev/full"],
        2,
        "No space left on device",
    ),
    # bundles: checked when opened
    Case(
        "bundle-sample-rate-0", _bad_bundle(_set_sample_rate(0)), 3, "'audio.sample_rate' must be from 1000"
    ),
    Case("bundle-sample-rate-negative", _bad_bundle(_set_sample_rate(-16000)), 3, "'audio.sample_rate'"),
    Case(
        "bundle-hop-length-0", _bad_bundle(lambda c: c["audio"].__setitem__("hop_length", 0)), 3, "hop_length"
    ),
    Case("bundle-nested-100k", _deep_config, 3, "nested"),
    Case(
        "bundle-graph-outside",
        _bad_bundle(lambda c: c["graphs"]["model"].__setitem__("file", "../../etc/passwd")),
        3,
        "must name a file inside the bundle",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_cli_input(case: Case, tmp_path, monkeypatch, capsys, voices_dir):
    work = tmp_path / "work"
    work.mkdir()
    args = case.setup(work)
    if "--bundle" not in args:
        args = ["--bundle", str(STUB_BUNDLE), *args]
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "out.wav")]
    data = case.stdin if case.stdin is not None else b""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    before = {p.name for p in tmp_path.iterdir()}
    code = main(["synth", *args])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == case.code, err
    assert lines and lines[-1].startswith("error: ") and case.needle in lines[-1], err
    assert "Traceback" not in err and "object at 0x" not in err
    assert {p.name for p in tmp_path.iterdir()} == before  # nothing written, no temporary file left
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_dev_null_is_written_into_not_replaced(capsys):
    assert main(["synth", "--bundle", str(STUB_BUNDLE), TEXT, "--out", "/dev/null"]) == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("stream", [False, True])
def test_fifo_output_gets_the_wav(tmp_path, stream):
    fifo = tmp_path / "out.wav"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    args = ["synth", "--bundle", str(STUB_BUNDLE), TEXT, "--out", str(fifo)] + (
        ["--stream"] if stream else []
    )
    assert main(args) == 0
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    samples, rate = sf.read(io.BytesIO(got[0]), dtype="float32")
    assert rate == 16000 and samples.size > 0


def test_symlink_output_keeps_the_link(tmp_path):
    target = tmp_path / "real.wav"
    target.write_bytes(b"old")
    link = tmp_path / "link.wav"
    link.symlink_to(target)
    assert main(["synth", "--bundle", str(STUB_BUNDLE), TEXT, "--out", str(link)]) == 0
    assert link.is_symlink() and sf.info(str(target)).samplerate == 16000


def test_wav_size_limit_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from yourtts_onnx.commands import synth

    monkeypatch.setattr(synth, "MAX_WAV_SAMPLES", 1000)
    out = tmp_path / "out.wav"
    assert main(["synth", "--bundle", str(STUB_BUNDLE), TEXT, "--out", str(out)]) == 2
    assert "longer than one WAV file can hold" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_long_text_runs_in_bounded_memory(tmp_path):
    """Audio is written as it is made: the memory Python holds stays far below the size of the output."""
    import tracemalloc

    text = tmp_path / "long.txt"
    text.write_text("This is one sentence of a long text to read. " * 400, encoding="utf-8")
    out = tmp_path / "out.wav"
    tracemalloc.start()
    try:
        assert main(["synth", "--bundle", str(STUB_BUNDLE), "--text-file", str(text), "--out", str(out)]) == 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = out.stat().st_size
    assert size > 50 << 20  # over 50 MB of audio
    assert peak < size / 5, (peak, size)


def _run(args: list[str], **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-m", "yourtts_onnx", *args], env=env, **kwargs)


def test_sigterm_leaves_no_temporary_file(tmp_path):
    text = tmp_path / "long.txt"
    text.write_text("A sentence for a long run. " * 3000, encoding="utf-8")
    out = tmp_path / "out.wav"
    out.write_bytes(b"old output")
    args = ["synth", "--bundle", str(STUB_BUNDLE), "--text-file", str(text), "--stream", "--out", str(out)]
    proc = _run(args, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(p.suffix == ".tmp" for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "synth ended before it was terminated"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.decode().strip().splitlines()[-1] == "terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.txt", "out.wav"]
    assert out.read_bytes() == b"old output"


@pytest.mark.parametrize("stream", [False, True])
def test_full_stdout_is_a_clear_error(stream):
    args = ["synth", "--bundle", str(STUB_BUNDLE), TEXT, "--out", "-"] + (["--stream"] if stream else [])
    with open("/dev/full", "wb") as full:
        proc = _run(args, stdout=full, stderr=subprocess.PIPE)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert err.decode().strip().splitlines() == [
        "error: cannot write to standard output: No space left on device"
    ]


def test_reference_counted_while_decoding_when_the_header_has_no_length(tmp_path, monkeypatch):
    """A header may lie or say nothing: the samples are counted as they are decoded."""
    from yourtts_onnx.errors import AudioError
    from yourtts_onnx.runtime import audio

    path = write_tone(tmp_path / "clip.wav", 3.0)
    monkeypatch.setattr(audio, "_UNKNOWN_FRAMES", 0)  # treat every header length as unknown
    with pytest.raises(AudioError, match="is longer than 2 s; at most 2 s is used"):
        audio.load_audio(path, max_seconds=2.0)
    samples, rate = audio.load_audio(path, max_seconds=4.0)
    assert samples.size == 3 * rate


def test_library_save_into_a_device_never_replaces_it():
    from yourtts_onnx.errors import InputError
    from yourtts_onnx.runtime.waveform import Audio

    with pytest.raises(InputError, match="No space left on device"):
        Audio(np.zeros(100, dtype=np.float32), 16000).save("/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_sigterm_dropped_inside_a_finalizer_still_terminates(tmp_path, monkeypatch, capsys):
    """Python drops an exception raised while a ``__del__`` runs ("Exception ignored in ..."): a SIGTERM that
    lands there must still keep the output unpublished and the exit code 143 (seen once under load: exit 0)."""
    from yourtts_onnx import cli
    from yourtts_onnx.runtime.atomic import atomic_open

    out = tmp_path / "out.wav"
    out.write_bytes(b"old output")

    class SignalsWhileCollected:
        def __del__(self) -> None:
            os.kill(
                os.getpid(), signal.SIGTERM
            )  # the handler runs here, inside __del__: its exception is dropped

    def command(_args) -> int:
        with atomic_open(out) as fh:
            fh.write(b"new output, half written")
            SignalsWhileCollected()  # collected at once
            fh.write(b" ... and finished")
        return 0

    dropped: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: dropped.append(u.exc_value))
    monkeypatch.setattr(cli, "run", command)
    assert cli.main(["synth", "--bundle", str(STUB_BUNDLE), TEXT, "--out", str(out)]) == 128 + signal.SIGTERM
    assert [type(e).__name__ for e in dropped] == ["Terminated"]  # the exception really was dropped
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"] and out.read_bytes() == b"old output"
    # the record does not outlive the command: the next one publishes
    monkeypatch.undo()
    assert cli.main(["synth", "--bundle", str(STUB_BUNDLE), TEXT, "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"RIFF"
