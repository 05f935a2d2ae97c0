"""What one Ray actor runs: a :class:`~yourtts_onnx.runtime.Synthesizer` loaded once, one item per call.

Plain Python (no Ray import): :mod:`.pool` wraps :class:`BatchWorker` with ``ray.remote``. A row's own problem
(an :class:`~yourtts_onnx.errors.InputError` or :class:`~yourtts_onnx.errors.AudioError`) comes back as
:attr:`JobResult.error` and is not retried; anything else raises, and the driver retries the item elsewhere.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yourtts_onnx import __version__
from yourtts_onnx.errors import AudioError, BundleError, InputError
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.runtime.text.lexicon import Lexicon

from .outputs import encode_audio
from .shipping import Packed, locate_bundle

if TYPE_CHECKING:
    from yourtts_onnx.runtime.session import SessionOptions


@dataclass(frozen=True)
class WorkerSpec:
    bundle: str  # the path on the driver
    config_sha256: str
    backend: str
    integrity: str
    threads: int
    audio_format: str
    version: str = __version__
    prefer_path: bool = True  # False: always use the shipped copy (--ship-bundle always)
    needs_seed: bool = False  # some items have noise: the backend must draw it on the host
    lexicon: Lexicon | None = None  # as the driver resolved it (None: none, not even the bundle's)
    session_options: SessionOptions | None = (
        None  # providers, optimisation (None: the defaults); threads: ``threads``
    )
    voices_dir: str | None = None  # saved voices named by SSML <voice> spans (None: the default directory)


@dataclass(frozen=True)
class Job:
    id: str
    text: str
    options: SynthesisOptions
    key: str


@dataclass(frozen=True)
class JobResult:
    id: str
    data: bytes | None  # the encoded audio file
    frames: int
    duration: float  # seconds of audio
    seconds: float  # synthesis and encoding inside the worker
    error: str | None = None
    words: tuple[dict[str, Any], ...] | None = None  # the item's word timestamps (None: backend has none)


@dataclass(frozen=True)
class WorkerInfo:
    node: str  # Ray node id (hostname outside Ray)
    host: str
    pid: int
    version: str
    backend: str
    load_seconds: float
    bundle_source: str
    fetch_seconds: float


class BatchWorker:
    """Loads the bundle once (``shipped``: ``[ObjectRef]`` of the packed bundle, or ``None``)."""

    def __init__(self, spec: WorkerSpec, shipped: list[Any] | None = None) -> None:
        from yourtts_onnx.runtime.session import SessionOptions
        from yourtts_onnx.runtime.synthesizer import Synthesizer

        t0 = time.perf_counter()
        self.spec = spec
        located = locate_bundle(spec.bundle, spec.config_sha256, _fetcher(shipped), spec.prefer_path)
        self.synth = Synthesizer.from_bundle(
            located.path,
            session_options=(spec.session_options or SessionOptions()).with_(threads=spec.threads),
            backend=spec.backend,
            integrity=spec.integrity,
            lexicon=spec.lexicon if spec.lexicon is not None else Lexicon(),
            voices_dir=spec.voices_dir,
        )
        if spec.needs_seed and not self.synth.backend.seedable:
            raise BundleError(
                f"backend '{self.synth.backend.name}' of this bundle draws its noise inside the graphs, so seeded "
                "items cannot be reproduced"
            )
        self.info_ = WorkerInfo(
            node=_node_id(),
            host=socket.gethostname(),
            pid=os.getpid(),
            version=__version__,
            backend=self.synth.backend.name,
            load_seconds=time.perf_counter() - t0,
            bundle_source=located.source,
            fetch_seconds=located.fetch_seconds,
        )

    def info(self) -> WorkerInfo:
        return self.info_

    def run(self, job: Job) -> JobResult:
        t0 = time.perf_counter()
        try:
            audio = self.synth.synthesize(job.text, job.options)
        except (InputError, AudioError) as exc:
            return JobResult(job.id, None, 0, 0.0, time.perf_counter() - t0, error=str(exc))
        data = encode_audio(audio.samples, audio.sample_rate, self.spec.audio_format, job.key)
        words = None if audio.words is None else tuple(w.to_dict() for w in audio.words)
        return JobResult(job.id, data, len(audio), audio.duration, time.perf_counter() - t0, words=words)


def _fetcher(shipped: list[Any] | None) -> Callable[[], Packed] | None:
    if not shipped:
        return None

    def fetch() -> Packed:
        import ray

        return ray.get(shipped[0])

    return fetch


def _node_id() -> str:
    """The Ray node id inside a Ray worker; the host name otherwise (never starts Ray)."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return str(ray.get_runtime_context().get_node_id())
    return socket.gethostname()
