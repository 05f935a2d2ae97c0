"""Text → model input ids, matching Coqui's ``TTSTokenizer`` for YourTTS.

Pipeline: (optional number expansion) → cleaner → one id per character found in the vocabulary
(other characters are dropped) → blank interspersed (``[b, c1, b, c2, ..., b]``) when ``add_blank``.

:meth:`Tokenizer.encode_with_report` also takes a :class:`~.spans.TrackedText` and reports, for every id,
the span of the input text it came from (:attr:`Encoding.spans`; the mechanism is described in
:mod:`~.spans`), which word timestamps are computed from.

``encode(..., strict=False)`` is exactly Coqui: empty text gives ``[blank]`` and unknown characters are
silently dropped. The default ``strict=True`` (for synthesis) raises :class:`InputError` when no known
letter (or digit) is left, naming the unknown characters.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from yourtts_onnx.errors import InputError

from .cleaners import apply_cleaner
from .config import TextFrontendConfig
from .lexicon import Lexicon
from .normalize import normalize_text as _normalize_numbers
from .spans import Span, TrackedText

__all__ = ["Encoding", "Tokenizer", "describe_characters"]

logger = logging.getLogger(__name__)

_MAX_LISTED = 20


def describe_characters(chars: Iterable[str]) -> str:
    """``'😀' (U+1F600), '@' (U+0040)`` — readable even for invisible characters; long lists are cut."""
    items = list(chars)
    shown = []
    for ch in items[:_MAX_LISTED]:
        name = unicodedata.name(ch, "")
        label = repr(ch) if ch.isprintable() and not ch.isspace() else (name or repr(ch))
        shown.append(f"{label} (U+{ord(ch):04X})")
    text = ", ".join(shown)
    if len(items) > _MAX_LISTED:
        text += f" and {len(items) - _MAX_LISTED} more"
    return text


@dataclass(frozen=True)
class Encoding:
    """The result of :meth:`Tokenizer.encode_with_report`."""

    ids: tuple[int, ...]
    """Model input ids, blanks included when the config adds them."""
    cleaned_text: str
    """Text after number expansion (if asked) and cleaning: what the ids spell, less dropped characters."""
    dropped: tuple[str, ...]
    """Distinct characters of ``cleaned_text`` not in the vocabulary, in order of first appearance."""
    num_chars: int
    """Number of character ids (``len(ids)`` without the blanks)."""
    spans: tuple[Span | None, ...] = ()
    """For each id, the span ``[start, end)`` of the input text its character came from (offsets into the
    text given to :meth:`Tokenizer.encode_with_report`, or the input that a :class:`TrackedText` tracks);
    ``None`` for blanks."""


class Tokenizer:
    """Encodes text for one model, from a :class:`TextFrontendConfig`, with an optional pronunciation
    :class:`~.lexicon.Lexicon` (applied with the normalisation). Thread-safe (holds no state)."""

    def __init__(self, config: TextFrontendConfig, lexicon: Lexicon | None = None) -> None:
        self._config = config
        self.lexicon = lexicon
        # Only single characters can come from text; the blank "<BLNK>" cannot.
        self._char_to_id = {tok: idx for tok, idx in config.char_to_id.items() if len(tok) == 1}
        self._blank_id = config.blank_id if config.add_blank else None
        self._letter_ids = frozenset(idx for tok, idx in self._char_to_id.items() if tok.isalnum())

    @property
    def config(self) -> TextFrontendConfig:
        return self._config

    @property
    def vocab_size(self) -> int:
        return self._config.vocab_size

    @property
    def pad_id(self) -> int:
        return self._config.pad_id

    @property
    def blank_id(self) -> int | None:
        return self._config.blank_id

    @property
    def letter_ids(self) -> frozenset[int]:
        """Ids of the letters and digits (``str.isalnum``): the tokens a word's timestamps start and end on."""
        return self._letter_ids

    def clean(self, text: str, language: str | None, *, normalize_numbers: bool = False) -> str:
        """Normalisation (when asked: the lexicon, numbers, ...) and the configured cleaner."""
        if normalize_numbers:
            text = _normalize_numbers(text, language, self.lexicon)
        return apply_cleaner(text, language, self._config.cleaner_rules)

    def unknown_characters(
        self, text: str, language: str | None, *, normalize_numbers: bool = False
    ) -> list[str]:
        """Distinct characters that cleaning leaves but the vocabulary lacks, in order of appearance."""
        cleaned = self.clean(text, language, normalize_numbers=normalize_numbers)
        return list(dict.fromkeys(ch for ch in cleaned if ch not in self._char_to_id))

    def can_speak(self, text: str, language: str | None, *, normalize_numbers: bool = False) -> bool:
        """Whether strict :meth:`encode` accepts ``text``: a known letter or digit survives cleaning.

        Use it to skip chunks such as a lone emoji sentence instead of failing a whole request.
        """
        cleaned = self.clean(text, language, normalize_numbers=normalize_numbers)
        return any(ch.isalnum() and ch in self._char_to_id for ch in cleaned)

    def encode_with_report(
        self,
        text: str | TrackedText,
        language: str | None,
        *,
        normalize_numbers: bool = False,
        strict: bool = True,
    ) -> Encoding:
        """Like :meth:`encode`, returning the dropped characters instead of logging them, and every id's
        input span (``text`` may be a :class:`TrackedText` whose spans point into an earlier input)."""
        if isinstance(text, TrackedText):
            tracked = text
        elif isinstance(text, str):
            tracked = TrackedText.of(text)
        else:
            raise InputError(f"text must be a string, got {type(text).__name__}")
        if normalize_numbers:
            tracked = _normalize_numbers(tracked, language, self.lexicon)
        cleaned_tracked = apply_cleaner(tracked, language, self._config.cleaner_rules)
        cleaned = cleaned_tracked.text
        char_ids: list[int] = []
        char_spans: list[Span] = []
        dropped: dict[str, None] = {}
        lookup = self._char_to_id
        for i, ch in enumerate(cleaned):
            idx = lookup.get(ch)
            if idx is None:
                dropped[ch] = None
            else:
                char_ids.append(idx)
                char_spans.append(cleaned_tracked.span(i))
        if strict and not any(ch.isalnum() and ch in lookup for ch in cleaned):
            raise InputError(_empty_message(str(text), cleaned, list(dropped)))
        spans: list[Span | None] = list(char_spans)
        if self._blank_id is not None:
            spans = [None] * (2 * len(char_spans) + 1)
            spans[1::2] = char_spans
        return Encoding(
            ids=tuple(self._intersperse(char_ids)),
            cleaned_text=cleaned,
            dropped=tuple(dropped),
            num_chars=len(char_ids),
            spans=tuple(spans),
        )

    def encode(
        self,
        text: str,
        language: str | None,
        *,
        normalize_numbers: bool = False,
        strict: bool = True,
    ) -> list[int]:
        """Text → ids. Dropped characters are reported in one ``logging`` warning per call.

        Args:
            text: any text.
            language: the language code (e.g. ``"en"``, ``"fr-fr"``, ``"pt-br"``); any string is accepted
                here, it only selects the cleaner's symbol table and the number reader.
            normalize_numbers: write numbers out as words first (not Coqui behaviour; off by default).
            strict: raise :class:`InputError` when no known letter or digit is left (empty text, only
                removed symbols, only punctuation and spaces, or only unknown characters, which the
                message lists). ``False`` reproduces Coqui exactly: ``""`` gives ``[blank]`` (``[]``
                without blanks) and ``"!!!"`` is encoded as it is.
        """
        enc = self.encode_with_report(text, language, normalize_numbers=normalize_numbers, strict=strict)
        if enc.dropped:
            logger.warning(
                "dropped %d character(s) that the model's vocabulary lacks: %s",
                len(enc.dropped),
                describe_characters(enc.dropped),
            )
        return list(enc.ids)

    def decode(self, ids: Sequence[int]) -> str:
        """Ids → text, leaving out pad and blank ids (for debugging)."""
        skip = {self.pad_id}
        if self.blank_id is not None:
            skip.add(self.blank_id)
        vocab = self._config.vocab
        out = []
        for i in ids:
            if not 0 <= i < len(vocab):
                raise InputError(f"id {i} is outside the vocabulary (0..{len(vocab) - 1})")
            if i not in skip:
                out.append(vocab[i])
        return "".join(out)

    def _intersperse(self, char_ids: list[int]) -> list[int]:
        if self._blank_id is None:
            return char_ids
        out = [self._blank_id] * (2 * len(char_ids) + 1)
        out[1::2] = char_ids
        return out


def _empty_message(text: str, cleaned: str, dropped: list[str]) -> str:
    if not text.strip():
        return "text is empty: give at least one word to speak"
    if not cleaned:
        return "text is empty after cleaning: it holds only symbols that are removed (quotes, brackets)"
    message = "text has nothing the model can pronounce (no known letter is left)"
    if dropped:
        message += "; unknown characters: " + describe_characters(dropped)
    return message
