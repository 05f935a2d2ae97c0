"""Cold start and peak RSS of the CLI process itself: a new ``yourtts-onnx`` process per run, timed from the
spawn to the first byte read from its standard output (for ``synth --stream --out -`` that byte is the WAV
header, written together with the first audio chunk) and to its exit; its peak RSS is the child's
``ru_maxrss`` from ``wait4``.

Linux records in a child's ``ru_maxrss`` the resident size of the process it was forked from (the high-water
mark of the address space ``exec`` replaces). Forked from the benchmark (hundreds of MB with torch and a dozen
sessions loaded) every child would report at least that. So the runs are made by a small coordinator process,
``python -m yourtts_onnx.bench.cli_probe`` (standard library only, ~10 MB, its size recorded), which reads
the run list as JSON on stdin and prints the results as JSON: a child's figure is then its own peak, or the
coordinator's size if that were larger.

Repetitions are interleaved (each round runs every configuration once, in a rotated order) after one untimed
warm-up start per configuration (page cache, verified stamps, saved optimised graphs when asked for).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import Any

SUMMARISED = ("first_byte_s", "exit_s", "maxrss_mb")


def spawn_once(argv: Sequence[str], env: Mapping[str, str]) -> dict[str, Any]:
    """Run ``argv`` once; times are seconds from just before the spawn."""
    with tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=dict(env)
        )
        stdout = proc.stdout
        if stdout is None:  # never: stdout=PIPE
            raise RuntimeError("no pipe from the child")
        fd = stdout.fileno()
        first: float | None = None
        head = b""
        size = 0
        while block := os.read(fd, 1 << 16):
            if first is None:
                first = time.monotonic() - t0
            if len(head) < 4:
                head += block[: 4 - len(head)]
            size += len(block)
        _, status, usage = os.wait4(proc.pid, 0)
        exit_s = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.close()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {
        "first_byte_s": first,
        "exit_s": exit_s,
        "maxrss_mb": usage.ru_maxrss / 1024.0,  # kilobytes on Linux
        "stdout_bytes": size,
        "stdout_head": head.decode("latin-1"),
        "returncode": proc.returncode,
        "stderr_tail": stderr[-2000:],
    }


def _summary(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "samples": values}


def _vmrss_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def run_all(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec``: ``{"configs": [{"label", "argv"}], "reps": n, "warmup": bool, "env": {...}}``."""
    configs = list(spec["configs"])
    env = {**os.environ, **spec.get("env", {})}
    runs: dict[str, list[dict[str, Any]]] = {c["label"]: [] for c in configs}
    failures: list[str] = []

    def once(config: Mapping[str, Any]) -> dict[str, Any]:
        run = spawn_once(config["argv"], env)
        if run["returncode"] != 0 or run["first_byte_s"] is None:
            failures.append(
                f"{config['label']}: exit {run['returncode']}: {run['stderr_tail'].strip()[-500:]}"
            )
        return run

    if spec.get("warmup", True):
        for config in configs:
            once(config)
    for rep in range(int(spec["reps"])):
        for config in configs[rep % len(configs) :] + configs[: rep % len(configs)]:
            runs[config["label"]].append(once(config))
    out: dict[str, Any] = {"coordinator_vmrss_mb": _vmrss_mb(), "failures": failures, "configs": {}}
    for config in configs:
        r = runs[config["label"]]
        out["configs"][config["label"]] = {
            "argv": list(config["argv"]),
            "runs": r,
            **{
                k: _summary([x[k] for x in r if x[k] is not None])
                for k in SUMMARISED
                if any(x[k] is not None for x in r)
            },
        }
    return out


def run_cli_probes(
    configs: Sequence[Mapping[str, Any]], reps: int, env: Mapping[str, str], *, warmup: bool = True
) -> dict[str, Any]:
    """Run the configurations from a fresh coordinator process (see the module doc); raises ``RuntimeError``
    when a run fails."""
    spec = {"configs": list(configs), "reps": reps, "warmup": warmup, "env": dict(env)}
    proc = subprocess.run(
        [sys.executable, "-m", "yourtts_onnx.bench.cli_probe"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"CLI probe coordinator failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    result = json.loads(proc.stdout)
    if result["failures"]:
        raise RuntimeError("CLI runs failed:\n" + "\n".join(result["failures"]))
    return result


def cli_command() -> list[str]:
    """How a user starts the CLI: the ``yourtts-onnx`` script beside this interpreter, else ``python -m``."""
    script = os.path.join(os.path.dirname(sys.executable), "yourtts-onnx")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "yourtts_onnx"]


def main() -> int:
    print(json.dumps(run_all(json.load(sys.stdin))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
