"""The package as users install it: a wheel built from this repository, installed into a fresh virtual
environment with the runtime dependencies only (no torch), runs the CLI on the stub bundle."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, STUB_BUNDLE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("yourtts_onnx-*.whl")
    return path


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "yourtts_onnx/schemas/bundle_config.schema.json" in names
    assert "yourtts_onnx/py.typed" in names
    assert any(n.startswith("yourtts_onnx/server/static/") for n in names)
    assert not any(n.startswith("tests/") for n in names)
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    requires = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [r for r in requires if "extra ==" not in r]
    assert runtime and not any("torch" in r for r in runtime), runtime
    assert any("torch" in r and 'extra == "export"' in r for r in requires)


def test_wheel_installs_and_speaks_without_torch(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    out = tmp_path / "hello.wav"
    proc = subprocess.run(
        [
            str(env_dir / "bin" / "yourtts-onnx"),
            "synth",
            "--bundle",
            str(STUB_BUNDLE),
            "-o",
            str(out),
            "Hello.",
        ],
        capture_output=True,
        env={"PATH": str(env_dir / "bin"), "HOME": str(tmp_path), "YOURTTS_ONNX_CACHE": str(tmp_path / "c")},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert out.read_bytes()[:4] == b"RIFF"
    check = subprocess.run([str(py), "-c", "import torch"], capture_output=True)
    assert check.returncode != 0  # the runtime pulled in no torch
