"""Text → utterances: sentences capped at a token limit, tokenised, and grouped into batches.

An utterance is one model call's worth of text (one item of a batch). Long text is split into
sentences (:func:`~yourtts_onnx.runtime.text.split_sentences`), and a sentence longer than the token
limit is cut at clause punctuation, then at spaces (:func:`~yourtts_onnx.runtime.text.cap_sentence`).
With ``split=False`` the whole text is one utterance, tokenised exactly as Coqui does (the parity path).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.text import Tokenizer, chunk_text, describe_characters

logger = logging.getLogger(__name__)

# Longest utterance in model input ids (blanks included): 400 ids = 199 characters. The text encoder's
# attention is quadratic in this and the duration predictor sees a whole utterance at once; sentences of
# up to ~200 characters keep memory flat and the first audio of a stream quick.
DEFAULT_MAX_TOKENS = 400


@dataclass(frozen=True)
class Utterance:
    """One model input: the text it came from and its ids."""

    text: str
    ids: tuple[int, ...]


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
    text: str,
    tokenizer: Tokenizer,
    language: str,
    *,
    normalize_numbers: bool = True,
    split: bool = True,
    max_tokens: int = DEFAULT_MAX_TOKENS,
) -> list[Utterance]:
    """Sentences of ``text`` as tokenised utterances, in order.

    Sentences without a known letter or digit are left out. Raises :class:`InputError` when nothing
    pronounceable is left at all (empty text, only removed symbols or only characters the model lacks);
    characters the model lacks are otherwise dropped with one warning.
    """
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    if not split:
        return [Utterance(text, tuple(tokenizer.encode(text, language, normalize_numbers=normalize_numbers)))]
    max_chars = max_chars_for(max_tokens, tokenizer.config.add_blank)
    chunks = chunk_text(
        text, language, max_chars, rules=tokenizer.config.cleaner_rules, normalize_numbers=normalize_numbers
    )
    utterances: list[Utterance] = []
    dropped: dict[str, None] = {}
    for chunk in chunks:
        enc = tokenizer.encode_with_report(chunk, language, strict=False)
        dropped.update(dict.fromkeys(enc.dropped))
        # a chunk without a known letter or digit (a lone emoji or "...") is skipped, not spoken as noise
        if tokenizer.can_speak(chunk, language):
            utterances.append(Utterance(chunk, enc.ids))
    if not utterances:
        # the tokenizer's strict mode words the reason (empty, only symbols, only unknown characters)
        tokenizer.encode_with_report(text, language, normalize_numbers=normalize_numbers, strict=True)
        raise InputError("text has nothing the model can pronounce")  # pragma: no cover - strict raised
    if dropped:
        logger.warning(
            "dropped %d character(s) that the model's vocabulary lacks: %s",
            len(dropped),
            describe_characters(dropped),
        )
    return utterances


def batches(utterances: Sequence[Utterance], batch_size: int) -> Iterator[list[Utterance]]:
    """Consecutive groups of at most ``batch_size`` utterances (order kept, so a stream stays in order)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
    for start in range(0, len(utterances), batch_size):
        yield list(utterances[start : start + batch_size])
