"""The public API: text (+ language, voice) → :class:`Audio`, with ONNX Runtime alone.

>>> tts = Synthesizer.from_bundle("yourtts-bundle")                     # doctest: +SKIP
>>> tts.synthesize("Hello there. How are you?", language="en", voice="female-en-5").save("out.wav")

How text becomes audio: the text is split into sentences, over-long sentences are cut at ``max_tokens``
ids, each piece is tokenised, and the pieces are joined with ``sentence_pause`` seconds of silence. Each
piece is spoken by one of two pipelines:

* ``"components"`` (chosen by ``pipeline="auto"`` when the bundle has the component graphs and
  ``batch_size`` is 1): text encoder, duration predictor, then the decoder on overlapping windows of
  frames (:mod:`~.component_pipeline`), so audio streams *within* a sentence: the first chunk of a long
  sentence arrives after one short window (``chunk_frames``);
* ``"model"``: ``batch_size`` pieces per ``model.onnx`` call (each trimmed with ``output_lengths``), one
  chunk per sentence. Bundles without the component graphs always use it.

Both give Coqui's waveform (noise 0) within 1e-4; the component pipeline's windows stitched equal its
one-window result within float rounding (≤ 1e-7 measured). :meth:`Synthesizer.synthesize` is literally the
concatenation of :meth:`Synthesizer.stream`, so streamed and whole results are equal sample for sample
(with ``noise_scale`` and ``noise_scale_dp`` at 0; with noise, every call draws new noise anyway).

Coqui parity: ``synthesize(text, normalize_numbers=False, split_sentences=False, embedding=...)`` feeds
exactly the ids Coqui's tokenizer produces and returns Coqui's waveform; :meth:`Synthesizer.synthesize_ids`
is the same call with ids given directly.
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort

from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime.audio import AudioSource
from yourtts_onnx.runtime.bundle import GRAPH_MODEL, GRAPH_SPEAKER_ENCODER, Bundle, InferenceDefaults
from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule
from yourtts_onnx.runtime.component_pipeline import (
    PIPELINES,
    ChunkFrames,
    ComponentPipeline,
    component_graphs,
    resolve_schedule,
)
from yourtts_onnx.runtime.languages import default_language, resolve_language
from yourtts_onnx.runtime.session import ProviderSpec, SessionOptions, create_session
from yourtts_onnx.runtime.speaker_encoder import Cloned, SpeakerEncoder, recipe_from_bundle
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer
from yourtts_onnx.runtime.utterances import DEFAULT_MAX_TOKENS, Utterance, batches, plan_utterances
from yourtts_onnx.runtime.vits_graph import BatchOutput, VitsGraph
from yourtts_onnx.runtime.voices import (
    VoiceProfile,
    list_profiles,
    load_profile,
    looks_like_path,
    now_utc,
    profile_names,
    voices_dir,
)
from yourtts_onnx.runtime.voices import save_profile as _save_profile
from yourtts_onnx.runtime.waveform import Audio

DEFAULT_SENTENCE_PAUSE = 0.2  # seconds of silence between sentences
# Sentences per model call. Batching is opt-in: on CPU it was slower, not faster (12 sentences, ORT 1.32,
# 2-core VM): tiny reference model 322 ms at 1 vs 427-508 ms at 2-16; full-size random model (1 thread)
# 8.3 s at 1 vs 12.2 s at 2, 15.9 s at 4, 19.1 s at 12 — padding to the longest item wastes more than the
# per-call overhead saves. Batching also changes the last ~40 ms of every item shorter than its batch's
# longest (HiFi-GAN sees the padding), so batch_size=1 is also the exact per-sentence result. It may pay
# off on a GPU; measure there with ``batch_size=``.
DEFAULT_BATCH_SIZE = 1

Progress = Callable[[int, int], None]  # (utterances done, utterances total)


@dataclass(frozen=True)
class Scales:
    """``[noise_scale, length_scale, noise_scale_dp]`` as the graphs take them."""

    noise_scale: float
    length_scale: float
    noise_scale_dp: float

    def __post_init__(self) -> None:
        for name in ("noise_scale", "length_scale", "noise_scale_dp"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"{name} must be a finite number, got {value!r}")
            if value < 0 or (name == "length_scale" and value == 0):
                raise InputError(
                    f"{name} must be {'positive' if name == 'length_scale' else 'zero or positive'}, got {value}"
                )

    def array(self) -> np.ndarray:
        return np.array([self.noise_scale, self.length_scale, self.noise_scale_dp], dtype=np.float32)


class Synthesizer:
    """A loaded bundle ready to speak. Thread-safe: sessions are shared, calls hold no state.

    ``pipeline`` is the default of :meth:`stream`'s (``"auto"``, ``"components"`` or ``"model"``);
    ``components`` a ready :class:`~.component_pipeline.ComponentPipeline` (else loaded on first use).
    """

    def __init__(
        self,
        bundle: Bundle,
        model_session: ort.InferenceSession,
        speaker_encoder_session: ort.InferenceSession | None = None,
        *,
        session_options: SessionOptions | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        voices_dir: str | os.PathLike[str] | None = None,
        pipeline: str = "auto",
        components: ComponentPipeline | None = None,
    ) -> None:
        self.bundle = bundle
        self.config = bundle.config
        self.tokenizer = Tokenizer(TextFrontendConfig.from_dict(self.config.text))
        self._model = VitsGraph(model_session, self.config.embedding_dim)
        self._session_options = session_options or SessionOptions()
        self._encoder: SpeakerEncoder | None = None
        self._encoder_lock = threading.Lock()
        if speaker_encoder_session is not None:
            self._encoder = self._make_encoder(speaker_encoder_session)
        self._speakers: dict[str, np.ndarray] | None = None
        self._components = components
        self._components_lock = threading.Lock()
        self.pipeline = _check_pipeline(pipeline)
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.voices_dir = voices_dir
        batches([], batch_size)  # validates batch_size
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 3:
            raise InputError(f"max_tokens must be an integer of at least 3, got {max_tokens!r}")

    # -- construction -----------------------------------------------------------------------------

    @classmethod
    def from_bundle(
        cls,
        path: str | os.PathLike[str],
        threads: int | None = None,
        providers: Sequence[ProviderSpec] | str | None = None,
        graph_optimization: str = "all",
        verify_hashes: bool = True,
        **kwargs: Any,
    ) -> Synthesizer:
        """Open a bundle directory and load ``model.onnx``; the speaker encoder loads on first use.

        ``threads``: intra-op threads; ``providers``: e.g. ``["CUDAExecutionProvider"]`` (``None``: CUDA if
        available, else CPU); ``graph_optimization``: ``"all"``/``"extended"``/``"basic"``/``"disable"``;
        ``verify_hashes``: check every file's SHA-256 against ``config.json``. Other keyword arguments
        (``batch_size``, ``max_tokens``, ``voices_dir``, ``pipeline``) go to the constructor. The component
        graphs load on first use (:meth:`component_pipeline`).
        """
        options = SessionOptions(threads=threads, providers=providers, graph_optimization=graph_optimization)
        bundle = Bundle.open(path, verify_hashes=verify_hashes)
        if not bundle.has_graph(GRAPH_MODEL):
            raise BundleError(
                f"{bundle.root}: bundle has no '{GRAPH_MODEL}' graph; this runtime needs model.onnx"
            )
        session = create_session(bundle.graph_path(GRAPH_MODEL), options)
        return cls(bundle, session, session_options=options, **kwargs)

    @classmethod
    def from_sessions(
        cls,
        bundle: Bundle,
        model_session: ort.InferenceSession,
        speaker_encoder_session: ort.InferenceSession | None = None,
        **kwargs: Any,
    ) -> Synthesizer:
        """Use sessions created elsewhere (custom providers, shared sessions, tests)."""
        return cls(bundle, model_session, speaker_encoder_session, **kwargs)

    # -- what the bundle offers -------------------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    @property
    def languages(self) -> list[str]:
        return list(self.config.languages)

    @property
    def default_language(self) -> str | None:
        """The only language, else ``"en"`` when present, else ``None`` (a language must be given)."""
        return default_language(self.config.languages)

    @property
    def speakers(self) -> list[str]:
        """Built-in speaker names."""
        return list(self.config.speakers.names)

    @property
    def defaults(self) -> InferenceDefaults:
        return self.config.inference

    @property
    def can_clone(self) -> bool:
        return self._encoder is not None or (
            self.bundle.has_graph(GRAPH_SPEAKER_ENCODER) and self.config.speaker_encoder is not None
        )

    @property
    def has_components(self) -> bool:
        """Whether the bundle can stream within sentences (text encoder, duration predictor, decoder or
        flow + vocoder)."""
        return self._components is not None or component_graphs(self.bundle) is not None

    def component_pipeline(self) -> ComponentPipeline:
        """The component graphs, loaded on first use (a :class:`BundleError` when the bundle lacks them)."""
        with self._components_lock:
            if self._components is None:
                self._components = ComponentPipeline.from_bundle(self.bundle, self._session_options)
            return self._components

    def saved_voices(self) -> list[VoiceProfile]:
        return list_profiles(self.voices_dir)

    # -- voices -----------------------------------------------------------------------------------

    def builtin_embeddings(self) -> dict[str, np.ndarray]:
        if self._speakers is None:
            self._speakers = self.bundle.speaker_embeddings()
        return self._speakers

    def speaker(self, name: str) -> np.ndarray:
        """A built-in speaker's embedding; the error lists the built-in speakers."""
        table = self.builtin_embeddings()
        if name not in table:
            listed = ", ".join(table) if table else "none"
            raise InputError(f"unknown speaker '{name}' (built-in speakers: {listed})")
        return table[name]

    def voice(self, voice: str | os.PathLike[str]) -> np.ndarray:
        """A built-in speaker or a saved voice (by name in the voices directory, or by path)."""
        table = self.builtin_embeddings()
        if isinstance(voice, str) and voice in table:
            return table[voice]
        if isinstance(voice, os.PathLike) or looks_like_path(voice):
            return self._check_embedding(load_profile(voice).embedding, f"voice '{voice}'")
        if voice in profile_names(self.voices_dir):
            profile = load_profile(voice, self.voices_dir)
            return self._check_embedding(profile.embedding, f"voice '{voice}'")
        builtin = ", ".join(table) if table else "none"
        saved = ", ".join(profile_names(self.voices_dir)) or "none"
        raise InputError(
            f"unknown voice '{voice}' (built-in speakers: {builtin}; saved voices in {voices_dir(self.voices_dir)}: {saved})"
        )

    def _check_embedding(self, embedding: Any, what: str = "embedding") -> np.ndarray:
        dim = self.config.embedding_dim
        try:
            emb = np.asarray(embedding, dtype=np.float32)
        except (TypeError, ValueError):
            raise InputError(f"{what} must be a numeric vector of {dim} values") from None
        if emb.ndim == 2 and emb.shape[0] == 1:
            emb = emb[0]
        if emb.shape != (dim,):
            raise InputError(f"{what} must have {dim} values, got shape {list(emb.shape)}")
        if not np.all(np.isfinite(emb)) or not np.any(emb):
            raise InputError(f"{what} must be finite and not all zero")
        return emb

    def speaker_embedding(
        self,
        voice: str | os.PathLike[str] | None = None,
        speaker_wav: AudioSource | Sequence[AudioSource] | None = None,
        embedding: np.ndarray | Sequence[float] | None = None,
    ) -> np.ndarray:
        """The embedding for at most one of ``voice``, ``speaker_wav``, ``embedding``; none: the first
        built-in speaker."""
        given = [
            n
            for n, v in (("voice", voice), ("speaker_wav", speaker_wav), ("embedding", embedding))
            if v is not None
        ]
        if len(given) > 1:
            raise InputError(f"give only one of voice, speaker_wav and embedding (got {', '.join(given)})")
        if embedding is not None:
            return self._check_embedding(embedding)
        if speaker_wav is not None:
            return self.embed(speaker_wav)
        if voice is not None:
            return self.voice(voice)
        table = self.builtin_embeddings()
        if not table:
            raise InputError("this model has no built-in speakers: give a voice, speaker_wav or embedding")
        return next(iter(table.values()))

    def _make_encoder(self, session: ort.InferenceSession) -> SpeakerEncoder:
        recipe = recipe_from_bundle(self.config.speaker_encoder, str(self.bundle.root))
        return SpeakerEncoder(session, recipe, self.config.embedding_dim)

    def speaker_encoder(self) -> SpeakerEncoder:
        """The speaker encoder, loaded on first use."""
        with self._encoder_lock:
            if self._encoder is None:
                if not self.can_clone:
                    raise BundleError(
                        f"{self.bundle.root}: this bundle has no speaker encoder, so it cannot clone voices "
                        "from audio; use a built-in speaker or a saved voice"
                    )
                session = create_session(self.bundle.graph_path(GRAPH_SPEAKER_ENCODER), self._session_options)
                self._encoder = self._make_encoder(session)
            return self._encoder

    def clone(
        self, speaker_wav: AudioSource | Sequence[AudioSource], progress: Progress | None = None
    ) -> Cloned:
        """Embedding of one or more recordings, with what a voice profile records about them.

        ``progress`` is called with ``(clips done, clips total)``."""
        return self.speaker_encoder().clone(speaker_wav, progress)

    def embed(self, speaker_wav: AudioSource | Sequence[AudioSource]) -> np.ndarray:
        """Speaker embedding ``[dim]`` of a recording (path or encoded bytes) or the mean over several."""
        return self.clone(speaker_wav).embedding

    def save_voice(
        self,
        name: str,
        speaker_wav: AudioSource | Sequence[AudioSource],
        *,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> VoiceProfile:
        """Clone from recordings and save the result as a voice profile in the voices directory."""
        from yourtts_onnx.runtime.voices import check_voice_name, profile_paths

        check_voice_name(name)
        json_path, _ = profile_paths(name, self.voices_dir)
        if json_path.exists() and not overwrite:
            raise InputError(
                f"voice '{name}' already exists at {json_path}; choose another name or overwrite it"
            )
        cloned = self.clone(speaker_wav, progress)
        encoder_file = (
            self.config.graphs[GRAPH_SPEAKER_ENCODER].file
            if self.bundle.has_graph(GRAPH_SPEAKER_ENCODER)
            else None
        )
        meta = self.config.files.get(encoder_file, {}) if encoder_file else {}
        profile = VoiceProfile(
            name=name,
            embedding=cloned.embedding,
            sources=cloned.clips,
            created=now_utc(),
            recipe=self.speaker_encoder().recipe.to_dict(),
            speaker_encoder_sha256=meta.get("sha256") if isinstance(meta, dict) else None,
        )
        path = _save_profile(profile, self.voices_dir, overwrite=overwrite)
        return dataclasses.replace(profile, path=path)

    # -- text -------------------------------------------------------------------------------------

    def tokenize(
        self, text: str, language: str | None = None, *, normalize_numbers: bool = True
    ) -> list[int]:
        """Ids of the whole text as one utterance (``normalize_numbers=False`` is Coqui's tokenizer)."""
        name, _ = resolve_language(language, self.config.languages)
        return self.tokenizer.encode(text, name, normalize_numbers=normalize_numbers)

    def plan(
        self,
        text: str,
        language: str | None = None,
        *,
        normalize_numbers: bool = True,
        split_sentences: bool = True,
    ) -> list[Utterance]:
        """The utterances (sentences, capped at ``max_tokens``) that :meth:`synthesize` would speak."""
        name, _ = resolve_language(language, self.config.languages)
        return plan_utterances(
            text,
            self.tokenizer,
            name,
            normalize_numbers=normalize_numbers,
            split=split_sentences,
            max_tokens=self.max_tokens,
        )

    # -- synthesis --------------------------------------------------------------------------------

    def scales(
        self,
        noise_scale: float | None = None,
        length_scale: float | None = None,
        noise_scale_dp: float | None = None,
    ) -> Scales:
        """The given scales, defaulting to the bundle's ``config.inference``."""
        d = self.config.inference
        return Scales(
            d.noise_scale if noise_scale is None else noise_scale,
            d.length_scale if length_scale is None else length_scale,
            d.noise_scale_dp if noise_scale_dp is None else noise_scale_dp,
        )

    def synthesize_ids(
        self,
        ids_batch: np.ndarray | Sequence[Sequence[int]],
        lengths: np.ndarray | Sequence[int],
        embedding: np.ndarray,
        language_ids: np.ndarray | Sequence[int] | int,
        scales: np.ndarray | Sequence[float],
    ) -> BatchOutput:
        """One raw ``model.onnx`` call: padded ids ``[B, T]``, ``lengths [B]``, embedding ``[D]`` or ``[B, D]``,
        language ids ``[B]`` (or one int), ``scales [3]``. Returns padded waveforms and valid lengths."""
        return self._model.run(
            np.asarray(ids_batch, dtype=np.int64),
            np.asarray(lengths, dtype=np.int64),
            np.asarray(embedding, dtype=np.float32),
            np.atleast_1d(np.asarray(language_ids, dtype=np.int64)),
            np.asarray(scales, dtype=np.float32),
        )

    def stream(
        self,
        text: str,
        language: str | None = None,
        voice: str | os.PathLike[str] | None = None,
        speaker_wav: AudioSource | Sequence[AudioSource] | None = None,
        embedding: np.ndarray | Sequence[float] | None = None,
        noise_scale: float | None = None,
        length_scale: float | None = None,
        noise_scale_dp: float | None = None,
        sentence_pause: float = DEFAULT_SENTENCE_PAUSE,
        normalize_numbers: bool = True,
        *,
        split_sentences: bool = True,
        batch_size: int | None = None,
        progress: Progress | None = None,
        chunk_frames: ChunkFrames = None,
        pipeline: str | None = None,
    ) -> Iterator[Audio]:
        """Yield the audio as it is made: one :class:`Audio` per decoded window of frames (component
        pipeline), or one per utterance as soon as its batch is done (``model.onnx``).

        The first chunk of every sentence after the first starts with the ``sentence_pause`` of silence,
        so the chunks concatenated are exactly :meth:`synthesize`'s result with the same ``chunk_frames``
        (and within ~1e-7 of its default whole-sentence decoding). All input (text, language,
        voice, scales, options) is checked by this call itself, before any model runs; the models run as
        the chunks are taken.

        ``chunk_frames`` (component pipeline): ``None`` a short first window (~0.25 s of audio) then
        windows doubling up to ~4 s; ``n`` windows of ``n`` frames (``hop_length`` samples each); ``0``
        one window per sentence; or a :class:`~.chunked_decoding.ChunkSchedule`. ``pipeline``:
        ``"auto"`` (default: the constructor's), ``"components"`` or ``"model"`` (see the module doc).
        """
        pause = _pause_samples(sentence_pause, self.sample_rate)
        name, lang_id = resolve_language(language, self.config.languages)
        scales = self.scales(noise_scale, length_scale, noise_scale_dp).array()
        utterances = plan_utterances(
            text,
            self.tokenizer,
            name,
            normalize_numbers=normalize_numbers,
            split=split_sentences,
            max_tokens=self.max_tokens,
        )
        size = self.batch_size if batch_size is None else batch_size
        groups = list(batches(utterances, size))
        frames_per_second = self.sample_rate / self.config.hop_length
        schedule = resolve_schedule(chunk_frames, frames_per_second)
        use = self._resolve_pipeline(self.pipeline if pipeline is None else pipeline, size)
        emb = self.speaker_embedding(voice=voice, speaker_wav=speaker_wav, embedding=embedding)
        if use == "components":
            components = self.component_pipeline()
            return self._stream_components(
                components, utterances, emb, lang_id, scales, schedule, pause, progress
            )
        return self._stream(groups, emb, lang_id, scales, pause, progress)

    def _resolve_pipeline(self, pipeline: str, batch_size: int) -> str:
        """``"model"`` or ``"components"`` for this call."""
        _check_pipeline(pipeline)
        if pipeline == "auto":
            return "components" if self.has_components and batch_size == 1 else "model"
        if pipeline == "components":
            if batch_size != 1:
                raise InputError(
                    "the component pipeline speaks one utterance at a time: use batch_size=1, or pipeline='model'"
                )
            if not self.has_components:
                raise BundleError(
                    f"{self.bundle.root}: pipeline='components' needs text_encoder, duration_predictor and "
                    f"decoder (or flow + vocoder) graphs; the bundle has {', '.join(self.config.graphs)}"
                )
        return pipeline

    def _stream_components(
        self,
        components: ComponentPipeline,
        utterances: list[Utterance],
        embedding: np.ndarray,
        language_id: int,
        scales: np.ndarray,
        schedule: ChunkSchedule | None,
        pause: int,
        progress: Progress | None,
    ) -> Iterator[Audio]:
        rng = np.random.default_rng()  # the latent's noise, drawn once per sentence
        silence = np.zeros(pause, dtype=np.float32)
        stages = components.stages(embedding)
        for i, utterance in enumerate(utterances):
            latent = components.latent(utterance.ids, embedding, language_id, scales, rng)
            windows = components.windows(latent.frames, schedule)
            for j, (start, end) in enumerate(windows):
                samples = components.decode_window(latent, start, end, stages)
                if j == len(windows) - 1 and progress is not None:
                    progress(i + 1, len(utterances))
                if pause and i > 0 and j == 0:
                    samples = np.concatenate([silence, samples])
                yield Audio(np.ascontiguousarray(samples, dtype=np.float32), self.sample_rate)

    def _stream(
        self,
        groups: list[list[Utterance]],
        embedding: np.ndarray,
        language_id: int,
        scales: np.ndarray,
        pause: int,
        progress: Progress | None,
    ) -> Iterator[Audio]:
        total = sum(len(g) for g in groups)
        done = 0
        silence = np.zeros(pause, dtype=np.float32)
        for group in groups:
            out = self._run_group(group, embedding, language_id, scales)
            first = done == 0
            done += len(group)
            if progress is not None:
                progress(done, total)
            for i in range(len(group)):
                samples = out.item(i)
                if pause and not (first and i == 0):
                    samples = np.concatenate([silence, samples])
                yield Audio(np.ascontiguousarray(samples, dtype=np.float32), self.sample_rate)

    def _run_group(
        self, group: list[Utterance], embedding: np.ndarray, language_id: int, scales: np.ndarray
    ) -> BatchOutput:
        lengths = np.array([len(u.ids) for u in group], dtype=np.int64)
        ids = np.full((len(group), int(lengths.max())), self.tokenizer.pad_id, dtype=np.int64)
        for row, u in enumerate(group):
            ids[row, : len(u.ids)] = u.ids
        return self._model.run(
            ids,
            lengths,
            np.repeat(embedding[None, :], len(group), axis=0),
            np.full(len(group), language_id, dtype=np.int64),
            scales,
        )

    def synthesize(
        self,
        text: str,
        language: str | None = None,
        voice: str | os.PathLike[str] | None = None,
        speaker_wav: AudioSource | Sequence[AudioSource] | None = None,
        embedding: np.ndarray | Sequence[float] | None = None,
        noise_scale: float | None = None,
        length_scale: float | None = None,
        noise_scale_dp: float | None = None,
        sentence_pause: float = DEFAULT_SENTENCE_PAUSE,
        normalize_numbers: bool = True,
        *,
        split_sentences: bool = True,
        batch_size: int | None = None,
        progress: Progress | None = None,
        chunk_frames: ChunkFrames = 0,
        pipeline: str | None = None,
    ) -> Audio:
        """Speak ``text``.

        Args:
            text: any length; split into sentences (``split_sentences=False``: one utterance, as Coqui).
            language: a bundle language (``"en"``, ``"fr-fr"``; ``"fr"`` works when unambiguous); default:
                the only language, else ``"en"`` when the bundle has it, else required.
            voice: a built-in speaker name, a saved voice name, or a voice profile path.
            speaker_wav: reference recording(s) to clone (path, encoded bytes, or a list).
            embedding: a speaker embedding ``[dim]``. Give at most one of voice/speaker_wav/embedding;
                none gives the first built-in speaker.
            noise_scale, length_scale, noise_scale_dp: default to the bundle's ``config.inference``.
            sentence_pause: seconds of silence between sentences.
            normalize_numbers: write numbers out as words (``False`` is Coqui's exact tokenisation).
            batch_size: utterances per model call (default :attr:`batch_size`).
            progress: called with ``(done, total)`` utterances as each utterance is finished.
            chunk_frames, pipeline: how to decode (see :meth:`stream`). The default ``0`` decodes each
                sentence in one window, which equals ``model.onnx`` exactly; :meth:`stream`'s default
                short windows give the same audio within ~1e-7 (stitching) at some extra cost.
        """
        chunks = list(
            self.stream(
                text,
                language,
                voice,
                speaker_wav,
                embedding,
                noise_scale,
                length_scale,
                noise_scale_dp,
                sentence_pause,
                normalize_numbers,
                split_sentences=split_sentences,
                batch_size=batch_size,
                progress=progress,
                chunk_frames=chunk_frames,
                pipeline=pipeline,
            )
        )
        return Audio.concatenate(chunks, self.sample_rate)


def _pause_samples(seconds: float, sample_rate: int) -> int:
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        raise InputError(f"sentence_pause must be zero or a positive number of seconds, got {seconds!r}")
    return round(seconds * sample_rate)


def _check_pipeline(pipeline: object) -> str:
    if pipeline not in PIPELINES:
        raise InputError(f"pipeline must be one of {', '.join(PIPELINES)}, got {pipeline!r}")
    return str(pipeline)
