"""The public API, and the one synthesis path under every front end: text + :class:`SynthesisOptions` →
:class:`Audio`, with ONNX Runtime alone.

>>> tts = Synthesizer.from_bundle("yourtts-bundle")                     # doctest: +SKIP
>>> tts.synthesize("Hello there. How are you?", language="en", voice="female-en-5").save("out.wav")

How text becomes audio: the engine's :class:`~.planner.Planner` (:attr:`Synthesizer.planner`) splits the
text into sentences, cuts over-long ones at ``max_tokens`` ids and tokenises each piece — an SSML document
(:mod:`~.text.ssml`, a text starting with ``<speak``) per span, each utterance with its own language, voice
and length scale, and the silence its ``<break>`` asks for; each piece is spoken by the bundle's decoding
backend (:mod:`~.backends`, chosen once when the synthesizer is built), and the pieces are joined with
``sentence_pause`` seconds of silence (or the breaks).
:meth:`Synthesizer.synthesize` decodes whole sentences; :meth:`Synthesizer.stream` yields the audio as it is
made, window by window within sentences when the backend can (its windows stitched equal the whole-sentence
result within float rounding, ≤ 1e-7 measured). The CLI, the HTTP service, the Wyoming server, batch jobs
and the benchmark all call these two methods.

Coqui parity: ``synthesize(text, normalize_numbers=False, split_sentences=False, embedding=...)`` feeds
exactly the ids Coqui's tokenizer produces and returns Coqui's waveform (noise scales 0).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import onnxruntime as ort

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.backends import Backend, WholeGraph, choose_backend
from yourtts_onnx.runtime.bundle import GRAPH_SPEAKER_ENCODER, Bundle, InferenceDefaults
from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule, resolve_schedule
from yourtts_onnx.runtime.languages import default_language
from yourtts_onnx.runtime.loudness import RunningNormalizer, normalize_loudness
from yourtts_onnx.runtime.options import SynthesisOptions, make_options
from yourtts_onnx.runtime.planner import Plan, Planner, Scales, Step
from yourtts_onnx.runtime.session import ProviderSpec, SessionOptions
from yourtts_onnx.runtime.speaker_encoder import SpeakerEncoder, recipe_from_bundle
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer
from yourtts_onnx.runtime.text.lexicon import Lexicon, resolve_lexicon
from yourtts_onnx.runtime.utterances import Utterance
from yourtts_onnx.runtime.voices import Voices
from yourtts_onnx.runtime.waveform import Audio
from yourtts_onnx.runtime.words import Word, WordRuns, utterance_words

__all__ = ["Plan", "Planner", "Scales", "Step", "Synthesizer"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (utterances done, utterances total)


LexiconSource = str | os.PathLike[str] | Lexicon | None


class Synthesizer:
    """A loaded bundle ready to speak. Thread-safe: sessions are shared, calls hold no state.

    Build it with :meth:`from_bundle` (or :meth:`from_sessions` for sessions made elsewhere). ``backend``
    (``"auto"``, ``"split"``, ``"components"``, ``"model"``) is chosen once; only its graphs are loaded,
    and the speaker encoder is loaded on the first cloning.
    """

    def __init__(
        self, bundle: Bundle, backend: Backend, voices: Voices, lexicon: LexiconSource = None
    ) -> None:
        self.bundle = bundle
        self.config = bundle.config
        self.tokenizer = Tokenizer(
            TextFrontendConfig.from_dict(self.config.text),
            resolve_lexicon(lexicon, bundle.root, self.config.languages),
        )
        self.backend = backend
        self.voices = voices
        self.planner = Planner(self.config, self.tokenizer, voices)
        """The engine's planning (SSML, lexicon, voices): :meth:`prepare` and the batch driver use it."""

    # -- construction -------------------------------------------------------------------------------

    @classmethod
    def from_bundle(
        cls,
        path: str | os.PathLike[str],
        *,
        threads: int | None = None,
        providers: Sequence[ProviderSpec] | str | None = None,
        graph_optimization: str = "all",
        session_options: SessionOptions | None = None,
        backend: str = "auto",
        integrity: str = "stamp",
        voices_dir: str | os.PathLike[str] | None = None,
        lexicon: LexiconSource = None,
    ) -> Synthesizer:
        """Open a bundle directory and load the graphs of ``backend``.

        ``threads``, ``providers``, ``graph_optimization``: shorthands for ``session_options``
        (:class:`~.session.SessionOptions`: also thread spinning, arena, optimised-graph cache).
        ``integrity``: ``"stamp"`` (default) hashes only files not verified before in their current state,
        ``"full"`` every file, ``"none"`` none (:mod:`~.integrity`). ``voices_dir``: saved voices.
        ``lexicon``: a pronunciation lexicon file or :class:`~.text.lexicon.Lexicon`; ``None``: the bundle's
        ``lexicon.json`` if it has one (an empty file, ``{}``, turns that off).
        """
        options = session_options or SessionOptions(
            threads=threads, providers=providers, graph_optimization=graph_optimization
        )
        bundle = Bundle.open(path, integrity=integrity)
        chosen = choose_backend(bundle.config.graphs, backend)
        return cls(bundle, chosen.from_bundle(bundle, options), Voices(bundle, voices_dir, options), lexicon)

    @classmethod
    def from_sessions(
        cls,
        bundle: Bundle,
        sessions: Mapping[str, ort.InferenceSession],
        *,
        backend: str = "auto",
        voices_dir: str | os.PathLike[str] | None = None,
        lexicon: LexiconSource = None,
    ) -> Synthesizer:
        """Use sessions created elsewhere (custom providers, shared sessions, tests), keyed by graph name
        (``"model"``, ``"text_encoder"``, ..., and optionally ``"speaker_encoder"``)."""
        chosen = choose_backend(sessions, backend)
        encoder = None
        if GRAPH_SPEAKER_ENCODER in sessions:
            recipe = recipe_from_bundle(bundle.config.speaker_encoder, str(bundle.root))
            encoder = SpeakerEncoder(sessions[GRAPH_SPEAKER_ENCODER], recipe, bundle.config.embedding_dim)
        return cls(
            bundle,
            chosen.from_sessions(sessions, bundle),
            Voices(bundle, voices_dir, encoder=encoder),
            lexicon,
        )

    # -- what the bundle offers ---------------------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    @property
    def languages(self) -> list[str]:
        return list(self.config.languages)

    @property
    def default_language(self) -> str | None:
        """The only language, else ``"en"`` when present, else ``None`` (a language must be given)."""
        return default_language(self.config.languages, self.tokenizer.config.language_resolution)

    @property
    def speakers(self) -> list[str]:
        """Built-in speaker names."""
        return self.voices.builtin_names()

    @property
    def defaults(self) -> InferenceDefaults:
        return self.config.inference

    @property
    def can_clone(self) -> bool:
        return self.voices.can_clone

    @property
    def times_words(self) -> bool:
        """Whether the audio comes with word timestamps (:attr:`Audio.words`): the component backends time
        words; ``model.onnx`` alone does not output durations."""
        return self.backend.times_words

    def require_word_times(self) -> None:
        """Raise :class:`InputError` (one line naming the fix) when this synthesizer cannot time words."""
        if not self.backend.times_words:
            raise InputError(
                f"word timestamps need the component graphs (text_encoder and duration_predictor): backend "
                f"'{self.backend.name}' runs model.onnx, which does not output durations; use backend "
                "'auto', 'split' or 'components' with a bundle that has them"
            )

    @property
    def streams(self) -> bool:
        """Whether :meth:`stream` yields windows within sentences (else one chunk per sentence)."""
        return self.backend.streams

    # -- voices (the voice service; see :class:`~.voices.Voices` for the rest) ---------------

    def embed(self, speaker_wav: Any) -> np.ndarray:
        """Speaker embedding ``[dim]`` of a recording (path or encoded bytes) or the mean over several."""
        return self.voices.embed(speaker_wav)

    def language(self, requested: str | None) -> tuple[str, int]:
        """``(name, id)`` of a bundle language by the bundle's resolution rules (``"fr"``, ``"PT_BR"``, ...;
        ``None``: the default); the error lists the languages."""
        return self.planner.language(requested)

    # -- text ---------------------------------------------------------------------------------------

    def tokenize(
        self, text: str, language: str | None = None, *, normalize_numbers: bool = True
    ) -> list[int]:
        """Ids of the whole text as one utterance (``normalize_numbers=False`` is Coqui's tokenizer)."""
        name, _ = self.language(language)
        return self.tokenizer.encode(text, name, normalize_numbers=normalize_numbers)

    def utterances(
        self, text: str, options: SynthesisOptions | None = None, /, **fields: Any
    ) -> list[Utterance]:
        """The utterances (sentences, capped at ``max_tokens``; SSML: per span, each with its language) that
        :meth:`synthesize` would speak."""
        return self.planner.utterances(text, make_options(options, **fields))

    # -- synthesis ----------------------------------------------------------------------------------

    def options(self, options: SynthesisOptions | None = None, /, **fields: Any) -> SynthesisOptions:
        """``options`` with ``fields`` applied (``None`` values ignored): how front ends build one."""
        return make_options(options, **fields)

    def scales(self, opts: SynthesisOptions) -> Scales:
        """The options' scales, defaulting to the bundle's ``config.inference``."""
        return self.planner.scales(opts)

    def prepare(self, text: str, opts: SynthesisOptions) -> Plan:
        """Check and resolve one call (language, text or SSML, voices — cloning runs here) before any
        synthesis (:meth:`Planner.prepare`, plus what this backend can do)."""
        scales = self.scales(opts)
        noisy = scales.noise_scale > 0 or scales.noise_scale_dp > 0
        if opts.seed is not None and noisy and not self.backend.seedable:
            raise InputError(
                f"a seed needs a backend that draws all noise on the host; backend '{self.backend.name}' of this "
                "bundle draws it inside the graph (use the component graphs, or noise scales 0)"
            )
        return self.planner.prepare(text, opts)

    def pause_samples(self, opts: SynthesisOptions) -> int:
        """Samples of silence between sentences: the options' pause, else the bundle's."""
        return self.planner.pause_samples(opts)

    def stream(
        self,
        text: str,
        options: SynthesisOptions | None = None,
        /,
        *,
        windows: bool = True,
        progress: Progress | None = None,
        **fields: Any,
    ) -> Iterator[Audio]:
        """Yield the audio as it is made: one :class:`Audio` per decoded window (``windows=False``: one per
        sentence). Everything is checked by this call, before it returns; the models run as chunks are taken.

        ``options`` and/or keyword ``fields`` (any :class:`SynthesisOptions` field): how to speak.
        The first chunk of every sentence after the first starts with the pause, so the chunks concatenated
        are the whole result. ``progress`` is called with ``(sentences done, total)``.

        With ``loudness`` (:mod:`~.loudness`): windows get the gain of the loudness measured so far (a
        running measure); with ``windows=False`` the whole text is made and normalised first, then its
        sentences are yielded (the same audio as :meth:`synthesize`).
        """
        opts = make_options(options, **fields)
        plan = self.prepare(text, opts)
        schedule = (
            resolve_schedule(opts.chunk_frames, self.sample_rate / self.config.hop_length)
            if windows
            else None
        )
        chunks = self._run(plan, schedule, progress)
        if opts.loudness is None:
            return chunks
        if windows:
            return self._running_loudness(chunks, opts.loudness)
        return self._whole_loudness(chunks, opts.loudness)

    def _running_loudness(self, chunks: Iterator[Audio], target: float) -> Iterator[Audio]:
        normalizer = RunningNormalizer(self.sample_rate, target)
        for chunk in chunks:  # the same lengths: the words keep their times
            yield Audio(normalizer.process(chunk.samples), self.sample_rate, chunk.words)

    def _whole_loudness(self, chunks: Iterator[Audio], target: float) -> Iterator[Audio]:
        done = list(chunks)
        parts = [chunk.samples for chunk in done]
        whole = normalize_loudness(
            np.concatenate(parts) if parts else np.zeros(0, np.float32), self.sample_rate, target
        )
        start = 0
        for chunk in done:  # a gain only: the words keep their times
            yield Audio(whole[start : start + len(chunk)], self.sample_rate, chunk.words)
            start += len(chunk)

    def synthesize(
        self,
        text: str,
        options: SynthesisOptions | None = None,
        /,
        *,
        progress: Progress | None = None,
        **fields: Any,
    ) -> Audio:
        """Speak ``text`` (whole sentences decoded at once). See :class:`SynthesisOptions` for ``fields``:
        ``language``, ``voice``/``speaker_wav``/``embedding``, the three scales, ``sentence_pause``,
        ``normalize_numbers``, ``split_sentences``, ``max_tokens``, ``seed``, ``loudness`` (the whole output
        normalised)."""
        chunks = self.stream(text, options, windows=False, progress=progress, **fields)
        return Audio.concatenate(list(chunks), self.sample_rate)

    def _run(self, plan: Plan, schedule: ChunkSchedule | None, progress: Progress | None) -> Iterator[Audio]:
        rng = np.random.default_rng(plan.seed)
        total = len(plan.steps)
        runs = WordRuns(plan.text)
        letters = self.tokenizer.letter_ids
        emitted = 0  # samples yielded so far
        timed = True
        for i, step in enumerate(plan.steps):
            utterance = step.utterance
            speech = self.backend.speak_timed(
                utterance.ids, step.embedding, step.language_id, step.scales.array(), rng, schedule
            )
            pause = step.pause
            words: tuple[Word, ...] | None = None
            if speech.durations is not None:
                words = tuple(
                    utterance_words(
                        runs,
                        utterance.ids,
                        utterance.spans,
                        speech.durations.tolist(),
                        letters,
                        first_sample=emitted + pause,
                        hop_length=self.config.hop_length,
                        sample_rate=self.sample_rate,
                    )
                )
            timed = words is not None
            for j, (samples, last) in enumerate(speech.chunks):
                if pause and j == 0:
                    samples = np.concatenate([np.zeros(pause, dtype=np.float32), samples])
                if last and progress is not None:
                    progress(i + 1, total)
                emitted += samples.shape[0]
                yield Audio(samples, self.sample_rate, words if j == 0 or words is None else ())
        if plan.trailing:  # an SSML <break> after the last words
            yield Audio(np.zeros(plan.trailing, dtype=np.float32), self.sample_rate, () if timed else None)

    def synthesize_ids(
        self,
        ids_batch: np.ndarray | Sequence[Sequence[int]],
        lengths: np.ndarray | Sequence[int],
        embedding: np.ndarray,
        language_ids: np.ndarray | Sequence[int] | int,
        scales: np.ndarray | Sequence[float],
    ) -> Any:
        """One raw ``model.onnx`` call (parity checks; needs the ``"model"`` backend): padded ids ``[B, T]``,
        ``lengths [B]``, embedding ``[D]`` or ``[B, D]``, language ids, ``scales [3]`` → padded waveforms."""
        if not isinstance(self.backend, WholeGraph):
            raise InputError(
                f"synthesize_ids needs backend='model' (this synthesizer uses '{self.backend.name}')"
            )
        return self.backend.run(
            np.asarray(ids_batch),
            np.asarray(lengths),
            np.asarray(embedding),
            np.asarray(language_ids),
            np.asarray(scales),
        )
