"""Numerical verification of exported graphs against PyTorch.

For every graph, in order: input names (a graph that lacks an input cannot be fed, so this one ends the
graph's check), output names, declared dynamic axes, then for each point of the validation grid (several
batch sizes and lengths, all languages): output shapes, max-abs error, SNR in dB, integer outputs (lengths)
exactly equal and, for the duration predictor, durations after ``ceil``. All other failures are collected,
none stops the others.

How a difference is judged (:class:`Tolerance`):

1. ONNX Runtime against PyTorch float32: within ``atol`` and at least ``min_snr_db`` above the signal → agreed.
2. Otherwise the point is run again through the same PyTorch module in **float64**, which stands in for the
   exact result. Both float32 programs are then measured against it: ONNX Runtime agrees when it is no further
   from the exact result than ``noise_factor`` × PyTorch float32's own distance from it, and its SNR against
   the exact result is at least ``min_snr_db``. This separates float noise from a real difference: a
   live stochastic duration predictor inverts three spline couplings whose slopes (5–20× each) amplify the
   ~1e-6 rounding of its conditioning network into ~1e-4 in ``log_durations`` for PyTorch float32 itself,
   while a graph that computes something else (a weight off by 1e-3) lands orders of magnitude further from
   the exact result than PyTorch's own rounding.

Durations (graphs with :attr:`ExportSpec.durations_from`): ``ceil(exp(log_durations) · mask · length_scale)``
must be equal to the reference's, token by token, except where the reference value lies within the accepted
float error of an integer — ``|w − round(w)| ≤ w · bound`` with ``bound`` the accepted error of
``log_durations`` (``d w = w · d log w``). Such tokens are counted and reported as ties, not failures.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from yourtts_onnx.export.graphs import ExportSpec, Tolerance
from yourtts_onnx.export.onnx_export import declared_dynamic_axes
from yourtts_onnx.runtime.graph_catalog import SCALES, TEXT_MASK
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.similarity import snr_db

__all__ = ["CaseResult", "DurationAgreement", "GraphReport", "Tolerance", "verify_graph"]

log = logging.getLogger(__name__)

REFERENCE_FP32 = "float32"
REFERENCE_FP64 = "float64"


@dataclass
class DurationAgreement:
    """Token durations (frames after ``ceil``) of the graph against the reference."""

    tokens: int = 0
    equal: int = 0
    ties: int = 0  # differ, but the reference lies within float error of an integer
    differ: int = 0  # differ where no float error explains it: a failure

    def add(self, other: DurationAgreement) -> None:
        self.tokens += other.tokens
        self.equal += other.equal
        self.ties += other.ties
        self.differ += other.differ

    def describe(self) -> str:
        ties = f", {self.ties} within float error of an integer" if self.ties else ""
        return f"{self.equal}/{self.tokens} equal{ties}"


@dataclass
class CaseResult:
    inputs: str  # short description of the input shapes
    max_abs: float
    snr_db: float
    lengths_equal: bool | None
    reference: str = REFERENCE_FP32  # what the graph was judged against
    float_noise: float | None = None  # PyTorch float32's distance from float64, when arbitrated
    durations: DurationAgreement | None = None


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

    @property
    def arbitrated(self) -> int:
        """Cases that were judged against the float64 reference."""
        return sum(c.reference == REFERENCE_FP64 for c in self.cases)

    @property
    def durations(self) -> DurationAgreement | None:
        found = [c.durations for c in self.cases if c.durations is not None]
        if not found:
            return None
        total = DurationAgreement()
        for d in found:
            total.add(d)
        return total

    def summary(self) -> str:
        """One line: the figures a user needs to trust the graph."""
        parts = [f"max-abs {self.max_abs:.2e}", f"min SNR {_fmt_db(self.min_snr_db)} dB"]
        if self.arbitrated:
            parts.append(f"{self.arbitrated} case(s) judged against float64")
        if self.durations is not None:
            parts.append(f"durations {self.durations.describe()}")
        return ", ".join(parts) + f" over {len(self.cases)} cases"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        durations = self.durations
        d.update(
            ok=self.ok,
            max_abs=self.max_abs,
            min_snr_db=self.min_snr_db,
            arbitrated=self.arbitrated,
            durations=asdict(durations) if durations is not None else None,
        )
        return d


def _fmt_db(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.1f}"


def _describe(inputs: dict[str, np.ndarray]) -> str:
    return ", ".join(f"{k}{list(v.shape)}" for k, v in inputs.items() if v.ndim >= 1 and k != SCALES)


def _run_torch(
    module: nn.Module, inputs: dict[str, np.ndarray], names: list[str], dtype: torch.dtype
) -> list:
    tensors = []
    for n in names:
        t = torch.from_numpy(np.ascontiguousarray(inputs[n]))
        tensors.append(t.to(dtype) if t.is_floating_point() else t)
    with torch.no_grad():
        out = module(*tensors)
    return [o.numpy() for o in ([out] if isinstance(out, torch.Tensor) else out)]


def frames(log_durations: np.ndarray, mask: np.ndarray, length_scale: float) -> np.ndarray:
    """Frames per token as the runtime computes them: ``ceil(exp(log w) · mask · length_scale)``."""
    return np.ceil(np.exp(log_durations.astype(np.float64)) * mask * length_scale)


def compare_durations(
    reference: np.ndarray, got: np.ndarray, mask: np.ndarray, length_scale: float, bound: float
) -> DurationAgreement:
    """Durations after ``ceil`` from two ``log_durations`` arrays; a differing token whose reference value
    lies within ``bound`` (relative; the accepted error of log w) of an integer is a tie."""
    valid = mask.astype(bool)
    w = np.exp(reference.astype(np.float64)) * mask * length_scale
    same = frames(reference, mask, length_scale) == frames(got, mask, length_scale)
    near_integer = np.abs(w - np.round(w)) <= w * bound + 1e-12
    tokens = int(valid.sum())
    equal = int((same & valid).sum())
    ties = int((~same & near_integer & valid).sum())
    return DurationAgreement(tokens=tokens, equal=equal, ties=ties, differ=tokens - equal - ties)


class _Judge:
    """Judges one graph's outputs point by point, running the float64 reference only where needed."""

    def __init__(self, spec: ExportSpec, report: GraphReport) -> None:
        self.spec = spec
        self.tol: Tolerance = spec.tolerance
        self.report = report
        self.module32 = spec.build().eval()
        self._module64: nn.Module | None = None

    @property
    def module64(self) -> nn.Module:
        if self._module64 is None:
            self._module64 = copy.deepcopy(self.module32).double().eval()
        return self._module64

    def _fail(self, desc: str, message: str) -> None:
        self.report.failures.append(f"{self.spec.name} [{desc}]: {message}")

    def judge(self, inputs: dict[str, np.ndarray], got: list[np.ndarray]) -> CaseResult:
        spec, tol = self.spec, self.tol
        desc = _describe(inputs)
        want32 = _run_torch(self.module32, inputs, spec.input_names, torch.float32)
        result = self._against(want32, got, atol=tol.atol, min_snr_db=tol.min_snr_db)
        case = CaseResult(desc, result.max_abs, result.snr_db, result.lengths_equal)
        problems = result.problems
        bound = tol.atol
        if problems:
            # arbitrate with the exact (float64) result: float noise or a real difference?
            want64 = _run_torch(self.module64, inputs, spec.input_names, torch.float64)
            noise = self._against(want64, [w.astype(np.float64) for w in want32], atol=math.inf)
            bound = max(tol.atol, tol.noise_factor * noise.max_abs)
            exact = self._against(want64, got, atol=bound, min_snr_db=tol.min_snr_db)
            case = CaseResult(
                desc,
                exact.max_abs,
                exact.snr_db,
                exact.lengths_equal,
                reference=REFERENCE_FP64,
                float_noise=noise.max_abs,
            )
            problems = [
                f"{p} (float64 arbitration: PyTorch float32 is {noise.max_abs:.3g} from the exact result, "
                f"accepted {bound:.3g})"
                for p in exact.problems
            ]
            reference = want64
        else:
            reference = want32
        for p in problems:
            self._fail(desc, p)
        if spec.durations_from is not None:
            index = spec.output_names.index(spec.durations_from)
            agreement = compare_durations(
                reference[index],
                got[index],
                inputs[TEXT_MASK],
                float(inputs[SCALES][1]),
                bound,
            )
            case.durations = agreement
            if agreement.differ:
                self._fail(
                    desc, f"durations {agreement.describe()}; {agreement.differ} differ beyond float error"
                )
        log.info(
            "%s [%s]: max-abs %.3g, SNR %.1f dB vs %s",
            spec.name,
            desc,
            case.max_abs,
            case.snr_db,
            case.reference,
        )
        return case

    def _against(
        self, want: list[np.ndarray], got: list[np.ndarray], *, atol: float, min_snr_db: float = -math.inf
    ) -> _Comparison:
        cmp = _Comparison()
        for name, w, h in zip(self.spec.output_names, want, got, strict=True):
            if w.shape != h.shape:
                cmp.problems.append(f"'{name}' shape {list(h.shape)} != torch {list(w.shape)}")
                continue
            if w.dtype.kind in "iu":
                equal = bool(np.array_equal(w, h))
                cmp.lengths_equal = equal if cmp.lengths_equal is None else cmp.lengths_equal and equal
                if not equal:
                    cmp.problems.append(f"'{name}' {h.tolist()} != torch {w.tolist()}")
                continue
            err = float(np.abs(w.astype(np.float64) - h).max()) if w.size else 0.0
            snr = snr_db(w.astype(np.float64), h.astype(np.float64))
            cmp.max_abs = max(cmp.max_abs, err)
            cmp.snr_db = min(cmp.snr_db, snr)
            if not err <= atol:
                cmp.problems.append(f"'{name}' max-abs {err:.3g} > atol {atol:.3g}")
            elif not snr >= min_snr_db and np.any(w):  # an all-zero reference has no SNR: atol governs
                cmp.problems.append(f"'{name}' SNR {snr:.1f} dB < {min_snr_db:g} dB")
        return cmp


@dataclass
class _Comparison:
    max_abs: float = 0.0
    snr_db: float = math.inf
    lengths_equal: bool | None = None
    problems: list[str] = field(default_factory=list)


def verify_graph(
    spec: ExportSpec, path: Path, *, grid: list[dict[str, np.ndarray]] | None = None
) -> GraphReport:
    report = GraphReport(spec.name, spec.tolerance.atol)
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

    judge = _Judge(spec, report)
    for point in grid if grid is not None else spec.grid():
        got = session.run(None, {n: point[n] for n in spec.input_names})
        report.cases.append(judge.judge(point, got))
    return report
