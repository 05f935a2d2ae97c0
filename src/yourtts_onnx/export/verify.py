"""Numerical verification of exported graphs against PyTorch.

For every graph, in order: input names (a graph that lacks an input cannot be fed, so this one ends the
graph's check), output names, declared dynamic axes, then for each point of the validation grid (several
batch sizes and lengths, all languages): output shapes, max-abs error, SNR in dB and (for waveforms) length
agreement. All other failures are collected, none stops the others.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from yourtts_onnx.export.graphs import ExportSpec
from yourtts_onnx.export.onnx_export import declared_dynamic_axes
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.similarity import snr_db

log = logging.getLogger(__name__)


@dataclass
class CaseResult:
    inputs: str  # short description of the input shapes
    max_abs: float
    snr_db: float
    lengths_equal: bool | None


@dataclass
class GraphReport:
    graph: str
    atol: float
    cases: list[CaseResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def max_abs(self) -> float:
        return max((c.max_abs for c in self.cases), default=float("nan"))

    @property
    def min_snr_db(self) -> float:
        return min((c.snr_db for c in self.cases), default=float("nan"))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(ok=self.ok, max_abs=self.max_abs, min_snr_db=self.min_snr_db)
        return d


def _describe(inputs: dict[str, np.ndarray]) -> str:
    return ", ".join(f"{k}{list(v.shape)}" for k, v in inputs.items() if v.ndim >= 1 and k != "scales")


def verify_graph(
    spec: ExportSpec, path: Path, *, grid: list[dict[str, np.ndarray]] | None = None
) -> GraphReport:
    report = GraphReport(spec.name, spec.atol)
    session = create_session(path, CPU_OPTIONS)

    inputs = [i.name for i in session.get_inputs()]
    if inputs != spec.input_names:
        report.failures.append(f"{spec.name}: input names {inputs} != declared {spec.input_names}")
        return report  # the grid cannot be fed
    names = [o.name for o in session.get_outputs()]
    if names != spec.output_names:
        report.failures.append(f"{spec.name}: output names {names} != declared {spec.output_names}")
    declared = declared_dynamic_axes(path)
    for tensor, axes in spec.dynamic_axes.items():
        if declared.get(tensor) != axes:
            report.failures.append(
                f"{spec.name}: '{tensor}' dynamic axes {declared.get(tensor)} != declared {axes}"
            )

    module = spec.build().eval()
    for inputs in grid if grid is not None else spec.grid():
        ordered = [torch.from_numpy(np.ascontiguousarray(inputs[n])) for n in spec.input_names]
        with torch.no_grad():
            expected = module(*ordered)
        expected_list = [expected] if isinstance(expected, torch.Tensor) else list(expected)
        got = session.run(None, {n: inputs[n] for n in spec.input_names})
        desc = _describe(inputs)
        case_err, case_snr, lengths_equal = 0.0, math.inf, None
        for name, want_t, have in zip(spec.output_names, expected_list, got, strict=True):
            want = want_t.numpy()
            if want.shape != have.shape:
                report.failures.append(
                    f"{spec.name} [{desc}]: '{name}' shape {list(have.shape)} != torch {list(want.shape)}"
                )
                continue
            if want.dtype.kind in "iu":
                equal = bool(np.array_equal(want, have))
                lengths_equal = equal if lengths_equal is None else lengths_equal and equal
                if not equal:
                    report.failures.append(
                        f"{spec.name} [{desc}]: '{name}' {have.tolist()} != torch {want.tolist()}"
                    )
                continue
            err = float(np.abs(want - have).max()) if want.size else 0.0
            case_err = max(case_err, err)
            case_snr = min(case_snr, snr_db(want, have))
            if not err <= spec.atol:
                report.failures.append(
                    f"{spec.name} [{desc}]: '{name}' max-abs {err:.3g} > atol {spec.atol:g}"
                )
        log.info("%s [%s]: max-abs %.3g, SNR %.1f dB", spec.name, desc, case_err, case_snr)
        report.cases.append(CaseResult(desc, case_err, case_snr, lengths_equal))
    return report
