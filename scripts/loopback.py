"""Loopback helpers shared by the scripts that start servers as subprocesses (soak.py, capacity.py,
wyoming_latency.py)."""

from __future__ import annotations

import socket
import subprocess
import time

HOST = "127.0.0.1"  # loopback only


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen, timeout: float, name: str | None = None) -> None:
    """Return once something listens on ``port``; stop the script if ``proc`` exits or ``timeout`` passes.
    ``name``: the server in messages (default: the yourtts-onnx command ``proc`` runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"a server exited at start-up ({name or proc.args[3]}), code {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {HOST}:{port} after {timeout} s")
