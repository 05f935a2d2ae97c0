"""The batch job's settings, parsed once at the edge (CLI or Python caller) and checked here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import MAX_BATCH_RETRIES, MAX_BATCH_WORKERS, MAX_THREADS_PER_BATCH_WORKER
from yourtts_onnx.runtime.options import SynthesisOptions

if TYPE_CHECKING:
    from yourtts_onnx.runtime.session import SessionOptions

AUDIO_FORMATS = ("wav", "flac")
SHIP_CHOICES = ("auto", "always", "never")


@dataclass(frozen=True)
class BatchConfig:
    """One ``batch`` run.

    Attributes:
        bundle, manifest, out: the bundle directory, the manifest file, the output directory.
        audio_format: ``"wav"`` (16-bit PCM) or ``"flac"`` (16-bit, lossless).
        address: an existing Ray cluster to join (``"auto"``, ``"HOST:PORT"``); ``None``: a local Ray
            started in this process and stopped at the end.
        workers: actors (each loads the bundle once); ``None``: the cluster's CPUs / ``threads_per_worker``.
        threads_per_worker: ONNX Runtime intra-op threads per actor (and the CPUs each actor reserves).
        retries: how many times an item whose worker failed is tried again (on another worker).
        backend, integrity: as for :meth:`~yourtts_onnx.runtime.Synthesizer.from_bundle`.
        session_options: how each worker runs the graphs (execution providers, optimisation level, cache);
            its ``threads`` are ``threads_per_worker``.
        voices_dir: saved voices (default: the usual voices directory).
        defaults: synthesis options for fields a row leaves out (its voice is the default voice).
        ship_bundle: ``"auto"`` ships the bundle through Ray's object store when joining a cluster (nodes
            that see the same bundle at the same path use it as is); ``"always"``/``"never"``.
        progress_interval: seconds between progress log lines when stderr is not a terminal.
        timestamps: store each row's words (``word``, ``start_time``, ``end_time``, ``start_char``,
            ``end_char``; :mod:`yourtts_onnx.runtime.words`) in ``metadata.jsonl`` (needs the component graphs).
        lexicon: a pronunciation lexicon file (default: the bundle's ``lexicon.json``, if any); read once on
            the driver and sent to the workers.
    """

    bundle: Path
    manifest: Path
    out: Path
    audio_format: str = "wav"
    address: str | None = None
    workers: int | None = None
    threads_per_worker: int = 1
    retries: int = 3
    backend: str = "auto"
    integrity: str = "stamp"
    voices_dir: Path | None = None
    defaults: SynthesisOptions = field(default_factory=SynthesisOptions)
    ship_bundle: str = "auto"
    progress_interval: float = 10.0
    timestamps: bool = False
    lexicon: Path | None = None
    session_options: SessionOptions | None = None

    def __post_init__(self) -> None:
        if self.audio_format not in AUDIO_FORMATS:
            raise InputError(f"--format must be one of {', '.join(AUDIO_FORMATS)}, got {self.audio_format!r}")
        if self.workers is not None and not 1 <= self.workers <= MAX_BATCH_WORKERS:
            raise InputError(f"--workers must be from 1 to {MAX_BATCH_WORKERS}, got {self.workers}")
        if not 1 <= self.threads_per_worker <= MAX_THREADS_PER_BATCH_WORKER:
            raise InputError(
                f"--threads (--threads-per-worker) must be from 1 to {MAX_THREADS_PER_BATCH_WORKER}, got {self.threads_per_worker}"
            )
        if not 0 <= self.retries <= MAX_BATCH_RETRIES:
            raise InputError(f"--retries must be from 0 to {MAX_BATCH_RETRIES}, got {self.retries}")
        if self.ship_bundle not in SHIP_CHOICES:
            raise InputError(
                f"--ship-bundle must be one of {', '.join(SHIP_CHOICES)}, got {self.ship_bundle!r}"
            )
        if self.address is not None and not self.address.strip():
            raise InputError("--address must not be empty")
        if self.defaults.speaker_wav is not None or self.defaults.embedding is not None:
            raise InputError(
                "the default voice of a batch is a name or a path (voice=...), not audio or an embedding"
            )
        if self.defaults.seed is not None:
            raise InputError(
                "a batch derives each row's seed from the row; give seeds per row in the manifest"
            )
        if self.progress_interval <= 0:
            raise InputError(f"progress_interval must be positive, got {self.progress_interval}")

    @property
    def ships_bundle(self) -> bool:
        """Whether the bundle goes through Ray's object store (``auto``: only when joining a cluster)."""
        if self.ship_bundle == "auto":
            return self.address is not None
        return self.ship_bundle == "always"
