"""A new process's start-up: parsing the command line (every command registers its flags) imports nothing
heavy. numpy + onnxruntime cost ~0.1 s of every CLI call; they come in with the command that needs them.
(A regression through ``server/settings.py`` once made ``--version`` 0.15 s instead of 0.07 s.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ["numpy", "onnxruntime", "fastapi", "uvicorn", "wyoming", "ray", "torch", "soundfile", "soxr"]


def imported_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv", [["--version"], ["serve", "--help"], ["wyoming", "--help"], ["batch", "--help"], ["synth", "-h"]]
)
def test_parsing_the_command_line_imports_nothing_heavy(argv):
    code = (
        "import contextlib, io\n"
        "from yourtts_onnx.cli import parse_args\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    parse_args({argv!r})"
    )
    assert imported_after(code) == []


def test_the_probe_sees_a_heavy_import():  # negative control: the same probe flags the runtime's options
    assert imported_after("import yourtts_onnx.runtime.options") == ["numpy", "onnxruntime"]
