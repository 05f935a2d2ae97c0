"""Schemathesis (the ``st`` command line, as a user runs it) against ``/openapi.json`` of a loopback server
with an API key (non-ASCII): every check, every phase (coverage, fuzzing, stateful), a few hundred requests
in well under a minute, zero failures. ``schemathesis_hooks`` keeps positive cases within the two rules a
JSON schema cannot state (pronounceable text, real audio uploads); see its docstring."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, STUB_BUNDLE
from server_support import live_server, make_app

pytest_plugins = ["server_fixtures"]

pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

API_KEY = "clé-secrète"
MAX_TEXT = 300


@pytest.mark.slow
def test_schemathesis_finds_nothing(server_synth, tmp_path):
    import yourtts_onnx

    app = make_app(server_synth, tmp_path, api_key=API_KEY, max_text_chars=MAX_TEXT, timeout=20.0)
    src = Path(yourtts_onnx.__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(src)]),
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "YOURTTS_ONNX_TEST_BUNDLE": str(STUB_BUNDLE),
        "YOURTTS_ONNX_TEST_MAX_TEXT": str(MAX_TEXT),
    }
    with live_server(app) as url:
        result = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
                "--checks", "all",
                "--max-examples", "8",
                "--seed", "20240611",
                "--workers", "1",
                "--request-timeout", "30",
                "--header", f"X-API-Key: {API_KEY}",
                "--no-color",
            ],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    # the server's log (e.g. a warning per dropped character of a generated text) is not the report
    report = result.stdout + "".join(
        line for line in result.stderr.splitlines(keepends=True) if not line.startswith("dropped ")
    )
    summary = re.search(r"(\d+) generated, (\d+) passed", report)
    assert result.returncode == 0 and summary, report[-6000:]
    generated, passed = int(summary.group(1)), int(summary.group(2))
    assert generated == passed and generated >= 200, report[-3000:]
    assert "401 Unauthorized (" not in report, report[-3000:]  # the key (non-ASCII) was accepted
