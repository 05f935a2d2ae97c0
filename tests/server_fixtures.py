"""Fixtures for the server tests; a test module loads them with ``pytest_plugins = ["server_fixtures"]``.

* ``server_synth``: a :class:`Synthesizer` over the committed stub bundle (no torch, loads in well under
  a second); it has built-in speakers, three languages and a speaker encoder.
"""

from __future__ import annotations

import pytest

from conftest import STUB_BUNDLE


@pytest.fixture(scope="session")
def server_synth():
    if not (STUB_BUNDLE / "config.json").is_file():
        pytest.fail(f"stub bundle missing: expected {STUB_BUNDLE} (tests/generate_stub_bundle.py writes it)")
    from yourtts_onnx.runtime import Synthesizer

    return Synthesizer.from_bundle(STUB_BUNDLE, threads=1)
