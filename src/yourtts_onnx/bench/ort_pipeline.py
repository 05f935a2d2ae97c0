"""ONNX Runtime synthesis for the benchmark: the end-to-end graph, or the component graphs with the
decoder run whole, in chunks (streaming), or split in flow + vocoder.

Torch-free. Sessions are made from :class:`OrtSettings`, the knobs the benchmark compares; the component
modes run the runtime's own :class:`~yourtts_onnx.runtime.component_pipeline.ComponentPipeline` (what
``Synthesizer.stream`` uses) on those sessions, so the benchmark measures the shipped implementation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort

from yourtts_onnx.runtime.bundle import (
    GRAPH_DECODER,
    GRAPH_DURATION_PREDICTOR,
    GRAPH_FLOW,
    GRAPH_MODEL,
    GRAPH_TEXT_ENCODER,
    GRAPH_VOCODER,
    Bundle,
)
from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule, Stage, sample_latent
from yourtts_onnx.runtime.component_pipeline import ComponentPipeline

LEVELS = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


@dataclass(frozen=True)
class OrtSettings:
    """Session options compared by the benchmark (defaults: the tuned settings; :data:`ORT_DEFAULTS` is
    what a plain ``InferenceSession`` gets)."""

    threads: int = 2
    level: str = "all"
    # Intra-op threads spinning while they wait for work is ORT's default. Off here: a pipeline runs several
    # sessions back to back, and each session's spinning workers steal the cores from the next one (2.3x
    # slower first audio on 2 cores). With one session it makes no measurable difference.
    spinning: bool = False
    arena: bool = True  # CPU memory arena
    mem_pattern: bool = True
    optimized_dir: str | None = None  # cache graphs optimised at ``level`` here and load them next time

    def session_options(self, graph_file: Path | None = None) -> ort.SessionOptions:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = LEVELS[self.level]
        opts.enable_cpu_mem_arena = self.arena
        opts.enable_mem_pattern = self.mem_pattern
        opts.log_severity_level = 3
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if self.spinning else "0")
        return opts

    def create(self, path: Path) -> ort.InferenceSession:
        """A CPU session; with ``optimized_dir``, the optimised graph is saved on first load and reused."""
        if self.optimized_dir is None:
            return ort.InferenceSession(os.fspath(path), self.session_options(), providers=["CPUExecutionProvider"])
        cache = Path(self.optimized_dir) / f"{path.stem}.{self.level}.ort.onnx"
        if cache.is_file() and cache.stat().st_mtime >= path.stat().st_mtime:
            opts = self.session_options()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            return ort.InferenceSession(os.fspath(cache), opts, providers=["CPUExecutionProvider"])
        cache.parent.mkdir(parents=True, exist_ok=True)
        opts = self.session_options()
        opts.optimized_model_filepath = os.fspath(cache)
        return ort.InferenceSession(os.fspath(path), opts, providers=["CPUExecutionProvider"])


ORT_DEFAULTS = OrtSettings(spinning=True)


@dataclass
class Batch:
    """Padded token ids of several utterances, one speaker and language for all."""

    ids: np.ndarray  # [B, T] int64
    lengths: np.ndarray  # [B] int64
    embedding: np.ndarray  # [D] float32
    language_id: int

    @classmethod
    def of(cls, utterances: Sequence[Sequence[int]], embedding: np.ndarray, language_id: int, pad_id: int) -> Batch:
        lengths = np.array([len(u) for u in utterances], dtype=np.int64)
        ids = np.full((len(utterances), int(lengths.max())), pad_id, dtype=np.int64)
        for row, u in enumerate(utterances):
            ids[row, : len(u)] = u
        return cls(ids, lengths, np.asarray(embedding, dtype=np.float32), language_id)

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])

    def embeddings(self) -> np.ndarray:
        return np.ascontiguousarray(np.repeat(self.embedding[None, :], self.size, axis=0))

    def languages(self) -> np.ndarray:
        return np.full(self.size, self.language_id, dtype=np.int64)


def scales_array(noise_scale: float = 0.0, length_scale: float = 1.0, noise_scale_dp: float = 0.0) -> np.ndarray:
    return np.array([noise_scale, length_scale, noise_scale_dp], dtype=np.float32)


@dataclass
class Prior:
    """Per-frame latent of a batch, ready for the decoder."""

    z_p: np.ndarray  # [B, C, F] sampled latent (m_p when noise is 0)
    frame_lengths: np.ndarray  # [B]


@dataclass
class OrtTTS:
    """One bundle's graphs loaded with one :class:`OrtSettings`.

    ``mode``: ``"model"`` (``model.onnx`` end to end), ``"components"`` (text encoder, duration predictor,
    decoder) or ``"split"`` (text encoder, duration predictor, flow, vocoder; needs an optimised bundle).
    """

    bundle: Bundle
    settings: OrtSettings = field(default_factory=OrtSettings)
    mode: str = "components"
    sessions: dict[str, ort.InferenceSession] = field(default_factory=dict)
    components: ComponentPipeline | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        wanted = {
            "model": [GRAPH_MODEL],
            "components": [GRAPH_TEXT_ENCODER, GRAPH_DURATION_PREDICTOR, GRAPH_DECODER],
            "split": [GRAPH_TEXT_ENCODER, GRAPH_DURATION_PREDICTOR, GRAPH_FLOW, GRAPH_VOCODER],
        }[self.mode]
        for name in wanted:
            if name not in self.sessions:
                self.sessions[name] = self.settings.create(self.bundle.graph_path(name))
        if self.mode != "model":
            s = self.sessions
            split = self.mode == "split"
            self.components = ComponentPipeline(
                s[GRAPH_TEXT_ENCODER],
                s[GRAPH_DURATION_PREDICTOR],
                decoder=None if split else s[GRAPH_DECODER],
                flow=s[GRAPH_FLOW] if split else None,
                vocoder=s[GRAPH_VOCODER] if split else None,
                hop=self.hop,
            )

    @classmethod
    def open(cls, path: str | os.PathLike[str], settings: OrtSettings | None = None, mode: str = "components") -> OrtTTS:
        return cls(Bundle.open(path, verify_hashes=False), settings or OrtSettings(), mode)

    @property
    def hop(self) -> int:
        return self.bundle.config.hop_length

    # -- whole batches ------------------------------------------------------------------------------
    def synthesize(self, batch: Batch, scales: np.ndarray) -> list[np.ndarray]:
        """Each item's waveform, trimmed to its valid length."""
        if self.mode == "model":
            wav, lengths = self.sessions[GRAPH_MODEL].run(
                None,
                {
                    "input": batch.ids,
                    "input_lengths": batch.lengths,
                    "scales": scales,
                    "speaker_embedding": batch.embeddings(),
                    "language_id": batch.languages(),
                },
            )
            return [wav[i, 0, : int(n)] for i, n in enumerate(lengths)]
        prior = self.prior(batch, scales)
        wav = self.decode(prior.z_p, prior.frame_lengths, batch.embeddings())
        return [wav[i, 0, : int(n) * self.hop] for i, n in enumerate(prior.frame_lengths)]

    def _pipeline(self) -> ComponentPipeline:
        if self.components is None:
            raise ValueError("mode 'model' has no component pipeline")
        return self.components

    def prior(self, batch: Batch, scales: np.ndarray, rng: np.random.Generator | None = None) -> Prior:
        frames = self._pipeline().prior(batch.ids, batch.lengths, batch.embeddings(), batch.languages(), scales)
        return Prior(sample_latent(frames.m_p, frames.logs_p, float(scales[0]), rng), frames.frame_lengths)

    def decode(self, z_p: np.ndarray, frame_lengths: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """``[B, 1, F * hop]`` from a sampled latent (the graph's own noise is off)."""
        return self._pipeline().decode(z_p, frame_lengths, embeddings)

    # -- streaming ----------------------------------------------------------------------------------
    def stages(self, embedding: np.ndarray) -> list[Stage]:
        return self._pipeline().stages(embedding)

    def stream(
        self, utterance: Sequence[int], embedding: np.ndarray, language_id: int, scales: np.ndarray,
        schedule: ChunkSchedule | None = None,
    ) -> Iterator[np.ndarray]:
        """One sentence as chunks of samples (1-D), the first after one window of ``schedule``
        (default :class:`ChunkSchedule`; the runtime's :meth:`ComponentPipeline.stream`)."""
        return self._pipeline().stream(utterance, embedding, language_id, scales, schedule or ChunkSchedule())
