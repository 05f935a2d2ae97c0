"""Hostile input to ``batch``: reference recordings and profiles checked for size before they are read, a
crafted ``.npy`` voice as one row's error (not a traceback), each row's error naming its own path, no empty
``.partial`` after a refused run, a ``.partial`` the user filled is not emptied, and SIGTERM once Ray is up
(exit 143, ``interrupted: true``; a real signal to a real process, slow)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_support import ray_env, write_rows
from test_hostile_npy import crafted_npy
from yourtts_onnx.batch.items import ItemPlanner, RunIdentity
from yourtts_onnx.batch.manifest import read_manifest
from yourtts_onnx.batch.outputs import OutputDir
from yourtts_onnx.batch.voices import VoiceResolver
from yourtts_onnx.cli import main
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime import Bundle, SynthesisOptions, Voices

pytestmark = pytest.mark.ray

pytest_plugins = ["runtime_fixtures"]


@pytest.fixture
def plan_rows(stub_bundle, tmp_path):
    def plan(rows: list[dict]):
        manifest = write_rows(tmp_path / "m.jsonl", rows)
        bundle = Bundle.open(stub_bundle)
        resolver = VoiceResolver(Voices(bundle, tmp_path / "voices"), tmp_path)
        identity = RunIdentity("sha", "model", "wav", bundle.config.sample_rate)
        return ItemPlanner(bundle, resolver, SynthesisOptions(), identity).plan(read_manifest(manifest))

    return plan


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)  # nothing on disk: reading it whole would still cost `size` bytes of memory
    return path


def test_huge_recording_and_profile_are_refused_before_reading(tmp_path, plan_rows):
    _sparse(tmp_path / "huge.wav", 2 << 30)
    _sparse(tmp_path / "huge.json", 734 << 20)
    plan = plan_rows(
        [{"id": "a", "text": "Hi.", "voice": "huge.wav"}, {"id": "b", "text": "Hi.", "voice": "huge.json"}]
    )
    reasons = {e.id: e.reason for e in plan.errors}
    assert f"huge.wav' is {2 << 30} bytes; at most {256 << 20}" in reasons["a"]
    assert f"huge.json' is {734 << 20} bytes; at most" in reasons["b"]


def test_a_crafted_npy_voice_is_its_rows_error(tmp_path, plan_rows):
    crafted_npy(tmp_path / "evil.npy", (10**13,))
    plan = plan_rows([{"id": "bad", "text": "Hi.", "voice": "evil.npy"}, {"id": "good", "text": "Hello."}])
    assert [i.id for i in plan.items] == ["good"]
    (error,) = plan.errors
    assert error.id == "bad" and "declares 10000000000000 values" in error.reason


def test_each_rows_error_names_its_own_path(tmp_path, plan_rows):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "noise.wav").write_bytes(b"not audio at all" * 10)
    plan = plan_rows(
        [
            {"id": "a", "text": "Hi.", "voice": "sub/noise.wav"},
            {"id": "b", "text": "Hi.", "voice": "sub/../sub/noise.wav"},
        ]
    )
    reasons = {e.id: e.reason for e in plan.errors}
    assert "sub/noise.wav" in reasons["a"] and "sub/../sub/noise.wav" not in reasons["a"]
    assert "sub/../sub/noise.wav" in reasons["b"]


def test_the_same_voice_written_two_ways_keeps_each_rows_label(tmp_path, plan_rows, stub_bundle):
    import numpy as np

    voices = Voices(Bundle.open(stub_bundle), tmp_path / "voices")
    (tmp_path / "sub").mkdir()
    np.save(tmp_path / "sub" / "v.npy", voices.speaker(voices.builtin_names()[0]))
    plan = plan_rows(
        [
            {"id": "a", "text": "Hi.", "voice": "sub/v.npy"},
            {"id": "b", "text": "Hi.", "voice": "sub/../sub/v.npy"},
        ]
    )
    assert {i.id: i.voice for i in plan.items} == {"a": "sub/v.npy", "b": "sub/../sub/v.npy"}


def test_a_refused_run_leaves_no_partial_directory(stub_bundle, tmp_path, capsys):
    manifest = write_rows(tmp_path / "m.jsonl", [{"text": "Hi."}])
    out = tmp_path / "o"
    rc = main(["batch", "--bundle", str(stub_bundle), "--backend", "model", "--manifest", str(manifest),
               "--out", str(out)])  # fmt: skip
    assert rc == InputError.exit_code and "reproducible noise" in capsys.readouterr().err
    assert not (out / ".partial").exists()


def test_a_partial_directory_holding_user_files_is_not_emptied(tmp_path):
    out = OutputDir(tmp_path / "out", "wav")
    out.prepare()
    (out.partial / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"holds files batch did not write \(notes\.txt\)"):
        out.prepare()
    assert (out.partial / "notes.txt").read_text() == "mine"


def test_recording_that_is_a_fifo_is_refused_without_hanging(tmp_path, plan_rows):
    os.mkfifo(tmp_path / "pipe.wav")
    plan = plan_rows([{"id": "a", "text": "Hi.", "voice": "pipe.wav"}])
    (error,) = plan.errors
    assert "is not a file" in error.reason


@pytest.mark.slow
def test_sigterm_once_ray_is_up_finalises_and_exits_143(stub_bundle, tmp_path):
    rows = [
        {"id": f"r{i:04d}", "text": "This is a long enough sentence to take a moment. " * 3}
        for i in range(1500)
    ]
    manifest = write_rows(tmp_path / "m.jsonl", rows)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "yourtts_onnx", "batch", "--bundle", str(stub_bundle), "--manifest",
           str(manifest), "--out", str(out), "--workers", "1", "--noise-scale", "0", "--noise-scale-dp", "0"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=ray_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "wavs").is_dir() and any((out / "wavs").iterdir()):
                break  # Ray is up and results are coming
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        _stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    assert 0 < summary["synthesized"] < len(rows)
    assert not (out / ".partial").exists()
