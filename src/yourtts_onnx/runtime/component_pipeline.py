"""Synthesis through the component graphs, decoded in overlapping windows so audio streams within a sentence.

``text_encoder`` → ``duration_predictor`` → host expansion (:func:`~.alignment.expand_prior`) → host noise
(``z_p = m_p + randn * exp(logs_p) * noise_scale``, drawn once per sentence) → the decoder run on windows
of frames (:mod:`~.chunked_decoding`): ``flow.onnx`` + ``vocoder.onnx`` when the bundle has them (a derived
bundle from ``quantize``; the vocoder then pays only its 9-frame context), else ``decoder.onnx`` (41
frames of context each way). The first audio of a sentence is ready after the text encoder, the duration
predictor and one small window, instead of after the whole sentence.

With ``noise_scale = 0`` one window per sentence is ``model.onnx``'s result (the same float32 arithmetic,
graph by graph: max-abs 0 on the reference model), and the windows concatenated equal the one-window
result up to float rounding (measured on the reference model with windows of 1 to 17 frames: max-abs
≤ 9e-8; the tests bound it at 1e-6); with noise, every window sees the same host-drawn latent, so the
seams are as invisible. The receptive fields are YourTTS's (:mod:`~.chunked_decoding`); a model with
wider flow or HiFi-GAN stacks would need wider context.

:class:`~.synthesizer.Synthesizer` uses this for :meth:`~.synthesizer.Synthesizer.stream` when the bundle
has the graphs; the benchmark (:mod:`yourtts_onnx.bench.ort_pipeline`) uses it with its own sessions.
Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime.alignment import FramePrior, expand_prior
from yourtts_onnx.runtime.bundle import (
    GRAPH_DECODER,
    GRAPH_DURATION_PREDICTOR,
    GRAPH_FLOW,
    GRAPH_TEXT_ENCODER,
    GRAPH_VOCODER,
    Bundle,
)
from yourtts_onnx.runtime.chunked_decoding import (
    ChunkSchedule,
    Stage,
    decode_window,
    decoder_stage,
    flow_vocoder_stages,
    sample_latent,
)
from yourtts_onnx.runtime.graph_contract import Z_P, Z
from yourtts_onnx.runtime.session import SessionOptions, check_io, create_session, input_dtypes, run_session

PIPELINES = ("auto", "model", "components")

# The default windows: a short first one for a quick start (~0.25 s of audio), then doubling up to ~4 s.
# Each seam re-decodes the context (2 x 41 frames with decoder.onnx; 2 x 9 through the vocoder with
# flow.onnx + vocoder.onnx), so short later windows cost throughput: for a 10.5 s sentence with the
# full-size model (2 threads) the decoder.onnx path took 1.9 s in all with windows capped at 2 s, 2.0 s
# with uniform 1 s windows, 1.46 s doubling up to 4 s or more, against 1.0 s unchunked; the first audio
# came after ~0.12-0.16 s in every case (it is set by the first window, not the later ones).
DEFAULT_FIRST_SECONDS = 0.25
DEFAULT_MAX_SECONDS = 4.0

ChunkFrames = int | ChunkSchedule | None


def default_schedule(frames_per_second: float) -> ChunkSchedule:
    """:data:`DEFAULT_FIRST_SECONDS` first, doubling up to :data:`DEFAULT_MAX_SECONDS` per window."""
    first = max(1, round(DEFAULT_FIRST_SECONDS * frames_per_second))
    return ChunkSchedule(
        first=first, growth=2.0, max_frames=max(first, round(DEFAULT_MAX_SECONDS * frames_per_second))
    )


def resolve_schedule(chunk_frames: ChunkFrames, frames_per_second: float) -> ChunkSchedule | None:
    """``None``: :func:`default_schedule`; ``0``: the whole sentence as one window (returns ``None``); ``n``:
    windows of ``n`` frames; a :class:`ChunkSchedule` as given."""
    if chunk_frames is None:
        return default_schedule(frames_per_second)
    if isinstance(chunk_frames, ChunkSchedule):
        return chunk_frames
    if isinstance(chunk_frames, bool) or not isinstance(chunk_frames, int) or chunk_frames < 0:
        raise InputError(
            f"chunk_frames must be a non-negative integer (0: whole sentences), got {chunk_frames!r}"
        )
    if chunk_frames == 0:
        return None
    return ChunkSchedule(
        first=chunk_frames, growth=1.0, max_frames=chunk_frames, min_tail=min(8, chunk_frames)
    )


def component_graphs(bundle: Bundle) -> tuple[str, ...] | None:
    """The graphs the component pipeline would load from ``bundle`` (flow + vocoder preferred over the
    fused decoder), or ``None`` when the bundle lacks them."""
    if not (bundle.has_graph(GRAPH_TEXT_ENCODER) and bundle.has_graph(GRAPH_DURATION_PREDICTOR)):
        return None
    if bundle.has_graph(GRAPH_FLOW) and bundle.has_graph(GRAPH_VOCODER):
        return (GRAPH_TEXT_ENCODER, GRAPH_DURATION_PREDICTOR, GRAPH_FLOW, GRAPH_VOCODER)
    if bundle.has_graph(GRAPH_DECODER):
        return (GRAPH_TEXT_ENCODER, GRAPH_DURATION_PREDICTOR, GRAPH_DECODER)
    return None


@dataclass(frozen=True)
class SentenceLatent:
    """One sentence ready to decode: the sampled latent ``z_p [1, C, frames]`` and its speaker."""

    z_p: np.ndarray
    embedding: np.ndarray  # [D] float32

    @property
    def frames(self) -> int:
        return int(self.z_p.shape[2])


class ComponentPipeline:
    """The component graphs of one bundle, as sessions; thread-safe (it holds no per-call state)."""

    def __init__(
        self,
        text_encoder: ort.InferenceSession,
        duration_predictor: ort.InferenceSession,
        *,
        decoder: ort.InferenceSession | None = None,
        flow: ort.InferenceSession | None = None,
        vocoder: ort.InferenceSession | None = None,
        hop: int = 256,
    ) -> None:
        if (flow is None) != (vocoder is None):
            raise BundleError("the flow and vocoder graphs come together: give both or neither")
        if flow is None and decoder is None:
            raise BundleError("the component pipeline needs decoder.onnx, or flow.onnx and vocoder.onnx")
        check_io(
            text_encoder,
            ("input", "input_lengths", "language_id"),
            ("encoder_states", "m_p", "logs_p", "text_mask"),
            GRAPH_TEXT_ENCODER,
        )
        check_io(
            duration_predictor,
            ("encoder_states", "text_mask", "speaker_embedding", "language_id", "scales"),
            ("log_durations",),
            GRAPH_DURATION_PREDICTOR,
        )
        if flow is not None and vocoder is not None:
            check_io(flow, (Z_P, "frame_lengths", "speaker_embedding"), (Z,), GRAPH_FLOW)
            check_io(vocoder, (Z, "speaker_embedding"), ("output",), GRAPH_VOCODER)
        else:
            assert decoder is not None
            check_io(
                decoder,
                ("m_p", "logs_p", "frame_lengths", "speaker_embedding", "scales"),
                ("output",),
                GRAPH_DECODER,
            )
        self.text_encoder, self.duration_predictor = text_encoder, duration_predictor
        self.decoder, self.flow, self.vocoder = decoder, flow, vocoder
        self.hop = hop
        self._te_dtypes = input_dtypes(text_encoder)
        self._dp_dtypes = input_dtypes(duration_predictor)

    @classmethod
    def from_bundle(cls, bundle: Bundle, options: SessionOptions | None = None) -> ComponentPipeline:
        """Load the graphs :func:`component_graphs` names; a bundle without them is a :class:`BundleError`."""
        names = component_graphs(bundle)
        if names is None:
            raise BundleError(
                f"{bundle.root}: the component pipeline needs text_encoder, duration_predictor and decoder "
                f"(or flow + vocoder) graphs; the bundle has {', '.join(bundle.config.graphs)}"
            )
        sessions = {name: create_session(bundle.graph_path(name), options) for name in names}
        return cls(
            sessions[GRAPH_TEXT_ENCODER],
            sessions[GRAPH_DURATION_PREDICTOR],
            decoder=sessions.get(GRAPH_DECODER),
            flow=sessions.get(GRAPH_FLOW),
            vocoder=sessions.get(GRAPH_VOCODER),
            hop=bundle.config.hop_length,
        )

    @property
    def split(self) -> bool:
        """Whether windows run through ``flow.onnx`` + ``vocoder.onnx`` (else ``decoder.onnx``)."""
        return self.flow is not None

    # -- text → per-frame prior ---------------------------------------------------------------------

    def prior(
        self,
        ids: np.ndarray,
        lengths: np.ndarray,
        embeddings: np.ndarray,
        language_ids: np.ndarray,
        scales: np.ndarray,
    ) -> FramePrior:
        """Padded ids ``[B, T]`` → per-frame prior statistics (text encoder, duration predictor, expansion)."""
        ids = np.asarray(ids, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
        language_ids = np.asarray(language_ids, dtype=np.int64).reshape(-1)
        scales = np.asarray(scales, dtype=np.float32).reshape(-1)
        embeddings = np.ascontiguousarray(np.asarray(embeddings, dtype=np.float32).reshape(ids.shape[0], -1))
        enc, m_p, logs_p, mask = run_session(
            self.text_encoder,
            {"input": ids, "input_lengths": lengths, "language_id": language_ids},
            ("encoder_states", "m_p", "logs_p", "text_mask"),
            GRAPH_TEXT_ENCODER,
            self._te_dtypes,
        )
        (log_durations,) = run_session(
            self.duration_predictor,
            {
                "encoder_states": enc,
                "text_mask": mask,
                "speaker_embedding": embeddings,
                "language_id": language_ids,
                "scales": scales,
            },
            ("log_durations",),
            GRAPH_DURATION_PREDICTOR,
            self._dp_dtypes,
        )
        return expand_prior(
            np.asarray(log_durations, dtype=np.float32),
            np.asarray(mask, dtype=np.float32),
            np.asarray(m_p, dtype=np.float32),
            np.asarray(logs_p, dtype=np.float32),
            float(scales[1]),
        )

    def latent(
        self,
        ids: Sequence[int],
        embedding: np.ndarray,
        language_id: int,
        scales: np.ndarray,
        rng: np.random.Generator | None = None,
    ) -> SentenceLatent:
        """One sentence's latent: the prior with the noise (``scales[0]``) drawn here, once."""
        ids_arr = np.asarray([list(ids)], dtype=np.int64)
        emb = np.asarray(embedding, dtype=np.float32).reshape(-1)
        prior = self.prior(
            ids_arr,
            np.array([ids_arr.shape[1]], dtype=np.int64),
            emb[None, :],
            np.array([language_id]),
            scales,
        )
        n = int(prior.frame_lengths[0])
        noise_scale = float(np.asarray(scales, dtype=np.float32).reshape(-1)[0])
        z_p = sample_latent(prior.m_p[:, :, :n], prior.logs_p[:, :, :n], noise_scale, rng)
        return SentenceLatent(z_p, emb)

    # -- latent → waveform --------------------------------------------------------------------------

    def stages(self, embedding: np.ndarray) -> list[Stage]:
        if self.flow is not None and self.vocoder is not None:
            return flow_vocoder_stages(self.flow, self.vocoder, embedding, hop=self.hop)
        assert self.decoder is not None
        return [decoder_stage(self.decoder, embedding, hop=self.hop)]

    def windows(self, frames: int, schedule: ChunkSchedule | None) -> list[tuple[int, int]]:
        """The frame ranges decoded for a ``frames``-long sentence (``schedule=None``: one window)."""
        return [(0, frames)] if schedule is None else schedule.bounds(frames)

    def decode_window(
        self, latent: SentenceLatent, start: int, end: int, stages: Sequence[Stage] | None = None
    ) -> np.ndarray:
        """Samples of frames ``[start, end)`` (1-D float32), computed with only the context they need."""
        stages = self.stages(latent.embedding) if stages is None else stages
        out = decode_window(stages, latent.z_p, start, end, latent.frames)
        return np.asarray(out, dtype=np.float32).reshape(-1)

    def decode(self, z_p: np.ndarray, frame_lengths: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """A padded batch decoded whole: ``z_p [B, C, F]`` → ``[B, 1, F * hop]`` (the graph draws no noise)."""
        z_p = np.asarray(z_p, dtype=np.float32)
        frame_lengths = np.asarray(frame_lengths, dtype=np.int64).reshape(-1)
        embeddings = np.ascontiguousarray(np.asarray(embeddings, dtype=np.float32).reshape(z_p.shape[0], -1))
        if self.flow is not None and self.vocoder is not None:
            (z,) = run_session(
                self.flow,
                {Z_P: z_p, "frame_lengths": frame_lengths, "speaker_embedding": embeddings},
                (Z,),
                GRAPH_FLOW,
                input_dtypes(self.flow),
            )
            feeds = {Z: z, "speaker_embedding": embeddings}
            return run_session(self.vocoder, feeds, ("output",), GRAPH_VOCODER, input_dtypes(self.vocoder))[0]
        assert self.decoder is not None
        feeds = {
            "m_p": z_p,
            "logs_p": np.zeros_like(z_p),
            "frame_lengths": frame_lengths,
            "speaker_embedding": embeddings,
            "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32),
        }
        return run_session(self.decoder, feeds, ("output",), GRAPH_DECODER, input_dtypes(self.decoder))[0]

    def stream(
        self,
        ids: Sequence[int],
        embedding: np.ndarray,
        language_id: int,
        scales: np.ndarray,
        schedule: ChunkSchedule | None = None,
        rng: np.random.Generator | None = None,
    ) -> Iterator[np.ndarray]:
        """One sentence as 1-D float32 chunks, one per window of ``schedule`` (``None``: one window)."""
        latent = self.latent(ids, embedding, language_id, scales, rng)
        stages = self.stages(latent.embedding)
        for start, end in self.windows(latent.frames, schedule):
            yield self.decode_window(latent, start, end, stages)
