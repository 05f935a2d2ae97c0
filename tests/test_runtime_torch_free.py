"""The runtime and its CLI commands work where torch cannot be imported at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from runtime_helpers import FAKE_TORCH, write_tone

ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["runtime_fixtures"]


def _run(code_or_args: list[str], tmp_path: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    fake = tmp_path / "fake_modules"
    fake.mkdir(exist_ok=True)
    (fake / "torch.py").write_text(FAKE_TORCH)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(fake), str(ROOT / "src")])
    env["YOURTTS_ONNX_VOICES"] = str(tmp_path / "voices")
    return subprocess.run(
        [sys.executable, *code_or_args], env=env, cwd=tmp_path, input=stdin, capture_output=True, timeout=120
    )


def test_fake_torch_really_fails(tmp_path):
    proc = _run(["-c", "import torch"], tmp_path)
    assert proc.returncode != 0 and b"deliberately unavailable" in proc.stderr


def test_runtime_import_and_synthesis_without_torch(tmp_path, stub_bundle):
    ref = write_tone(tmp_path / "ref.wav", 1.5)
    code = f"""
import sys
import yourtts_onnx.runtime as rt
from yourtts_onnx.runtime import Synthesizer, Audio
from yourtts_onnx.runtime.text import Tokenizer

pytest_plugins = ["runtime_fixtures"]
synth = Synthesizer.from_bundle({str(stub_bundle)!r})
audio = synth.synthesize("Hello there. Two sentences.", language="en")
emb = synth.embed({str(ref)!r})
chunks = list(synth.stream("One. Two.", noise_scale=0, noise_scale_dp=0, windows=False))
assert "torch" not in sys.modules, "torch was imported"
print(len(audio), emb.shape, len(chunks))
"""
    proc = _run(["-c", code], tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"(512,) 2" in proc.stdout


def test_streaming_within_sentences_without_torch(tmp_path, runtime_tiny_bundle):
    code = f"""
import sys
from yourtts_onnx.runtime import Synthesizer

synth = Synthesizer.from_bundle({str(runtime_tiny_bundle)!r})
chunks = list(synth.stream("A sentence long enough for several windows of frames, surely.", noise_scale=0))
assert synth.streams and "torch" not in sys.modules, "torch was imported"
print(len(chunks))
"""
    proc = _run(["-c", code], tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert int(proc.stdout) > 1  # one sentence, several chunks


def test_cli_without_torch(tmp_path, stub_bundle):
    out = tmp_path / "out.wav"
    proc = _run(
        ["-m", "yourtts_onnx", "synth", "--bundle", str(stub_bundle), "--out", str(out)], tmp_path, b"Hello."
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert out.read_bytes()[:4] == b"RIFF"

    ref = write_tone(tmp_path / "ref.wav", 1.5)
    proc = _run(
        ["-m", "yourtts_onnx", "embed", "--bundle", str(stub_bundle), "--name", "v1", str(ref)], tmp_path
    )
    assert proc.returncode == 0, proc.stderr.decode()
    proc = _run(["-m", "yourtts_onnx", "voices", "--bundle", str(stub_bundle), "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert [v["name"] for v in json.loads(proc.stdout)["saved"]] == ["v1"]
    proc = _run(["-m", "yourtts_onnx", "tokenize", "--bundle", str(stub_bundle), "a"], tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout) == [164, 38, 164]


def test_cli_error_without_torch_is_one_line(tmp_path, stub_bundle):
    proc = _run(
        [
            "-m",
            "yourtts_onnx",
            "synth",
            "--bundle",
            str(stub_bundle),
            "--language",
            "xx",
            "--out",
            "o.wav",
            "Hi.",
        ],
        tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == "error: unknown language 'xx' (known: en, fr-fr, pt-br)"
    assert not (tmp_path / "o.wav").exists()
