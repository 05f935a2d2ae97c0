"""Per-call synthesis options: one object for :meth:`Synthesizer.synthesize`, :meth:`Synthesizer.stream`,
the CLI, the HTTP service and every other front end. Validated once, at construction.

>>> opts = SynthesisOptions(language="fr-fr", voice="female-en-5", length_scale=1.1, seed=7)
>>> opts.with_(sentence_pause=0.5).sentence_pause
0.5

What needs the bundle (the language name, the voice, default scales) is resolved by the synthesizer; what
can be checked without it (types, ranges, at most one voice source) is checked here, so a bad option fails
before any work, in every front end alike, with the same message.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.audio import AudioSource
from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule
from yourtts_onnx.runtime.limits import (
    MAX_LENGTH_SCALE,
    MAX_LOUDNESS_LUFS,
    MAX_NOISE_SCALE,
    MAX_SEED,
    MAX_SENTENCE_PAUSE,
    MAX_TOKENS_LIMIT,
    MIN_LENGTH_SCALE,
    MIN_LOUDNESS_LUFS,
    check_float,
    check_int,
)

ChunkFrames = int | ChunkSchedule | None


def _sources(value: AudioSource | Sequence[AudioSource]) -> tuple[AudioSource, ...]:
    if isinstance(value, (str, os.PathLike, bytes, bytearray, memoryview)) or hasattr(value, "read"):
        return (value,)  # type: ignore[return-value]
    if isinstance(value, Sequence):
        items = tuple(value)
        if not items:
            raise InputError("speaker_wav lists no recording")
        return items
    raise InputError(
        f"speaker_wav must be a path, audio bytes, or a list of them, got {type(value).__name__}"
    )


def _embedding(value: Any) -> np.ndarray:
    try:
        emb = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError("embedding must be a numeric vector") from None
    if emb.ndim == 2 and emb.shape[0] == 1:
        emb = emb[0]
    if emb.ndim != 1 or emb.size == 0:
        raise InputError(f"embedding must be a 1-D vector, got shape {list(emb.shape)}")
    if not np.all(np.isfinite(emb)) or not np.any(emb):
        raise InputError("embedding must be finite and not all zero")
    emb.setflags(write=False)
    return emb


@dataclass(frozen=True, eq=False)
class SynthesisOptions:
    """How to speak one text.

    Attributes:
        language: a bundle language (``"en"``, ``"fr-fr"``; ``"fr"``, ``"PT_BR"`` work when unambiguous);
            ``None``: the only language, else ``"en"`` when the bundle has it.
        voice: a built-in speaker, a saved voice name, or a voice profile path.
        speaker_wav: reference recording(s) to clone the voice from (paths or encoded bytes).
        embedding: a speaker embedding ``[dim]``. At most one of ``voice``/``speaker_wav``/``embedding``;
            none: the bundle's first built-in speaker.
        noise_scale, length_scale, noise_scale_dp: ``None``: the bundle's defaults (``config.inference``).
        sentence_pause: seconds of silence between sentences; ``None``: the bundle's
            (``text.sentences.pause_seconds`` in ``config.json``, 0.2 s).
        normalize_numbers: write numbers out as words (``False``: Coqui's tokenizer drops digits).
        split_sentences: split the text into sentences (``False``: one utterance, as Coqui).
        max_tokens: cut sentences longer than this many ids (blanks included); ``None``: the bundle's
            (``text.sentences.max_tokens``, 400 ids = 199 characters: the text encoder's attention is
            quadratic in it, and ~200 characters keep memory flat and the first audio of a stream quick).
        chunk_frames: windows when *streaming*: ``None`` a short first window (~0.25 s) then doubling up to
            ~4 s; ``n`` windows of ``n`` frames; ``0`` whole sentences; or a :class:`ChunkSchedule`.
            :meth:`Synthesizer.synthesize` always decodes whole sentences.
        seed: the noise of the whole call comes from this seed (same seed, same options → same audio, on any
            machine, with the component graphs); ``None``: fresh noise every call.
        loudness: normalise the output to this integrated loudness (LUFS, ITU-R BS.1770; e.g. -16), true
            peaks at most -1 dBTP (:mod:`~.loudness`): the whole output with :meth:`Synthesizer.synthesize`,
            a running measure when streaming windows; ``None`` (default): the model's level, untouched.
        ssml: ``None`` (default): the text is SSML when it starts with ``<speak`` (:mod:`~.text.ssml`);
            ``True``: it must be SSML (an error otherwise); ``False``: plain text, whatever it starts with.
    """

    language: str | None = None
    voice: str | os.PathLike[str] | None = None
    speaker_wav: AudioSource | Sequence[AudioSource] | None = None
    embedding: np.ndarray | Sequence[float] | None = None
    noise_scale: float | None = None
    length_scale: float | None = None
    noise_scale_dp: float | None = None
    sentence_pause: float | None = None
    normalize_numbers: bool = True
    split_sentences: bool = True
    max_tokens: int | None = None
    chunk_frames: ChunkFrames = None
    seed: int | None = None
    loudness: float | None = None
    ssml: bool | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.language is not None and (not isinstance(self.language, str) or not self.language.strip()):
            raise InputError("language must be a non-empty string")
        given = [n for n in ("voice", "speaker_wav", "embedding") if getattr(self, n) is not None]
        if len(given) > 1:
            raise InputError(f"give only one of voice, speaker_wav and embedding (got {', '.join(given)})")
        if self.voice is not None and (
            not isinstance(self.voice, (str, os.PathLike)) or not os.fspath(self.voice).strip()
        ):
            raise InputError("voice must be a non-empty name or path")
        if self.speaker_wav is not None:
            set_(self, "speaker_wav", _sources(self.speaker_wav))
        if self.embedding is not None:
            set_(self, "embedding", _embedding(self.embedding))
        for name in ("noise_scale", "noise_scale_dp"):
            if getattr(self, name) is not None:
                set_(self, name, check_float(name, getattr(self, name), 0.0, MAX_NOISE_SCALE))
        if self.length_scale is not None:
            set_(
                self,
                "length_scale",
                check_float("length_scale", self.length_scale, MIN_LENGTH_SCALE, MAX_LENGTH_SCALE),
            )
        if self.sentence_pause is not None:
            set_(
                self,
                "sentence_pause",
                check_float("sentence_pause", self.sentence_pause, 0.0, MAX_SENTENCE_PAUSE),
            )
        if self.ssml is not None and not isinstance(self.ssml, bool):
            raise InputError(f"ssml must be true, false or null, got {self.ssml!r}")
        for name in ("normalize_numbers", "split_sentences"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.max_tokens is not None:
            set_(self, "max_tokens", check_int("max_tokens", self.max_tokens, 3, MAX_TOKENS_LIMIT))
        if self.chunk_frames is not None and not isinstance(self.chunk_frames, ChunkSchedule):
            set_(self, "chunk_frames", check_int("chunk_frames", self.chunk_frames, 0, 100_000))
        if self.seed is not None:
            set_(self, "seed", check_int("seed", self.seed, 0, MAX_SEED))
        if self.loudness is not None:
            set_(
                self, "loudness", check_float("loudness", self.loudness, MIN_LOUDNESS_LUFS, MAX_LOUDNESS_LUFS)
            )

    def with_(self, **changes: Any) -> SynthesisOptions:
        """A copy with ``changes`` (validated again). Setting one voice source clears the others."""
        unknown = sorted(set(changes) - FIELD_NAMES)
        if unknown:
            raise InputError(f"unknown synthesis option(s): {', '.join(unknown)}")
        sources = {"voice", "speaker_wav", "embedding"} & {k for k, v in changes.items() if v is not None}
        if sources:
            changes = {**{k: None for k in ("voice", "speaker_wav", "embedding")}, **changes}
        return replace(self, **changes)

    @property
    def coqui_exact(self) -> bool:
        """Whether the text is tokenised exactly as Coqui does (no number expansion, no splitting)."""
        return not self.normalize_numbers and not self.split_sentences


FIELD_NAMES = frozenset(f.name for f in fields(SynthesisOptions))


def make_options(options: SynthesisOptions | None = None, **changes: Any) -> SynthesisOptions:
    """``options`` (default: all defaults) with ``changes`` applied; ``None`` values in ``changes`` are
    ignored, so front ends can pass what the user left unset."""
    base = options if options is not None else SynthesisOptions()
    if not isinstance(base, SynthesisOptions):
        raise InputError(f"options must be SynthesisOptions, got {type(base).__name__}")
    given = {k: v for k, v in changes.items() if v is not None}
    return base.with_(**given) if given else base
