"""Every user error is a yourtts_onnx.errors exception with a one-line message naming the problem."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from runtime_helpers import write_tone
from yourtts_onnx.errors import AudioError, BundleError, InputError
from yourtts_onnx.runtime import Synthesizer

pytest_plugins = ["runtime_fixtures"]


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert msg and "\n" not in msg
    return msg


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "text is empty"),
        ("   \n\t ", "text is empty"),
        ('"()"', "only symbols that are removed"),
        ("😀 ☃ ★", "unknown characters: '😀'"),
        ("日本語", "nothing the model can pronounce"),
    ],
)
def test_unusable_text(stub_synth, text, pattern):
    with pytest.raises(InputError) as exc:
        stub_synth.synthesize(text)
    assert pattern in _one_line(exc)


def test_unknown_characters_are_dropped_with_a_warning(stub_synth, caplog):
    audio = stub_synth.synthesize("Hello ☃ world.")
    assert len(audio) > 0
    assert "U+2603" in caplog.text


def test_unknown_language_lists_known(stub_synth):
    with pytest.raises(InputError) as exc:
        stub_synth.synthesize("Hello.", language="klingon")
    assert _one_line(exc) == "unknown language 'klingon' (known: en, fr-fr, pt-br)"


def test_unknown_speaker_lists_builtins(stub_synth):
    with pytest.raises(InputError) as exc:
        stub_synth.voices.speaker("nobody")
    assert _one_line(exc) == f"unknown speaker 'nobody' (built-in speakers: {', '.join(stub_synth.speakers)})"


def test_silent_reference(stub_synth, tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(32000, dtype=np.float32), 16000)
    with pytest.raises(AudioError) as exc:
        stub_synth.embed(path)
    assert "silent" in _one_line(exc) and "silence.wav" in str(exc.value)


def test_too_short_reference(stub_synth, tmp_path):
    with pytest.raises(AudioError) as exc:
        stub_synth.embed(write_tone(tmp_path / "short.wav", 0.3))
    assert "too short: 0.30 s" in _one_line(exc)


@pytest.mark.parametrize(
    "content",
    [b"", b"not audio at all", b"RIFF\x00\x00\x00\x00WAVEfmt garbage", bytes(range(256)) * 10],
    ids=["empty", "text", "truncated-wav", "binary"],
)
def test_corrupt_reference(stub_synth, tmp_path, content):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError) as exc:
        stub_synth.embed(path)
    assert "bad.wav" in _one_line(exc)


def test_missing_reference(stub_synth, tmp_path):
    with pytest.raises(AudioError, match="does not exist"):
        stub_synth.embed(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="no reference audio"):
        stub_synth.embed([])


def test_bundle_missing_file(copy_bundle):
    root = copy_bundle()
    (root / "model.onnx").unlink()
    with pytest.raises(BundleError) as exc:
        Synthesizer.from_bundle(root)
    assert "missing file 'model.onnx'" in _one_line(exc)


def test_bundle_hash_mismatch(copy_bundle):
    root = copy_bundle()
    with (root / "speakers.npy").open("r+b") as fh:
        fh.seek(-4, 2)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(BundleError) as exc:
        Synthesizer.from_bundle(root)
    assert "SHA-256 mismatch" in _one_line(exc)
    Synthesizer.from_bundle(root, integrity="none")  # an explicit opt-out
    with pytest.raises(BundleError, match="SHA-256 mismatch"):  # the verified stamp never hides a change
        Synthesizer.from_bundle(root)


def test_bundle_corrupt_graph_without_hash_check(copy_bundle):
    root = copy_bundle()
    size = (root / "model.onnx").stat().st_size
    (root / "model.onnx").write_bytes(b"garbage".ljust(size, b"\0"))
    with pytest.raises(BundleError, match="cannot load ONNX graph"):
        Synthesizer.from_bundle(root, integrity="none", backend="model")


def test_bundle_not_a_bundle(tmp_path):
    with pytest.raises(BundleError, match="not found"):
        Synthesizer.from_bundle(tmp_path / "nothing")
    with pytest.raises(BundleError, match=r"no config\.json"):
        Synthesizer.from_bundle(tmp_path)


def test_bundle_without_speaker_encoder_cannot_clone(copy_bundle, tmp_path):
    root = copy_bundle()
    cfg = json.loads((root / "config.json").read_text())
    del cfg["graphs"]["speaker_encoder"], cfg["files"]["speaker_encoder.onnx"]
    cfg["speaker_encoder"] = None
    (root / "config.json").write_text(json.dumps(cfg))
    (root / "speaker_encoder.onnx").unlink()
    synth = Synthesizer.from_bundle(root)
    assert not synth.can_clone
    with pytest.raises(BundleError, match="cannot clone"):
        synth.embed(write_tone(tmp_path / "a.wav", 1.0))
    assert len(synth.synthesize("Still speaks.")) > 0


def test_unwritable_output(stub_synth, tmp_path):
    audio = stub_synth.synthesize("Hi.")
    with pytest.raises(InputError, match="does not exist"):
        audio.save(tmp_path / "missing" / "out.wav")
    with pytest.raises(InputError, match="is a directory"):
        audio.save(tmp_path)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        audio.save(a_file / "out.wav")


_SAVE_IN_NAMESPACE = """
import json, os, sys
from yourtts_onnx.errors import YourTTSError
from yourtts_onnx.runtime import Synthesizer

