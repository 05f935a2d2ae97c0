"""ONNX Runtime sessions: options (threads, providers, graph optimisation) and graph loading.

Every session in the runtime is created here, so the options a user passes to
:class:`~yourtts_onnx.runtime.synthesizer.Synthesizer` apply to all graphs alike. Errors become
:class:`~yourtts_onnx.errors.BundleError` (a graph that cannot be loaded) or
:class:`~yourtts_onnx.errors.InputError` (an option that makes no sense).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from yourtts_onnx.errors import BundleError, InputError

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"

# Per-provider defaults merged under user options. cuDNN's exhaustive algorithm search re-runs for
# every new input shape, and TTS shapes change with every sentence: the heuristic is much faster.
PROVIDER_DEFAULTS: dict[str, dict[str, str]] = {CUDA: {"cudnn_conv_algo_search": "HEURISTIC"}}

GRAPH_OPTIMIZATION_LEVELS: dict[str, ort.GraphOptimizationLevel] = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}

ProviderSpec = str | tuple[str, Mapping[str, Any]]

_NUMPY_TYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


@dataclass(frozen=True)
class SessionOptions:
    """How graphs are run.

    Attributes:
        threads: intra-op threads (``None``: ONNX Runtime's default, one per physical core).
        providers: execution providers in priority order, as names or ``(name, options)`` pairs;
            ``None`` or ``"auto"`` picks CUDA when this onnxruntime build has it, else the CPU.
            The CPU provider is always appended as the fallback.
        graph_optimization: ``"all"`` (default), ``"extended"``, ``"basic"`` or ``"disable"``.
    """

    threads: int | None = None
    providers: Sequence[ProviderSpec] | str | None = None
    graph_optimization: str = "all"

    def __post_init__(self) -> None:
        if self.threads is not None and (
            isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1
        ):
            raise InputError(f"threads must be a positive integer, got {self.threads!r}")
        if self.graph_optimization not in GRAPH_OPTIMIZATION_LEVELS:
            raise InputError(
                f"unknown graph optimisation level {self.graph_optimization!r}; "
                f"choose one of {', '.join(GRAPH_OPTIMIZATION_LEVELS)}"
            )

    def ort_options(self) -> ort.SessionOptions:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = GRAPH_OPTIMIZATION_LEVELS[self.graph_optimization]
        if self.threads is not None:
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # errors only; ORT's warnings are not for end users
        # Idle worker threads must not spin: sessions often run one after another (streaming stages,
        # the speaker encoder then the model), and spinning threads steal the next session's cores.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return opts

    def resolved_providers(self) -> tuple[list[str], list[dict[str, Any]]]:
        """Provider names and their option dicts, validated against this onnxruntime build."""
        available = ort.get_available_providers()
        requested: list[ProviderSpec]
        if self.providers is None or self.providers == "auto":
            requested = [CUDA] if CUDA in available else []
        elif isinstance(self.providers, str):
            requested = [self.providers]
        else:
            requested = list(self.providers)
        names: list[str] = []
        options: list[dict[str, Any]] = []
        for spec in requested:
            name, user_opts = (spec, {}) if isinstance(spec, str) else (spec[0], dict(spec[1]))
            if name not in available:
                raise InputError(
                    f"execution provider {name!r} is not available in this onnxruntime build "
                    f"(available: {', '.join(available)})"
                )
            if name in names:
                continue
            names.append(name)
            options.append({**PROVIDER_DEFAULTS.get(name, {}), **{k: str(v) for k, v in user_opts.items()}})
        if CPU not in names:
            names.append(CPU)
            options.append({})
        return names, options


def create_session(
    path: str | os.PathLike[str], options: SessionOptions | None = None
) -> ort.InferenceSession:
    """Load one ONNX graph; a missing or unloadable file is a :class:`BundleError` naming it."""
    options = options or SessionOptions()
    file = Path(path)
    if not file.is_file():
        raise BundleError(f"ONNX graph '{file}' not found")
    names, provider_options = options.resolved_providers()
    try:
        return ort.InferenceSession(
            os.fspath(file),
            sess_options=options.ort_options(),
            providers=names,
            provider_options=provider_options,
        )
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... types
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BundleError(f"cannot load ONNX graph '{file}': {detail}") from exc


def check_io(
    session: ort.InferenceSession, inputs: Sequence[str], outputs: Sequence[str], graph: str
) -> None:
    """The session must have exactly the named inputs and at least the named outputs."""
    have_in = [i.name for i in session.get_inputs()]
    if sorted(have_in) != sorted(inputs):
        raise BundleError(f"graph '{graph}' has inputs {have_in}; expected {list(inputs)}")
    have_out = {o.name for o in session.get_outputs()}
    missing = [o for o in outputs if o not in have_out]
    if missing:
        raise BundleError(f"graph '{graph}' lacks output(s) {missing}; has {sorted(have_out)}")


def input_dtypes(session: ort.InferenceSession) -> dict[str, type]:
    """numpy dtype expected for each input (float16 graphs take float16 tensors)."""
    return {i.name: _NUMPY_TYPES.get(i.type, np.float32) for i in session.get_inputs()}


def run_session(
    session: ort.InferenceSession,
    feeds: Mapping[str, np.ndarray],
    outputs: Sequence[str] | None,
    graph: str,
    dtypes: Mapping[str, type] | None = None,
) -> list[np.ndarray]:
    """Run with feeds cast to the graph's input types; ONNX Runtime failures become BundleError."""
    if dtypes is not None:
        feeds = {k: np.ascontiguousarray(v, dtype=dtypes.get(k, v.dtype)) for k, v in feeds.items()}
    try:
        return session.run(list(outputs) if outputs is not None else None, dict(feeds))
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BundleError(f"graph '{graph}' failed to run: {detail}") from exc
