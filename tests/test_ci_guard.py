"""The CI guard (tests/ci_guard.py) itself: a real pytest run on a tiny test file, with and without CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

MISSING = "yourtts_no_such_module_xyz"


def run_pytest(tmp_path: Path, body: str, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_tiny.py").write_text(body)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "ci_guard", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip


MODULE_LEVEL = (
    f'import pytest\npytest.importorskip("{MISSING}", reason="optional")\n\ndef test_a():\n    pass\n'
)
IN_TEST = (
    "import pytest\n\n"
    f'def test_b():\n    pytest.importorskip("{MISSING}")\n\n'
    'def test_c():\n    pytest.skip("no chromium here")\n\n'
    'def test_d():\n    pytest.skip("no private mount namespace here")\n\n'
    "def test_e():\n    pass\n"
)


def test_a_missing_module_fails_under_ci_naming_it(tmp_path):
    r = run_pytest(tmp_path, MODULE_LEVEL, ci="true")
    assert r.returncode != 0, r.stdout
    assert f"required module '{MISSING}' cannot be imported" in r.stdout, r.stdout


def test_every_unlisted_skip_fails_under_ci_listed_ones_skip(tmp_path):
    r = run_pytest(tmp_path, IN_TEST, ci="1")
    assert r.returncode == 1, r.stdout
    assert "2 failed, 1 passed, 1 skipped" in r.stdout, r.stdout
    assert f"FAILED test_tiny.py::test_b - Failed: CI: required module '{MISSING}'" in r.stdout, r.stdout
    assert "FAILED test_tiny.py::test_c" in r.stdout and "no chromium here" in r.stdout


def test_outside_ci_skips_stay_skips(tmp_path):
    # exit status 5: nothing ran (the module skipped whole)
    for body, summary, rc in ((MODULE_LEVEL, "1 skipped", 5), (IN_TEST, "1 passed, 3 skipped", 0)):
        for ci in (None, "false"):
            r = run_pytest(tmp_path, body, ci=ci)
            assert r.returncode == rc, r.stdout
            assert summary in r.stdout, r.stdout