audio = Synthesizer.from_bundle(sys.argv[1]).synthesize("Hi.")
report = {}
for directory in sys.argv[2:]:
    try:
        audio.save(os.path.join(directory, "out.wav"))
        error = None
    except YourTTSError as exc:
        error = str(exc)
    report[directory] = {"error": error, "left": os.listdir(directory)}
print(json.dumps(report))
"""


def test_unwritable_and_full_directories_even_as_root(tmp_path):
    """A read-only file system and a full one (ENOSPC), as tmpfs mounts in a private user and mount
    namespace (``unshare -rm``): permissions alone cannot refuse root, a read-only mount can. Each save fails
    with one clear line and leaves nothing behind (no temporary file)."""
    import json
    import shutil
    import subprocess
    import sys

    from conftest import STUB_BUNDLE

    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("no private mount namespace here (unshare -rm failed): user namespaces are disabled")
    ro, full = tmp_path / "ro", tmp_path / "full"
    ro.mkdir()
    full.mkdir()
    script = tmp_path / "save.py"
    script.write_text(_SAVE_IN_NAMESPACE)
    # 4 KiB of tmpfs: the stub's "Hi." is ~14 KB of WAV
    shell = (
        f"mount -t tmpfs -o ro,size=16k tmpfs '{ro}' && mount -t tmpfs -o size=4k tmpfs '{full}' && "
        f"exec '{sys.executable}' '{script}' '{STUB_BUNDLE}' '{ro}' '{full}'"
    )
    proc = subprocess.run([unshare, "-rm", "sh", "-c", shell], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report[str(ro)] == {
        "error": f"cannot write '{ro / 'out.wav'}': directory '{ro}' is not writable",
        "left": [],
    }
    assert report[str(full)] == {
        "error": f"cannot write '{full / 'out.wav'}': No space left on device",
        "left": [],
    }


def test_bad_ids_for_synthesize_ids(stub_bundle):
    stub_synth = Synthesizer.from_bundle(stub_bundle, backend="model")
    emb = stub_synth.voices.speaker(stub_synth.speakers[0])
    with pytest.raises(InputError, match="lengths"):
        stub_synth.synthesize_ids([[1, 2, 3]], [5], emb, [0], [0, 1, 0])
    with pytest.raises(InputError, match="scales"):
        stub_synth.synthesize_ids([[1, 2, 3]], [3], emb, [0], [0, 1])
