"""The engine's planning: text + :class:`SynthesisOptions` → a :class:`Plan` (every utterance with its ids,
language id, voice embedding, scales and the silence before it), before any model runs.

:class:`Planner` needs the bundle's config, a tokenizer and (to resolve voices) the voice service — no
graphs — so the batch driver plans rows with the same object the :class:`~.synthesizer.Synthesizer` uses
(:attr:`Synthesizer.planner`): SSML, lexicons and blends mean the same everywhere.

Plain text: sentences capped at ``max_tokens`` (:func:`~.utterances.plan_utterances`), all in the call's
language, voice and scales, ``sentence_pause`` between them. SSML (:mod:`~.text.ssml`, a text starting with
``<speak``): each segment of the document is planned the same way in its own language, voice (its
embedding) and length scale (the call's divided by the ``<prosody>`` rate). The silence before an
utterance: the ``<break>`` written there (it replaces the sentence pause); else the sentence pause between
sentences (within a segment, after ``<s>``/``<p>``, or after sentence-final punctuation); else none (a
language, voice or rate change inside a sentence). A ``<break>`` at the end is silence after the last
utterance (:attr:`Plan.trailing`). Word timestamps index :attr:`Plan.text`, the document's text for SSML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.bundle import Bundle, BundleConfig
from yourtts_onnx.runtime.languages import resolve_language
from yourtts_onnx.runtime.limits import MAX_LENGTH_SCALE, MIN_LENGTH_SCALE
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer
from yourtts_onnx.runtime.text.lexicon import Lexicon
from yourtts_onnx.runtime.text.spans import TrackedText
from yourtts_onnx.runtime.text.ssml import Document, is_ssml, parse_ssml
from yourtts_onnx.runtime.utterances import Utterance, pause_samples, plan_utterances
from yourtts_onnx.runtime.voices import Voices

__all__ = ["Plan", "Planner", "Scales", "Step"]

Progress = Callable[[int, int], None]

# a sentence ends here: final punctuation, closing quotes or brackets, then only whitespace
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’»)\]]*\s*\Z")


@dataclass(frozen=True)
class Scales:
    """``[noise_scale, length_scale, noise_scale_dp]`` as the graphs take them."""

    noise_scale: float
    length_scale: float
    noise_scale_dp: float

    @property
    def noisy(self) -> bool:
        """Whether any noise is drawn (a seed then matters)."""
        return self.noise_scale > 0 or self.noise_scale_dp > 0

    def array(self) -> np.ndarray:
        return np.array([self.noise_scale, self.length_scale, self.noise_scale_dp], dtype=np.float32)


@dataclass(frozen=True, eq=False)
class Step:
    """One model call of a plan and the silence before it."""

    utterance: Utterance
    language_id: int
    embedding: np.ndarray
    scales: Scales
    pause: int  # samples of silence before it


@dataclass(frozen=True, eq=False)
class Plan:
    """One call, checked and resolved: everything the backend needs, before any model runs.

    ``embedding``, ``language``, ``language_id``, ``scales``: the call's own (plain text: every step's);
    ``steps``: per utterance (SSML spans differ); ``pause``: the sentence pause in samples; ``trailing``:
    samples of silence after the last step (an SSML ``<break>`` at the end)."""

    text: str
    utterances: list[Utterance]
    embedding: np.ndarray
    language: str
    language_id: int
    scales: Scales
    pause: int
    seed: int | None
    steps: tuple[Step, ...] = ()
    trailing: int = 0
    ssml: bool = False


@dataclass(frozen=True)
class _Piece:
    utterance: Utterance
    voice: str | None
    rate: float
    pause: int


class Planner:
    """Plans calls for one bundle: its config, a tokenizer (with the lexicon) and, for voices, the voice
    service (``None``: :meth:`utterances` only). Thread-safe (holds no state)."""

    def __init__(self, config: BundleConfig, tokenizer: Tokenizer, voices: Voices | None = None) -> None:
        self.config = config
        self.tokenizer = tokenizer
        self.voices = voices

    @classmethod
    def for_bundle(
        cls, bundle: Bundle, voices: Voices | None = None, lexicon: Lexicon | None = None
    ) -> Planner:
        """A planner that loads no graph (the batch driver, ``tokenize``)."""
        tokenizer = Tokenizer(TextFrontendConfig.from_dict(bundle.config.text), lexicon)
        return cls(bundle.config, tokenizer, voices)

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def language(self, requested: str | None) -> tuple[str, int]:
        """``(name, id)`` of a bundle language by the bundle's resolution rules (``None``: the default)."""
        return resolve_language(requested, self.config.languages, self.tokenizer.config.language_resolution)

    def scales(self, opts: SynthesisOptions) -> Scales:
        """The options' scales, defaulting to the bundle's ``config.inference``."""
        d = self.config.inference
        return Scales(
            d.noise_scale if opts.noise_scale is None else opts.noise_scale,
            d.length_scale if opts.length_scale is None else opts.length_scale,
            d.noise_scale_dp if opts.noise_scale_dp is None else opts.noise_scale_dp,
        )

    def pause_samples(self, opts: SynthesisOptions) -> int:
        """Samples of silence between sentences: the options' pause, else the bundle's."""
        pause = (
            self.tokenizer.config.sentences.pause_seconds
            if opts.sentence_pause is None
            else opts.sentence_pause
        )
        return pause_samples(pause, self.sample_rate)

    def is_ssml(self, text: object, opts: SynthesisOptions) -> bool:
        """Whether ``text`` is planned as SSML (``opts.ssml``: ``None`` detects a ``<speak`` root)."""
        if opts.ssml is False:
            return False
        found = is_ssml(text)
        if opts.ssml and not found:
            raise InputError("the text is not SSML: an SSML document starts with <speak>")
        return found

    def document(self, text: str, language: str) -> Document:
        """The SSML document of ``text`` (``language``: the call's, for text outside ``xml:lang``)."""
        return parse_ssml(text, language, lambda tag: self.language(tag)[0])

    def utterances(self, text: str, opts: SynthesisOptions) -> list[Utterance]:
        """The utterances :meth:`prepare` would plan (each with its language), without resolving voices."""
        language, _ = self.language(opts.language)
        pieces = self._pieces(text, language, opts, self.is_ssml(text, opts))[1]
        return [piece.utterance for piece in pieces]

    def _split(self, text: str | TrackedText, language: str, opts: SynthesisOptions) -> list[Utterance]:
        return plan_utterances(
            text,
            self.tokenizer,
            language,
            normalize_numbers=opts.normalize_numbers,
            split=opts.split_sentences,
            max_tokens=opts.max_tokens,
        )

    def _pieces(
        self, text: str, language: str, opts: SynthesisOptions, ssml: bool
    ) -> tuple[str, list[_Piece], int]:
        """``(text the spans index, pieces, trailing silence in samples)``."""
        pause = self.pause_samples(opts)
        if not ssml:
            utterances = self._split(text, language, opts)
            return text, [_Piece(u, None, 1.0, pause if i else 0) for i, u in enumerate(utterances)], 0
        doc = self.document(text, language)
        pieces: list[_Piece] = []
        previous = ""
        carried: float | None = None  # the break of a segment with nothing to say ("." after an element)
        new_sentence = False
        for segment in doc.segments:
            silence = segment.break_before
            if carried is not None:
                silence = carried + (silence or 0.0)
            new_sentence = new_sentence or segment.new_sentence
            if not self.tokenizer.can_speak(
                segment.text.text, segment.language, normalize_numbers=opts.normalize_numbers
            ):
                previous, carried = segment.text.text, silence
                continue
            if silence is not None:
                first = pause_samples(silence, self.sample_rate)
            elif not pieces:
                first = 0
            elif new_sentence or _SENTENCE_END.search(previous):
                first = pause
            else:
                first = 0
            carried, new_sentence = None, False
            for i, utterance in enumerate(self._split(segment.text, segment.language, opts)):
                pieces.append(_Piece(utterance, segment.voice, segment.rate, pause if i else first))
            previous = segment.text.text
        if not pieces:
            raise InputError("the SSML document has nothing the model can pronounce")
        if carried is not None or doc.trailing_break is not None:
            trailing = pause_samples((carried or 0.0) + (doc.trailing_break or 0.0), self.sample_rate)
        else:
            trailing = 0
        return doc.text, pieces, trailing

    def prepare(self, text: str, opts: SynthesisOptions) -> Plan:
        """Check and resolve one call (language, text, voices — cloning runs here) before any synthesis."""
        if self.voices is None:
            raise InputError("this planner has no voice service: it plans utterances only")
        language, language_id = self.language(opts.language)
        scales = self.scales(opts)
        ssml = self.is_ssml(text, opts)
        spans_text, pieces, trailing = self._pieces(text, language, opts, ssml)
        embedding = self.voices.resolve(opts)
        voices: dict[str, np.ndarray] = {}
        steps = []
        for piece in pieces:
            step_embedding = embedding if piece.voice is None else self._voice(piece.voice, voices)
            step_scales = scales if piece.rate == 1.0 else self._rated(scales, piece.rate)
            step_language = piece.utterance.language or language
            step_id = language_id if step_language == language else self.config.languages[step_language]
            steps.append(Step(piece.utterance, step_id, step_embedding, step_scales, piece.pause))
        return Plan(
            spans_text,
            [piece.utterance for piece in pieces],
            embedding,
            language,
            language_id,
            scales,
            self.pause_samples(opts),
            opts.seed,
            tuple(steps),
            trailing,
            ssml,
        )

    def _voice(self, name: str, cache: dict[str, np.ndarray]) -> np.ndarray:
        if name not in cache and self.voices is not None:
            try:
                cache[name] = self.voices.embedding(name)
            except InputError as exc:
                raise InputError(f"SSML <voice name='{name[:80]}'>: {exc}") from None
        return cache[name]

    @staticmethod
    def _rated(scales: Scales, rate: float) -> Scales:
        length = scales.length_scale / rate
        if not MIN_LENGTH_SCALE <= length <= MAX_LENGTH_SCALE:
            raise InputError(
                f"SSML <prosody rate>: a rate of {rate:g} makes the length scale {length:g}, outside "
                f"{MIN_LENGTH_SCALE:g}..{MAX_LENGTH_SCALE:g}"
            )
        return Scales(scales.noise_scale, length, scales.noise_scale_dp)
