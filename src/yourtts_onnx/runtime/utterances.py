"""Text → utterances: sentences capped at a token limit, tokenised, and grouped into batches.

An utterance is one model call's worth of text (one item of a batch). Long text is split into
sentences (:func:`~yourtts_onnx.runtime.text.split_sentences`), and a sentence longer than the token
limit is cut at clause punctuation, then at spaces (:func:`~yourtts_onnx.runtime.text.cap_sentence`).
With ``split=False`` the whole text is one utterance, tokenised exactly as Coqui does (the parity path).

The order of the steps, which other hosts reproduce (``docs/consumers.md`` section 3): normalisation
(optional: the pronunciation lexicon, then numbers and the rest) of the whole text → sentence splitting →
capping each sentence → per piece: cleaning, ids, and skipping pieces with nothing speakable. The splitting tables and the default token limit come from
the tokenizer's config (``text.sentences`` in the bundle).

Every utterance also carries each id's span in the input ``text`` (:mod:`~.text.spans`): the number
expansion runs on a tracked text, the pieces are found again in it, and the tokenizer tracks the cleaning.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.text import DEFAULT_MAX_TOKENS, Tokenizer, chunk_text, describe_characters
from yourtts_onnx.runtime.text.normalize import normalize_text
from yourtts_onnx.runtime.text.spans import Span, TrackedText, locate_pieces

__all__ = ["DEFAULT_MAX_TOKENS", "Utterance", "max_chars_for", "pause_samples", "plan_utterances"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Utterance:
    """One model input: the text it came from and its ids."""

    text: str
    ids: tuple[int, ...]
    spans: tuple[Span | None, ...] = ()
    """Per id, the span ``[start, end)`` of the text given to :func:`plan_utterances` (``None``: a blank)."""
    language: str | None = None
    """The bundle language it is spoken in (set by the planner; SSML ``<lang>`` spans differ from the call's)."""


def max_chars_for(max_tokens: int, add_blank: bool) -> int:
    """Cleaned characters that fit in ``max_tokens`` ids (``2n + 1`` ids with blanks)."""
    if (
        isinstance(max_tokens, bool)
        or not isinstance(max_tokens, int)
        or max_tokens < (3 if add_blank else 1)
    ):
        raise InputError(
            f"max_tokens must be an integer of at least {3 if add_blank else 1}, got {max_tokens!r}"
        )
    return (max_tokens - 1) // 2 if add_blank else max_tokens


def plan_utterances(
    text: str | TrackedText,
    tokenizer: Tokenizer,
    language: str,
    *,
    normalize_numbers: bool = True,
    split: bool = True,
    max_tokens: int | None = None,
) -> list[Utterance]:
    """Sentences of ``text`` as tokenised utterances, in order.

    ``max_tokens`` (ids per utterance, blanks included) defaults to the config's
    ``sentences.max_tokens`` (400 for bundles that do not record it).
    ``text`` may be a :class:`~.text.spans.TrackedText` (an SSML segment): the spans then index what it tracks.
    Sentences without a known letter or digit are left out. Raises :class:`InputError` when nothing
    pronounceable is left at all (empty text, only removed symbols or only characters the model lacks);
    characters the model lacks are otherwise dropped with one warning.
    """
    if not isinstance(text, (str, TrackedText)):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    if not split:
        enc = tokenizer.encode_with_report(text, language, normalize_numbers=normalize_numbers)
        if enc.dropped:
            _warn_dropped(enc.dropped)
        return [Utterance(str(text), enc.ids, enc.spans, language)]
    config = tokenizer.config
    limit = config.sentences.max_tokens if max_tokens is None else max_tokens
    max_chars = max_chars_for(limit, config.add_blank)
    tracked = text if isinstance(text, TrackedText) else TrackedText.of(text)
    if normalize_numbers:
        tracked = normalize_text(tracked, language, tokenizer.lexicon)
    chunks = chunk_text(
        tracked.text, language, max_chars, rules=config.cleaner_rules, sentence_rules=config.sentences
    )
    utterances: list[Utterance] = []
    dropped: dict[str, None] = {}
    for chunk, piece in zip(chunks, locate_pieces(tracked, chunks, config.sentences.whitespace), strict=True):
        enc = tokenizer.encode_with_report(piece, language, strict=False)
        dropped.update(dict.fromkeys(enc.dropped))
        # a chunk without a known letter or digit (a lone emoji or "...") is skipped, not spoken as noise
        if tokenizer.can_speak(chunk, language):
            utterances.append(Utterance(chunk, enc.ids, enc.spans, language))
    if not utterances:
        # the tokenizer's strict mode words the reason (empty, only symbols, only unknown characters)
        tokenizer.encode_with_report(str(text), language, normalize_numbers=normalize_numbers, strict=True)
        raise InputError("text has nothing the model can pronounce")  # pragma: no cover - strict raised
    if dropped:
        _warn_dropped(dropped)
    return utterances


def _warn_dropped(dropped: Iterable[str]) -> None:
    chars = list(dropped)
    logger.warning(
        "dropped %d character(s) that the model's vocabulary lacks: %s",
        len(chars),
        describe_characters(chars),
    )


def pause_samples(seconds: float, sample_rate: int) -> int:
    """Samples of silence between two utterances: ``round(seconds * sample_rate)``, halves to even."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        raise InputError(f"sentence_pause must be zero or a positive number of seconds, got {seconds!r}")
    return round(seconds * sample_rate)
