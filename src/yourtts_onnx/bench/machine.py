"""The machine a benchmark ran on, and its fp32 peak derived from ``/proc/cpuinfo``.

Peak fp32 FLOP/s = cores x FMA pipes per core x fp32 lanes per pipe x 2 (an FMA is two FLOPs) x clock:

* lanes: 16 with ``avx512f`` on cores with 512-bit FMA pipes; 8 with ``avx``/``avx2`` (and on AMD Zen 4,
  family 25 with ``avx512f``, which runs 512-bit instructions as two 256-bit halves); 4 with SSE only;
* FMA pipes: 2 when the ``fma`` flag is present (Haswell and later, Zen and later), else 1 (separate
  multiply and add units, counted as one FMA);
* clock: ``cpu MHz`` of ``/proc/cpuinfo`` (under a hypervisor, the nominal clock it reports; turbo can make
  the real peak higher, so the "% of peak" figures can exceed what the cores can sustain at that clock);
* cores: the threads the benchmark uses, at most the physical cores.

``--peak-gflops`` overrides the result.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CPUINFO = Path("/proc/cpuinfo")


@dataclass
class CpuInfo:
    model: str = "unknown"
    vendor: str = "unknown"
    family: int | None = None
    cpu_model: int | None = None
    flags: list[str] = field(default_factory=list)
    mhz: float | None = None
    logical_cpus: int = 1
    physical_cores: int = 1

    @classmethod
    def read(cls, path: Path = CPUINFO) -> CpuInfo:
        info = cls(logical_cpus=os.cpu_count() or 1, physical_cores=os.cpu_count() or 1)
        try:
            text = path.read_text()
        except OSError:
            info.model = platform.processor() or platform.machine()
            return info
        first = text.split("\n\n", 1)[0]
        fields = dict(
            (k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in first.splitlines()) if _
        )
        info.model = fields.get("model name", info.model)
        info.vendor = fields.get("vendor_id", info.vendor)
        info.family = int(fields["cpu family"]) if fields.get("cpu family", "").isdigit() else None
        info.cpu_model = int(fields["model"]) if fields.get("model", "").isdigit() else None
        info.flags = sorted(fields.get("flags", "").split())
        mhz = [float(m) for m in re.findall(r"^cpu MHz\s*:\s*([\d.]+)", text, flags=re.M)]
        info.mhz = max(mhz) if mhz else None
        cores = set()
        for block in text.split("\n\n"):
            keys = dict(
                (k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in block.splitlines())
            )
            if "core id" in keys:
                cores.add((keys.get("physical id", "0"), keys["core id"]))
        info.physical_cores = len(cores) or info.logical_cpus
        return info


@dataclass
class Peak:
    gflops: float
    cores: int
    fma_pipes: int
    lanes: int
    ghz: float
    explanation: str


def fp32_lanes(cpu: CpuInfo) -> tuple[int, str]:
    flags = set(cpu.flags)
    zen4 = cpu.vendor == "AuthenticAMD" and cpu.family == 25
    if "avx512f" in flags and not zen4:
        return 16, "avx512f: 512-bit FMA"
    if "avx512f" in flags:
        return 8, "AMD family 25 (Zen 4): avx512f runs as two 256-bit halves"
    if "avx2" in flags or "avx" in flags:
        return 8, "avx/avx2: 256-bit"
    return 4, "SSE: 128-bit"


def fp32_peak(cpu: CpuInfo, threads: int) -> Peak:
    lanes, why = fp32_lanes(cpu)
    pipes = 2 if "fma" in cpu.flags or "avx512f" in cpu.flags else 1
    ghz = (cpu.mhz or 2000.0) / 1000.0
    cores = max(1, min(threads, cpu.physical_cores))
    gflops = cores * pipes * lanes * 2 * ghz
    explanation = (
        f"{cores} cores x {pipes} FMA pipes x {lanes} fp32 lanes ({why}) x 2 FLOP/FMA x {ghz:.3f} GHz "
        f"(cpu MHz from /proc/cpuinfo) = {gflops:.1f} GFLOP/s"
    )
    return Peak(gflops, cores, pipes, lanes, ghz, explanation)


def load_average() -> list[float] | None:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for mod in ("numpy", "onnxruntime", "onnx", "torch"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            continue
    return out


def describe(threads: int, peak_override: float | None = None) -> dict[str, Any]:
    cpu = CpuInfo.read()
    peak = fp32_peak(cpu, threads)
    if peak_override:
        peak.gflops = peak_override
        peak.explanation = f"given with --peak-gflops: {peak_override:g} GFLOP/s"
    interesting = [
        f for f in cpu.flags if f.startswith(("avx", "fma", "f16c", "amx", "sse4")) or f in ("vnni",)
    ]
    return {
        "cpu": {**asdict(cpu), "flags_relevant": interesting},
        "threads": threads,
        "peak_fp32": asdict(peak),
        "versions": versions(),
        "load_average_start": load_average(),
    }
