"""Fixtures for the runtime and CLI tests; a test module enables them with

    pytest_plugins = ["runtime_fixtures"]

(plain helpers live in ``runtime_helpers``).

* ``stub_bundle`` / ``stub_synth``: the committed micro bundle (``tests/data/stub_bundle``), no torch.
* ``runtime_tiny_bundle`` / ``tiny_synth``: each reference checkpoint exported once per session (conftest's
  ``tiny_bundle``, parametrized over both references; torch needed), for parity with Coqui's golden outputs;
  ``synth_for(name)`` for tests parametrized by golden case.
* ``voices_dir``: an empty voices directory, also set as ``$YOURTTS_ONNX_VOICES``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import STUB_BUNDLE


@pytest.fixture(scope="session")
def stub_bundle() -> Path:
    if not (STUB_BUNDLE / "config.json").is_file():
        pytest.fail(
            f"stub bundle missing: run .venv/bin/python tests/generate_stub_bundle.py (expected {STUB_BUNDLE})"
        )
    return STUB_BUNDLE


@pytest.fixture(scope="session")
def stub_synth(stub_bundle):
    from yourtts_onnx.runtime import Synthesizer

    return Synthesizer.from_bundle(stub_bundle, threads=1)


@pytest.fixture(scope="session")
def runtime_tiny_bundle(tiny_bundle: Path) -> Path:
    """The reference checkpoint's bundle, exported and verified once per session (conftest)."""
    return tiny_bundle


@pytest.fixture(scope="session")
def tiny_synth(runtime_tiny_bundle):
    from yourtts_onnx.runtime import Synthesizer

    return Synthesizer.from_bundle(runtime_tiny_bundle, threads=2)


@pytest.fixture(scope="session")
def synth_for(reference_bundles):
    """``synth_for(reference_name)``: a Synthesizer on that reference's bundle (for tests parametrized by
    golden case, which name their reference themselves)."""
    from yourtts_onnx.runtime import Synthesizer

    made: dict = {}

    def make(name: str):
        if name not in made:
            made[name] = Synthesizer.from_bundle(reference_bundles(name), threads=2)
        return made[name]

    return make


@pytest.fixture
def voices_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "voices"
    monkeypatch.setenv("YOURTTS_ONNX_VOICES", str(d))
    return d


@pytest.fixture
def copy_bundle(tmp_path, stub_bundle):
    """A writable copy of the stub bundle (for corrupting it)."""

    def make() -> Path:
        dest = tmp_path / "bundle"
        shutil.copytree(stub_bundle, dest)
        return dest

    return make
