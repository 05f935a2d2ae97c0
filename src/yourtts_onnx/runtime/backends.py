"""Decoding backends: the ways one utterance's ids become samples, as small classes behind one interface.

* :class:`WholeGraph` — ``model.onnx``, the single end-to-end graph: one call per sentence, noise drawn
  inside the graph (not seedable), no windows within a sentence, and no durations (the graph does not output
  them, so it gives no word timestamps: :attr:`Backend.times_words` is false and the front ends that are
  asked for timestamps say so and name the backends that give them).
* :class:`Components` — ``text_encoder`` → ``duration_predictor`` → host expansion and noise → ``decoder``,
  which can decode overlapping windows of frames, so audio streams within a sentence.
* :class:`SplitComponents` — the same with the decoder split into ``flow`` + ``vocoder``: a window then pays
  only the vocoder's small context (the vocoder is ~95% of the work), and a quantised vocoder can be used.

The synthesizer chooses one backend when it is built (:func:`choose_backend`; ``"auto"`` prefers split, then
components, then the whole graph) and loads only the graphs that backend needs. With noise scales 0 all three
give the same waveform within float rounding (tested against Coqui's golden outputs); with the component
backends the host draws all the noise (the latent's and, for bundles whose duration predictor takes
``dp_noise``, the duration predictor's) from the generator it is given, so a seed fixes the audio.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

import numpy as np
import onnxruntime as ort

from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.alignment import FramePrior, expand_prior
from yourtts_onnx.runtime.bundle import (
    GRAPH_DECODER,
    GRAPH_DURATION_PREDICTOR,
    GRAPH_FLOW,
    GRAPH_MODEL,
    GRAPH_TEXT_ENCODER,
    GRAPH_VOCODER,
    Bundle,
    ReceptiveField,
)
from yourtts_onnx.runtime.chunked_decoding import (
    ChunkSchedule,
    Stage,
    decode_window,
    decoder_stage,
    flow_vocoder_stages,
    sample_latent,
)
from yourtts_onnx.runtime.session import SessionOptions, check_io, create_session, input_dtypes, run_session

log = logging.getLogger(__name__)

_MODEL = cat.graph_entry(GRAPH_MODEL)
_TEXT_ENCODER = cat.graph_entry(GRAPH_TEXT_ENCODER)
_DURATION_PREDICTOR = cat.graph_entry(GRAPH_DURATION_PREDICTOR)
_DECODER = cat.graph_entry(GRAPH_DECODER)
_FLOW = cat.graph_entry(GRAPH_FLOW)
_VOCODER = cat.graph_entry(GRAPH_VOCODER)

Sessions = Mapping[str, ort.InferenceSession]


@dataclass(frozen=True)
class BatchOutput:
    """Padded waveforms ``[B, S]`` and the valid samples of each item ``[B]``."""

    waveforms: np.ndarray
    lengths: np.ndarray

    def item(self, i: int) -> np.ndarray:
        """Item ``i`` trimmed to its valid length."""
        return self.waveforms[i, : int(self.lengths[i])]


@dataclass(frozen=True)
class Speech:
    """One utterance being spoken: its durations, known before any audio, and its audio, window by window."""

    durations: np.ndarray | None
    """Frames per id ``[T]`` (int64) as the decoder uses them (after ``length_scale``); ``None`` when the
    backend cannot tell (``model.onnx``)."""
    chunks: Iterator[tuple[np.ndarray, bool]]
    """1-D float32 samples per window, each with whether it is the utterance's last."""


def load_graph(bundle: Bundle, name: str, options: SessionOptions) -> tuple[ort.InferenceSession, str]:
    """One graph of ``bundle`` in a session, and the file it was read from: the graph's CPU copy where the
    bundle has one and :meth:`SessionOptions.wants_cpu_copy` (else, or when this onnxruntime cannot load the
    copy, with a warning, the portable graph)."""
    portable = bundle.graph_path(name)
    if bundle.has_cpu_copy(name) and options.wants_cpu_copy():
        copy = bundle.graph_path(name, cpu=True)
        try:
            return create_session(copy, options, sha256=bundle.file_sha256(name, cpu=True)), copy.name
        except BundleError as exc:
            log.warning("%s; using the portable %s instead", exc, portable.name)
    return create_session(portable, options, sha256=bundle.file_sha256(name)), portable.name


