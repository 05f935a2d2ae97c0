"""The one ONNX Runtime session factory of the project: every session, in the runtime, the exporter's
verification, the optimisers, voice export and the benchmark, is created by :func:`create_session`.

:class:`SessionOptions` holds what can be tuned, with the defaults the benchmark found worth having:

* ``threads``: intra-op threads (``None``: ONNX Runtime's default, one per physical core);
* ``providers``: CUDA when this onnxruntime build has it, else the CPU (CUDA gets
  ``cudnn_conv_algo_search=HEURISTIC``: exhaustive search re-runs for every new input shape, and TTS
  shapes change with every sentence);
* ``spinning``: on — worker threads spin between the ops of one run instead of sleeping and being woken
  for each (the text encoder's and duration predictor's ~600 small ops each: up to 5% of an INT8 synthesis),
  and stop at the end of the run (ONNX Runtime's ``session.force_spinning_stop``), so they never steal the
  cores of the session that runs next (text encoder, duration predictor, flow, vocoder run in turn); servers
  give each worker its share of the cores (``serving.load.intra_op_threads``), so a run spins only on its
  own. Off: workers sleep between ops;
* ``arena``: ONNX Runtime's CPU memory arena (on; the bench saw no difference within noise);
* ``cache_dir``: where graphs optimised at the chosen level are saved and reloaded next time (faster
  session start); ``None`` (default) keeps nothing. The cache key is the graph's SHA-256 (from the
  bundle's ``config.json``, or the file's size and mtime), the onnxruntime version, the level and the
  providers, so a changed graph or runtime never loads a stale optimised copy;
* ``profile_prefix``: write ONNX Runtime's per-node profile (JSON, ``session.end_profiling()`` returns its
  path) under this prefix; ``None`` (default) profiles nothing. For measurements (the vocoder kernel profile).
* ``cpu_copies``: load a graph's CPU copy where the bundle has one (an INT8 bundle's vocoder, rewritten
  channels-last for ONNX Runtime's CPU provider: 1.14-1.20x faster, bit-identical) when every session runs on the
  CPU provider (on). Off: always the portable graph (comparisons).

Errors become :class:`~yourtts_onnx.errors.BundleError` (a graph that cannot be loaded) or
:class:`~yourtts_onnx.errors.InputError` (an option that makes no sense).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime.atomic import cache_temp_path
from yourtts_onnx.runtime.limits import MAX_THREADS
from yourtts_onnx.runtime.user_cache import cache_root

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"

PROVIDER_DEFAULTS: dict[str, dict[str, str]] = {CUDA: {"cudnn_conv_algo_search": "HEURISTIC"}}

GRAPH_OPTIMIZATION_LEVELS: dict[str, ort.GraphOptimizationLevel] = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}

ProviderSpec = str | tuple[str, Mapping[str, Any]]
GraphSource = str | os.PathLike[str] | bytes

_NUMPY_TYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


def default_cache_dir() -> Path:
    """``ort/`` in the user cache (:func:`~yourtts_onnx.runtime.user_cache.cache_root`)."""
    return cache_root() / "ort"


@dataclass(frozen=True)
class SessionOptions:
    """How graphs are run (see the module doc for each field)."""

    threads: int | None = None
    providers: Sequence[ProviderSpec] | str | None = None
    graph_optimization: str = "all"
    spinning: bool = True
    arena: bool = True
    cache_dir: str | os.PathLike[str] | None = None
    profile_prefix: str | None = None
    cpu_copies: bool = True

    def __post_init__(self) -> None:
        if self.threads is not None and (
            isinstance(self.threads, bool)
            or not isinstance(self.threads, int)
            or not 1 <= self.threads <= MAX_THREADS
        ):
            raise InputError(f"threads must be an integer from 1 to {MAX_THREADS}, got {self.threads!r}")
        if self.graph_optimization not in GRAPH_OPTIMIZATION_LEVELS:
            raise InputError(
                f"unknown graph optimisation level {self.graph_optimization!r}; "
                f"choose one of {', '.join(GRAPH_OPTIMIZATION_LEVELS)}"
            )

    def with_(self, **changes: Any) -> SessionOptions:
        return replace(self, **changes)

    def wants_cpu_copy(self) -> bool:
        """Whether a graph's CPU copy (an INT8 bundle's channels-last vocoder) is to be loaded: only when
        :attr:`cpu_copies` and every session runs on the CPU provider (its contrib ops have no CUDA kernels)."""
        return self.cpu_copies and self.resolved_providers()[0] == [CPU]

    def ort_options(self) -> ort.SessionOptions:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = GRAPH_OPTIMIZATION_LEVELS[self.graph_optimization]
        if self.threads is not None:
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.enable_cpu_mem_arena = self.arena
        opts.log_severity_level = 3  # errors only; ORT's warnings are not for end users
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if self.spinning else "0")
        opts.add_session_config_entry("session.force_spinning_stop", "1")  # no spinning after a run
        if self.profile_prefix is not None:
            opts.enable_profiling = True
            opts.profile_file_prefix = self.profile_prefix
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


#: For tools that compare graphs (export verification, optimisers, voice export): CPU, one thread.
CPU_OPTIONS = SessionOptions(threads=1, providers=[CPU])


def _detail(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _cache_key(file: Path, sha256: str | None, options: SessionOptions, providers: Sequence[str]) -> str:
    if sha256 is None:
        st = file.stat()
        sha256 = f"{file.resolve()}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
    parts = [sha256, ort.__version__, options.graph_optimization, ",".join(providers), platform.machine()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _external_data_from(opts: ort.SessionOptions, directory: str | os.PathLike[str]) -> ort.SessionOptions:
    """Read a graph's external weights (a bundle's ``weights.bin``) from ``directory``: for graphs given as
    bytes, and for optimised copies saved in the cache, which no longer sit beside the weights."""
    opts.add_session_config_entry(
        "session.model_external_initializers_file_folder_path", os.fspath(directory)
    )
    return opts


def create_session(
    source: GraphSource,
    options: SessionOptions | None = None,
    *,
    sha256: str | None = None,
    name: str | None = None,
    external_data_dir: str | os.PathLike[str] | None = None,
    save_optimized: str | os.PathLike[str] | None = None,
) -> ort.InferenceSession:
    """Load one ONNX graph (a path, or serialized bytes); a missing or unloadable graph is a
    :class:`BundleError` naming it. ``sha256`` (the bundle's record of the file) keys the optimised-graph
    cache; ``name`` is used in messages for graphs given as bytes; ``external_data_dir``: where a graph given
    as bytes finds its external weights (a graph given as a path finds them beside it); ``save_optimized``
    (a graph given as bytes): also write the graph as ONNX Runtime optimised it to this path (the export side's
    :mod:`~yourtts_onnx.optimize.cpu_layout`)."""
    options = options or SessionOptions()
    names, provider_options = options.resolved_providers()
    what = name or "<in-memory graph>"
    if isinstance(source, bytes):
        opts = options.ort_options()
        if external_data_dir is not None:
            opts = _external_data_from(opts, external_data_dir)
        if save_optimized is not None:
            opts.optimized_model_filepath = os.fspath(save_optimized)
        return _load(source, opts, names, provider_options, what)
    if save_optimized is not None:
        raise InputError("save_optimized is for graphs given as bytes")
    file = Path(source)
    if not file.is_file():
        raise BundleError(f"ONNX graph '{file}' not found")
    if options.cache_dir is None or file.stat().st_size == 0:
        return _load(os.fspath(file), options.ort_options(), names, provider_options, str(file))
    return _load_cached(file, options, names, provider_options, sha256)


def _load(
    source: str | bytes,
    opts: ort.SessionOptions,
    providers: list[str],
    provider_options: list[dict[str, Any]],
    what: str,
) -> ort.InferenceSession:
    try:
        return ort.InferenceSession(
            source, sess_options=opts, providers=providers, provider_options=provider_options
        )
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... types
        raise BundleError(f"cannot load ONNX graph '{what}': {_detail(exc)}") from exc


def _load_cached(
    file: Path,
    options: SessionOptions,
    providers: list[str],
    provider_options: list[dict[str, Any]],
    sha256: str | None,
) -> ort.InferenceSession:
    """Load the optimised copy from the cache, or optimise, save (atomically) and load."""
    cache = Path(options.cache_dir or default_cache_dir())
    key = _cache_key(file, sha256, options, providers)
    cached = cache / f"{file.stem}.{key}.onnx"
    if cached.is_file():
        opts = _external_data_from(options.ort_options(), file.parent)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return _load(os.fspath(cached), opts, providers, provider_options, str(cached))
        except BundleError:  # a damaged cache entry: drop it and rebuild below
            with contextlib.suppress(OSError):
                cached.unlink()
    opts = options.ort_options()
    with cache_temp_path(cached) as tmp:  # an unwritable cache only costs speed
        if tmp is not None:
            opts.optimized_model_filepath = os.fspath(tmp)
        return _load(os.fspath(file), opts, providers, provider_options, str(file))


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
        raise BundleError(f"graph '{graph}' failed to run: {_detail(exc)}") from exc
