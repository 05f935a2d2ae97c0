"""``batch --address`` on a two-node Ray cluster started on this machine (``ray start --head`` and a second
``ray start --address`` node with its own CPU, resources, temporary directory and cache): one node's worker
processes are killed mid-run and the run completes with nothing lost or duplicated; the driver is killed
mid-run and a re-run does only the missing items; a re-run of the finished manifest does no synthesis.
The bundle is shipped through Ray's object store (``--ship-bundle always``), so the second node unpacks its
own copy as a machine without the bundle would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_support import LANG_TEXTS, Node, partial_files, read_jsonl, two_node_cluster, write_rows
from yourtts_onnx.batch.runner import bundle_seedable
from yourtts_onnx.runtime import Bundle
from yourtts_onnx.runtime.backends import choose_backend

pytestmark = pytest.mark.ray

ROWS = 100
TEXT = "{base} And a second sentence follows. Then a third one, a little longer than the others, ends it."


def rows() -> list[dict]:
    langs = list(LANG_TEXTS)
    voices = ["VCTK_p225", "female-en-5", "male-pt-3", "VCTK_p226"]
    return [
        {
            "id": f"c{i:03d}",
            "text": TEXT.format(base=LANG_TEXTS[langs[i % 3]].format(i=i)),
            "language": langs[i % 3],
            "voice": voices[i % 4],
        }
        for i in range(ROWS)
    ]


def start_batch(
    bundle: Path, manifest: Path, out: Path, address: str, env: dict, noise: list[str]
) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "yourtts_onnx",
        "batch",
        "--bundle",
        str(bundle),
        "--manifest",
        str(manifest),
        "--out",
        str(out),
        "--address",
        address,
        "--workers",
        "2",
        "--retries",
        "3",
        "--ship-bundle",
        "always",
        *noise,
    ]
    log = (out.parent / f"{out.name}.log").open("ab")
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_files(out: Path, proc: subprocess.Popen, count: int, timeout: float = 180.0) -> None:
    deadline = time.time() + timeout
    wavs = out / "wavs"
    while time.time() < deadline:
        if wavs.is_dir() and sum(1 for _ in wavs.iterdir()) >= count:
            return
        if proc.poll() is not None:
            pytest.fail(f"batch ended (rc {proc.returncode}) before writing {count} files: {log_tail(out)}")
        time.sleep(0.02)
    pytest.fail(f"no {count} files within {timeout} s: {log_tail(out)}")


def busy_workers(node: Node) -> list[int]:
    """The node's batch worker processes working on an item (the title names the method)."""
    return [pid for pid, title in node.worker_titles().items() if title == "ray::BatchWorker.run"]


def wait_for_busy_node(
    second: Node, head: Node, proc: subprocess.Popen, out: Path, timeout: float = 180.0
) -> list[int]:
    """The worker processes of one node while they hold items: the second node's, or the head's if the
    second node's worker has not started by the time a third of the items is done."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = busy_workers(second)
        done = sum(1 for _ in (out / "wavs").iterdir()) if (out / "wavs").is_dir() else 0
        if not busy and done >= ROWS // 3:
            busy = busy_workers(head)
        if busy:
            return busy
        if proc.poll() is not None:
            pytest.fail(
                f"batch ended (rc {proc.returncode}) before a worker could be killed: {log_tail(out)}"
            )
        time.sleep(0.02)
    pytest.fail(f"no batch worker busy within {timeout} s: {log_tail(out)}")


def log_tail(out: Path) -> str:
    log = out.parent / f"{out.name}.log"
    return log.read_text(errors="replace")[-3000:] if log.is_file() else ""


def finish(proc: subprocess.Popen, out: Path, timeout: float = 300.0) -> dict:
    assert proc.wait(timeout=timeout) == 0, log_tail(out)
    return json.loads((out / "summary.json").read_text())


def check_complete(out: Path, expected: list[dict]) -> None:
    meta = read_jsonl(out / "metadata.jsonl")
    assert [m["id"] for m in meta] == [r["id"] for r in expected]  # nothing lost, nothing twice
    assert sorted(p.name for p in (out / "wavs").iterdir()) == sorted(f"{r['id']}.wav" for r in expected)
    assert not partial_files(out) and not (out / ".partial").exists()


def test_two_node_cluster_node_failure_driver_kill_and_resume(live_bundle, tmp_path):
    bundle = Bundle.open(live_bundle)
    noise = (
        []
        if bundle_seedable(bundle, choose_backend(bundle.config.graphs))
        else ["--noise-scale", "0", "--noise-scale-dp", "0"]
    )
    expected = rows()
    manifest = write_rows(tmp_path / "rows.jsonl", expected)
    caches = {"YOURTTS_ONNX_CACHE": str(tmp_path / "cache-head")}
    with two_node_cluster(
        tmp_path / "ray", caches, {"YOURTTS_ONNX_CACHE": str(tmp_path / "cache-second")}
    ) as cluster:
        env = {**cluster.env, **caches}

        # 1. one node's worker processes are killed mid-run: their items are retried, the run completes
        out1 = tmp_path / "out1"
        proc = start_batch(live_bundle, manifest, out1, cluster.address, env, noise)
        victims = wait_for_busy_node(cluster.worker, cluster.head, proc, out1)
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        summary = finish(proc, out1)
        assert (summary["synthesized"], summary["errors"], summary["skipped"]) == (ROWS, 0, 0)
        assert summary["retried"] >= 1 and summary["nodes"] == 2
        assert {w["bundle_source"] for w in summary["workers"]} <= {"shipped", "cache"}
        assert (tmp_path / "cache-second" / "bundles").is_dir()  # the second node unpacked its own copy
        check_complete(out1, expected)

        # 2. the driver is killed mid-run; the re-run does only the missing items
        out2 = tmp_path / "out2"
        proc = start_batch(live_bundle, manifest, out2, cluster.address, env, noise)
        wait_for_files(out2, proc, 4)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert not [p for p in (out2 / "wavs").iterdir() if not p.name.endswith(".wav")]  # no partial files
        done = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out2 / "wavs").iterdir()}
        assert 4 <= len(done) < ROWS, "the driver was not killed mid-run"
        summary = finish(start_batch(live_bundle, manifest, out2, cluster.address, env, noise), out2)
        assert (summary["skipped"], summary["synthesized"], summary["errors"]) == (
            len(done),
            ROWS - len(done),
            0,
        )
        assert {n: (p.stat().st_ino, p.stat().st_mtime_ns) for n in done for p in [out2 / "wavs" / n]} == done
        check_complete(out2, expected)

        # 3. a re-run of the finished manifest does no synthesis (and never connects to Ray)
        summary = finish(start_batch(live_bundle, manifest, out2, cluster.address, env, noise), out2)
        assert (summary["synthesized"], summary["skipped"], summary["workers"]) == (0, ROWS, [])