class Backend(ABC):
    """Speaks one utterance at a time: ``speak_timed(...)`` gives its durations, then its samples window by
    window (``speak(...)``: the samples alone)."""

    name: ClassVar[str]
    graphs: ClassVar[tuple[str, ...]]
    #: graph → the bundle file its session was read from (by :meth:`from_bundle`; empty for injected sessions)
    files: Mapping[str, str] = MappingProxyType({})

    @property
    @abstractmethod
    def streams(self) -> bool:
        """Whether a sentence can be decoded in windows (else one chunk per sentence)."""

    @property
    @abstractmethod
    def seedable(self) -> bool:
        """Whether all the noise comes from the generator passed to :meth:`speak`."""

    @classmethod
    def from_bundle(cls, bundle: Bundle, options: SessionOptions | None = None) -> Backend:
        """Load the graphs this backend needs (and no others) from ``bundle``."""
        options = options or SessionOptions()
        loaded = {name: load_graph(bundle, name, options) for name in cls.graphs}
        backend = cls.from_sessions({name: session for name, (session, _) in loaded.items()}, bundle)
        backend.files = MappingProxyType({name: file for name, (_, file) in loaded.items()})
        return backend

    @classmethod
    @abstractmethod
    def from_sessions(cls, sessions: Sessions, bundle: Bundle) -> Backend: ...

    @property
    def times_words(self) -> bool:
        """Whether :meth:`speak_timed` gives durations (word timestamps)."""
        return True

    @abstractmethod
    def speak_timed(
        self,
        ids: Sequence[int],
        embedding: np.ndarray,
        language_id: int,
        scales: np.ndarray,
        rng: np.random.Generator,
        schedule: ChunkSchedule | None,
    ) -> Speech:
        """One utterance: its durations (computed by this call) and its samples, one array per window of
        ``schedule`` (``None``: one; computed as they are taken)."""

    def speak(
        self,
        ids: Sequence[int],
        embedding: np.ndarray,
        language_id: int,
        scales: np.ndarray,
        rng: np.random.Generator,
        schedule: ChunkSchedule | None,
    ) -> Iterator[tuple[np.ndarray, bool]]:
        """1-D float32 samples of one utterance, one array per window of ``schedule`` (``None``: one), each
        with whether it is the utterance's last."""
        yield from self.speak_timed(ids, embedding, language_id, scales, rng, schedule).chunks


