"""Helpers for the ``batch`` tests: manifests, a local Ray, a two-node Ray cluster on this machine, a worker
that fails on purpose, and reading a batch output directory back.

Everything stays on this machine: Ray nodes advertise 127.0.0.1, token authentication with a per-test token,
no dashboard, no usage statistics.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from conftest import ROOT
from yourtts_onnx.batch.worker import BatchWorker, Job, JobResult

SRC = ROOT / "src"
TESTS = ROOT / "tests"
FAULTS_ENV = "YOURTTS_BATCH_TEST_FAULTS"

LANG_TEXTS = {
    "en": "Hello there, this is item number {i}. It has two sentences.",
    "fr-fr": "Bonjour, voici la phrase numéro {i}.",
    "pt-br": "Olá, esta é a frase número {i}.",
}


def ray_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for Ray processes started by a test: this checkout importable, stats off, a token."""
    env = dict(os.environ)
    paths = [str(SRC), str(TESTS), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    env.setdefault("RAY_AUTH_MODE", "token")
    env.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
    env.update(extra or {})
    return env


@contextlib.contextmanager
def local_ray(faults_dir: Path) -> Iterator[object]:
    """A local Ray (2 CPUs) for a test module; ``run_batch`` uses it instead of starting its own."""
    saved = dict(os.environ)
    os.environ.update(ray_env({FAULTS_ENV: str(faults_dir)}))
    from yourtts_onnx.batch.pool import import_ray

    ray = import_ray(local=True)
    temp = tempfile.mkdtemp(prefix="yt-ray-")
    try:
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            object_store_memory=128 << 20,
            _temp_dir=temp,
            log_to_driver=False,
        )
        yield ray
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
        os.environ.clear()
        os.environ.update(saved)


class FlakyWorker(BatchWorker):
    """Fails on purpose, driven by ``$YOURTTS_BATCH_TEST_FAULTS/faults.json``: ``{"crash": [ids],
    "poison": [ids]}``. The first attempt at a ``crash`` id kills the worker process (a marker file makes
    it once per id); a ``poison`` id raises every time."""

    def run(self, job: Job) -> JobResult:
        root = Path(os.environ[FAULTS_ENV])
        faults = json.loads((root / "faults.json").read_text()) if (root / "faults.json").is_file() else {}
        if job.id in faults.get("poison", []):
            raise RuntimeError(f"poisoned item {job.id}")
        if job.id in faults.get("crash", []):
            marker = root / f"crashed-{job.id}"
            with contextlib.suppress(FileExistsError):
                marker.touch(exist_ok=False)
                os._exit(3)
        return super().run(job)


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_pcm(path: Path) -> np.ndarray:
    data, _ = sf.read(path, dtype="int16")
    return data


def partial_files(out: Path) -> list[Path]:
    """Temporary files anywhere in the output (a killed run may leave them only in ``.partial``)."""
    return [p for p in out.rglob("*") if p.name.endswith(".tmp")]


# -- a two-node cluster on this machine ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ray_cli() -> str:
    return str(Path(sys.executable).with_name("ray"))


@dataclass
class Node:
    process: subprocess.Popen
    temp_dir: Path

    def descendants(self) -> list[int]:
        """Process ids under this node's ``ray start`` (raylet, agents, workers), from /proc."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
        out, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            for child in children.get(pid, []):
                out.append(child)
                todo.append(child)
        return out

    def worker_titles(self) -> dict[int, str]:
        """This node's Ray worker processes and their titles (``ray::IDLE``, ``ray::BatchWorker.run``...)."""
        titles = {}
        for pid in self.descendants():
            with contextlib.suppress(OSError):
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
                if cmd.startswith("ray::") and not cmd.startswith(("ray::DashboardAgent", "ray::RuntimeEnv")):
                    titles[pid] = cmd
        return titles


@dataclass
class Cluster:
    address: str
    env: dict[str, str]
    head: Node
    worker: Node


def _start_node(args: list[str], env: dict[str, str], temp_dir: Path, log: Path) -> Node:
    temp_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        _ray_cli(),
        "start",
        "--block",
        "--node-ip-address=127.0.0.1",
        "--num-cpus=1",
        "--disable-usage-stats",
        f"--object-store-memory={100 << 20}",
        f"--temp-dir={temp_dir}",
        *args,
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    return Node(proc, temp_dir)


def _stop_node(node: Node) -> None:
    """SIGTERM the node's ``ray start --block`` (it stops its processes), then SIGKILL what is left."""
    pids = node.descendants()
    if node.process.poll() is None:
        node.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.process.wait(timeout=15)
    for pid in [node.process.pid, *pids]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        node.process.wait(timeout=5)


def wait_for_nodes(address: str, env: dict[str, str], nodes: int, timeout: float = 120.0) -> None:
    """Wait until ``nodes`` nodes are alive (asked through a short-lived driver)."""
    code = (
        "import ray, sys, time\n"
        f"ray.init(address={address!r}, log_to_driver=False)\n"
        f"deadline = time.time() + {timeout}\n"
        f"while sum(n['Alive'] for n in ray.nodes()) < {nodes} and time.time() < deadline: time.sleep(0.5)\n"
        f"sys.exit(0 if sum(n['Alive'] for n in ray.nodes()) >= {nodes} else 1)\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, timeout=timeout + 60, capture_output=True
    )


@contextlib.contextmanager
def two_node_cluster(
    base: Path, extra_env: dict[str, str] | None = None, second_env: dict[str, str] | None = None
) -> Iterator[Cluster]:
    """``ray start --head`` and a second ``ray start --address`` node, 1 CPU each, in temporary directories
    under ``base``; both torn down at the end, whatever happens. ``second_env``: more variables for the
    second node only (e.g. its own cache directory, as on another machine)."""
    env = ray_env(extra_env)
    base.mkdir(parents=True, exist_ok=True)
    short = Path(tempfile.mkdtemp(prefix="ytr-"))  # Ray's socket paths must stay under 108 bytes
    port = free_port()
    address = f"127.0.0.1:{port}"
    nodes: list[Node] = []
    try:
        head = _start_node(
            [f"--port={port}", "--head", "--include-dashboard=false", '--resources={"head": 1}'],
            env,
            short / "h",
            base / "head.log",
        )
        nodes.append(head)
        deadline = time.time() + 90
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if head.process.poll() is not None:
                raise RuntimeError(f"ray head exited: {(base / 'head.log').read_text()[-2000:]}")
            time.sleep(0.3)
        worker = _start_node(
            [f"--address={address}", '--resources={"second": 1}'],
            {**env, **(second_env or {})},
            short / "s",
            base / "second.log",
        )
        nodes.append(worker)
        wait_for_nodes(address, env, 2)
        yield Cluster(address, env, head, worker)
    finally:
        for node in reversed(nodes):
            _stop_node(node)
        shutil.rmtree(short, ignore_errors=True)