class WholeGraph(Backend):
    """``model.onnx``: padded ids + speaker + language → padded waveforms, in one call."""

    name = "model"
    graphs = (GRAPH_MODEL,)

    def __init__(self, session: ort.InferenceSession, embedding_dim: int) -> None:
        check_io(session, _MODEL.input_names, _MODEL.output_names, GRAPH_MODEL)
        self.session = session
        self.embedding_dim = embedding_dim
        self._dtypes = input_dtypes(session)

    @property
    def streams(self) -> bool:
        return False

    @property
    def seedable(self) -> bool:
        return False

    @classmethod
    def from_sessions(cls, sessions: Sessions, bundle: Bundle) -> WholeGraph:
        return cls(sessions[GRAPH_MODEL], bundle.config.embedding_dim)

    def run(
        self,
        ids: np.ndarray,
        lengths: np.ndarray,
        embeddings: np.ndarray,
        language_ids: np.ndarray,
        scales: np.ndarray,
    ) -> BatchOutput:
        """One raw call: ``ids [B, T]`` padded, ``lengths [B]``, ``embeddings [B, D]`` (or ``[D]``),
        ``language_ids [B]`` (or one), ``scales [3]`` = ``[noise_scale, length_scale, noise_scale_dp]``."""
        ids = np.asarray(ids, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        language_ids = np.atleast_1d(np.asarray(language_ids, dtype=np.int64)).reshape(-1)
        scales = np.asarray(scales, dtype=np.float32).reshape(-1)
        if ids.ndim != 2 or ids.shape[0] == 0 or ids.shape[1] == 0:
            raise InputError(f"ids must be a non-empty [batch, tokens] array, got shape {list(ids.shape)}")
        batch = ids.shape[0]
        if lengths.shape != (batch,) or lengths.min() < 1 or lengths.max() > ids.shape[1]:
            raise InputError(f"lengths must hold {batch} values in 1..{ids.shape[1]}, got {lengths.tolist()}")
        if embeddings.ndim == 1:
            embeddings = np.broadcast_to(embeddings, (batch, embeddings.shape[0]))
        if embeddings.shape != (batch, self.embedding_dim):
            raise InputError(
                f"speaker embedding must have shape [{batch}, {self.embedding_dim}], got {list(embeddings.shape)}"
            )
        if language_ids.shape == (1,) and batch > 1:
            language_ids = np.repeat(language_ids, batch)
        if language_ids.shape != (batch,):
            raise InputError(f"language ids must hold {batch} values, got shape {list(language_ids.shape)}")
        if scales.shape != (cat.SCALES_SIZE,):
            raise InputError("scales must be [noise_scale, length_scale, noise_scale_dp]")
        feeds = {
            cat.INPUT_IDS: ids,
            cat.INPUT_LENGTHS: lengths,
            cat.SCALES: scales,
            cat.SPEAKER_EMBEDDING: np.ascontiguousarray(embeddings),
            cat.LANGUAGE_ID: language_ids,
        }
        wav, out_lengths = run_session(self.session, feeds, _MODEL.output_names, GRAPH_MODEL, self._dtypes)
        wav = np.asarray(wav, dtype=np.float32).reshape(batch, -1)
        return BatchOutput(wav, np.minimum(np.asarray(out_lengths, dtype=np.int64).reshape(-1), wav.shape[1]))

    @property
    def times_words(self) -> bool:
        return False

    def speak_timed(
        self,
        ids: Sequence[int],
        embedding: np.ndarray,
        language_id: int,
        scales: np.ndarray,
        rng: np.random.Generator,
        schedule: ChunkSchedule | None,
    ) -> Speech:
        def chunks() -> Iterator[tuple[np.ndarray, bool]]:
            out = self.run(
                np.asarray([list(ids)]), np.array([len(ids)]), embedding, np.array([language_id]), scales
            )
            yield np.ascontiguousarray(out.item(0), dtype=np.float32), True

        return Speech(None, chunks())


class _ComponentBackend(Backend):
    """Text encoder and duration predictor on the host's side of the latent; subclasses decode it."""

    def __init__(
        self,
        text_encoder: ort.InferenceSession,
        duration_predictor: ort.InferenceSession,
        *,
        hop: int,
        fields: Mapping[str, ReceptiveField],
    ) -> None:
        check_io(text_encoder, _TEXT_ENCODER.input_names, _TEXT_ENCODER.output_names, GRAPH_TEXT_ENCODER)
        # duration predictors of older exports take no noise input (they are not seedable)
        self._dp_noise = cat.DP_NOISE in {i.name for i in duration_predictor.get_inputs()}
        dp_inputs = _DURATION_PREDICTOR.input_names
        check_io(
            duration_predictor,
            dp_inputs if self._dp_noise else tuple(n for n in dp_inputs if n != cat.DP_NOISE),
            _DURATION_PREDICTOR.output_names,
            GRAPH_DURATION_PREDICTOR,
        )
        self.text_encoder, self.duration_predictor = text_encoder, duration_predictor
        self.hop = hop
        self.fields = dict(fields)
        self._te_dtypes = input_dtypes(text_encoder)
        self._dp_dtypes = input_dtypes(duration_predictor)

    @property
    def seedable(self) -> bool:
        return self._dp_noise

    def prior(
        self,
        ids: np.ndarray,
        lengths: np.ndarray,
        embeddings: np.ndarray,
        language_ids: np.ndarray,
        scales: np.ndarray,
        rng: np.random.Generator | None = None,
    ) -> FramePrior:
        """Padded ids ``[B, T]`` → per-frame prior statistics (text encoder, duration predictor, expansion)."""
        ids = np.asarray(ids, dtype=np.int64)
        language_ids = np.asarray(language_ids, dtype=np.int64).reshape(-1)
        scales = np.asarray(scales, dtype=np.float32).reshape(-1)
        embeddings = np.ascontiguousarray(np.asarray(embeddings, dtype=np.float32).reshape(ids.shape[0], -1))
        enc, m_p, logs_p, mask = run_session(
            self.text_encoder,
            {
                cat.INPUT_IDS: ids,
                cat.INPUT_LENGTHS: np.asarray(lengths, dtype=np.int64).reshape(-1),
                cat.LANGUAGE_ID: language_ids,
            },
            (cat.ENCODER_STATES, cat.M_P, cat.LOGS_P, cat.TEXT_MASK),
            GRAPH_TEXT_ENCODER,
            self._te_dtypes,
        )
        feeds = {
            cat.ENCODER_STATES: enc,
            cat.TEXT_MASK: mask,
            cat.SPEAKER_EMBEDDING: embeddings,
            cat.LANGUAGE_ID: language_ids,
            cat.SCALES: scales,
        }
        if self._dp_noise:
            shape = (ids.shape[0], cat.DP_NOISE_CHANNELS, ids.shape[1])
            draw = scales[2] > 0 and rng is not None
            feeds[cat.DP_NOISE] = (
                rng.standard_normal(shape, dtype=np.float32) if draw else np.zeros(shape, np.float32)
            )
        (log_durations,) = run_session(
            self.duration_predictor, feeds, (cat.LOG_DURATIONS,), GRAPH_DURATION_PREDICTOR, self._dp_dtypes
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
    ) -> np.ndarray:
        """One sentence's latent ``z_p [1, C, frames]``, its noise (``scales[0]``) drawn here, once."""
        return self.timed_latent(ids, embedding, language_id, scales, rng)[0]

    def timed_latent(
        self,
        ids: Sequence[int],
        embedding: np.ndarray,
        language_id: int,
        scales: np.ndarray,
        rng: np.random.Generator | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`latent` and the frames per id ``[T]`` it was expanded with."""
        ids_arr = np.asarray([list(ids)], dtype=np.int64)
        emb = np.asarray(embedding, dtype=np.float32).reshape(1, -1)
        prior = self.prior(ids_arr, np.array([ids_arr.shape[1]]), emb, np.array([language_id]), scales, rng)
        n = int(prior.frame_lengths[0])
        noise_scale = float(np.asarray(scales, dtype=np.float32).reshape(-1)[0])
        z_p = sample_latent(prior.m_p[:, :, :n], prior.logs_p[:, :, :n], noise_scale, rng)
        return z_p, prior.durations[0]

    @abstractmethod
    def stages(self, embedding: np.ndarray) -> list[Stage]:
        """The decoder as stages with their receptive fields (windows need every stage's field)."""

    def speak_timed(
        self,
        ids: Sequence[int],
        embedding: np.ndarray,
        language_id: int,
        scales: np.ndarray,
        rng: np.random.Generator,
        schedule: ChunkSchedule | None,
    ) -> Speech:
        z_p, durations = self.timed_latent(ids, embedding, language_id, scales, rng)
        return Speech(durations, self._decode(z_p, embedding, schedule))

    def _decode(
        self, z_p: np.ndarray, embedding: np.ndarray, schedule: ChunkSchedule | None
    ) -> Iterator[tuple[np.ndarray, bool]]:
        frames = int(z_p.shape[2])
        stages = self.stages(embedding)
        bounds = [(0, frames)] if schedule is None or not self.streams else schedule.bounds(frames)
        for i, (start, end) in enumerate(bounds):
            out = decode_window(stages, z_p, start, end, frames)
            yield np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(-1)), i == len(bounds) - 1


def _fields(bundle: Bundle, needed: Sequence[str]) -> dict[str, ReceptiveField]:
    fields = bundle.config.receptive_fields
    missing = [n for n in needed if n not in fields]
    if missing:
        log.warning(
            "%s: config.json records no receptive field for %s (a bundle from an older export): streaming "
            "decodes whole sentences; export the checkpoint again to stream within sentences",
            bundle.root,
            ", ".join(missing),
        )
        return {}
    return {n: fields[n] for n in needed}


class Components(_ComponentBackend):
    """Text encoder, duration predictor, then ``decoder.onnx`` (flow and HiFi-GAN in one graph)."""

    name = "components"
    graphs = (GRAPH_TEXT_ENCODER, GRAPH_DURATION_PREDICTOR, GRAPH_DECODER)

    def __init__(self, text_encoder, duration_predictor, decoder, *, hop: int, fields) -> None:  # type: ignore[no-untyped-def]
        super().__init__(text_encoder, duration_predictor, hop=hop, fields=fields)
        check_io(decoder, _DECODER.input_names, (cat.WAVEFORM,), GRAPH_DECODER)
        self.decoder = decoder

    @property
    def streams(self) -> bool:
        return GRAPH_DECODER in self.fields

    @classmethod
    def from_sessions(cls, sessions: Sessions, bundle: Bundle) -> Components:
        return cls(
            sessions[GRAPH_TEXT_ENCODER],
            sessions[GRAPH_DURATION_PREDICTOR],
            sessions[GRAPH_DECODER],
            hop=bundle.config.hop_length,
            fields=_fields(bundle, (GRAPH_DECODER,)),
        )

    def stages(self, embedding: np.ndarray) -> list[Stage]:
        field = self.fields.get(GRAPH_DECODER, ReceptiveField(0, 0))
        return [decoder_stage(self.decoder, embedding, field, self.hop)]


class SplitComponents(_ComponentBackend):
    """Text encoder, duration predictor, then ``flow.onnx`` and ``vocoder.onnx``."""

    name = "split"
    graphs = (GRAPH_TEXT_ENCODER, GRAPH_DURATION_PREDICTOR, GRAPH_FLOW, GRAPH_VOCODER)

    def __init__(self, text_encoder, duration_predictor, flow, vocoder, *, hop: int, fields) -> None:  # type: ignore[no-untyped-def]
        super().__init__(text_encoder, duration_predictor, hop=hop, fields=fields)
        check_io(flow, _FLOW.input_names, _FLOW.output_names, GRAPH_FLOW)
        check_io(vocoder, _VOCODER.input_names, _VOCODER.output_names, GRAPH_VOCODER)
        self.flow, self.vocoder = flow, vocoder

    @property
    def streams(self) -> bool:
        return GRAPH_FLOW in self.fields and GRAPH_VOCODER in self.fields

    @classmethod
    def from_sessions(cls, sessions: Sessions, bundle: Bundle) -> SplitComponents:
        return cls(
            sessions[GRAPH_TEXT_ENCODER],
            sessions[GRAPH_DURATION_PREDICTOR],
            sessions[GRAPH_FLOW],
            sessions[GRAPH_VOCODER],
            hop=bundle.config.hop_length,
            fields=_fields(bundle, (GRAPH_FLOW, GRAPH_VOCODER)),
        )

    def stages(self, embedding: np.ndarray) -> list[Stage]:
        none = ReceptiveField(0, 0)
        return flow_vocoder_stages(
            self.flow,
            self.vocoder,
            embedding,
            flow_field=self.fields.get(GRAPH_FLOW, none),
            vocoder_field=self.fields.get(GRAPH_VOCODER, none),
            hop=self.hop,
        )


BACKENDS: dict[str, type[Backend]] = {b.name: b for b in (SplitComponents, Components, WholeGraph)}
BACKEND_CHOICES = ("auto", *BACKENDS)


def choose_backend(graphs: Sequence[str] | Mapping[str, object], name: str = "auto") -> type[Backend]:
    """The backend class for ``name`` given the graphs available; ``"auto"``: the first of split,
    components, model whose graphs are all there."""
    have = set(graphs)
    if name == "auto":
        for backend in BACKENDS.values():
            if set(backend.graphs) <= have:
                return backend
        raise BundleError(
            "the bundle has neither model.onnx nor the component graphs "
            f"(text_encoder, duration_predictor, decoder or flow + vocoder); it has {', '.join(sorted(have))}"
        )
    if name not in BACKENDS:
        raise InputError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_CHOICES)}")
    backend = BACKENDS[name]
    missing = [g for g in backend.graphs if g not in have]
    if missing:
        raise BundleError(
            f"backend '{name}' needs the graph(s) {', '.join(missing)}; the bundle has {', '.join(sorted(have))}"
        )
    return backend
