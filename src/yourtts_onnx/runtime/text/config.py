"""The text frontend's configuration: vocabulary, blank handling, cleaner rules, sentence rules and
language-name resolution.

:meth:`TextFrontendConfig.to_dict` is what the bundle stores (``config.json``'s ``text``). Notes for other
consumers of that JSON:

* ``vocab`` is in id order and may contain a character more than once (Coqui's ``VitsCharacters`` lists
  the punctuation twice). The id of a character is the index of its **last** occurrence.
* Tokens longer than one character (the blank ``"<BLNK>"``) never match input text.
* With ``add_blank`` the blank id is placed before, between and after the character ids:
  ``n`` characters give ``2n + 1`` ids.
* ``sentences`` (:class:`~.sentence_rules.SentenceRules`) and ``language_resolution``
  (:class:`~yourtts_onnx.runtime.languages.LanguageResolution`) were added later: bundles without them
  get the defaults, which are what the runtime did before they were recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from yourtts_onnx.errors import BundleError, CheckpointError
from yourtts_onnx.runtime.languages import LanguageResolution

from .cleaners import CleanerRules, default_rules
from .sentence_rules import SentenceRules, default_sentence_rules

__all__ = ["COQUI_VITS_BLANK", "TextFrontendConfig"]

#: The blank token that Coqui's ``VitsCharacters`` always appends, whatever the config's ``blank`` says.
COQUI_VITS_BLANK = "<BLNK>"

_VITS_CHARACTERS_CLASSES = ("TTS.tts.models.vits.VitsCharacters", "VitsCharacters")


def _err(path: str, problem: str) -> BundleError:
    return BundleError(f"text frontend config: {path}: {problem}")


@dataclass(frozen=True)
class TextFrontendConfig:
    """Everything needed to turn text into model input ids, without Coqui or torch."""

    vocab: tuple[str, ...]
    pad: str
    blank: str | None
    add_blank: bool
    cleaner: str
    cleaner_rules: CleanerRules
    sentences: SentenceRules = field(default_factory=default_sentence_rules)
    language_resolution: LanguageResolution = field(default_factory=LanguageResolution)
    _char_to_id: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.vocab:
            raise _err("vocab", "empty")
        for i, token in enumerate(self.vocab):
            if not isinstance(token, str) or not token:
                raise _err(f"vocab[{i}]", f"expected a non-empty string, got {token!r}")
        mapping = {token: idx for idx, token in enumerate(self.vocab)}  # later duplicates win
        if self.pad not in mapping:
            raise _err("pad", f"{self.pad!r} is not in the vocabulary")
        if self.blank is not None and self.blank not in mapping:
            raise _err("blank", f"{self.blank!r} is not in the vocabulary")
        if self.add_blank and self.blank is None:
            raise _err("blank", "add_blank is true but no blank token is set")
        if self.cleaner != self.cleaner_rules.name:
            raise _err(
                "cleaner", f"{self.cleaner!r} does not match cleaner_rules.name {self.cleaner_rules.name!r}"
            )
        least = 3 if self.add_blank else 1
        if self.sentences.max_tokens < least:
            raise _err(
                "sentences.max_tokens",
                f"{self.sentences.max_tokens} is below {least}, the shortest utterance of one character",
            )
        object.__setattr__(self, "_char_to_id", mapping)

    # -- ids --------------------------------------------------------------------------------------

    @property
    def char_to_id(self) -> Mapping[str, int]:
        """Token → id, where a repeated token maps to its last position (as in Coqui)."""
        return self._char_to_id

    @property
    def pad_id(self) -> int:
        return self._char_to_id[self.pad]

    @property
    def blank_id(self) -> int | None:
        return None if self.blank is None else self._char_to_id[self.blank]

    @property
    def vocab_size(self) -> int:
        """Number of ids (the model's embedding rows), duplicates included."""
        return len(self.vocab)

    # -- serialisation ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form; :meth:`from_dict` inverts it."""
        return {
            "vocab": list(self.vocab),
            "pad": self.pad,
            "blank": self.blank,
            "add_blank": self.add_blank,
            "cleaner": self.cleaner,
            "cleaner_rules": self.cleaner_rules.to_dict(),
            "sentences": self.sentences.to_dict(),
            "language_resolution": self.language_resolution.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TextFrontendConfig:
        """Build from :meth:`to_dict` output; a missing or malformed field is a ``BundleError``."""
        if not isinstance(d, Mapping):
            raise BundleError(f"text frontend config: expected an object, got {type(d).__name__}")
        for key in ("vocab", "pad", "blank", "add_blank", "cleaner", "cleaner_rules"):
            if key not in d:
                raise _err(key, "missing")
        vocab = d["vocab"]
        if not isinstance(vocab, list):
            raise _err("vocab", f"expected a list of strings, got {type(vocab).__name__}")
        for i, token in enumerate(vocab):
            if not isinstance(token, str):
                raise _err(f"vocab[{i}]", f"expected a string, got {type(token).__name__}")
        if not isinstance(d["pad"], str):
            raise _err("pad", f"expected a string, got {type(d['pad']).__name__}")
        if d["blank"] is not None and not isinstance(d["blank"], str):
            raise _err("blank", f"expected a string or null, got {type(d['blank']).__name__}")
        if not isinstance(d["add_blank"], bool):
            raise _err("add_blank", f"expected a boolean, got {type(d['add_blank']).__name__}")
        if not isinstance(d["cleaner"], str):
            raise _err("cleaner", f"expected a string, got {type(d['cleaner']).__name__}")
        rules = CleanerRules.from_dict(d["cleaner_rules"], path="cleaner_rules")
        # Sections added after the first bundles: absent means the behaviour of those bundles.
        sentences = SentenceRules.from_dict(d["sentences"]) if "sentences" in d else default_sentence_rules()
        resolution = (
            LanguageResolution.from_dict(d["language_resolution"])
            if "language_resolution" in d
            else LanguageResolution()
        )
        return cls(
            vocab=tuple(vocab),
            pad=d["pad"],
            blank=d["blank"],
            add_blank=d["add_blank"],
            cleaner=d["cleaner"],
            cleaner_rules=rules,
            sentences=sentences,
            language_resolution=resolution,
        )

    @classmethod
    def from_coqui(cls, characters: Mapping[str, Any], add_blank: bool, cleaner: str) -> TextFrontendConfig:
        """Rebuild the vocabulary the way Coqui's ``VitsCharacters`` does for a YourTTS checkpoint.

        Args:
            characters: the checkpoint config's ``"characters"`` section.
            add_blank: the config's ``"add_blank"``.
            cleaner: the config's ``"text_cleaner"``.

        The order is ``[pad] + punctuations + characters (+ phonemes) + ["<BLNK>"]``; duplicates are kept
        (their id is the last position) and the config's ``blank``, ``eos``, ``bos``, ``is_unique`` and
        ``is_sorted`` are ignored, exactly as ``VitsCharacters`` does.

        Raises:
            CheckpointError: a field is missing or malformed, the characters class is not
                ``VitsCharacters``, or the cleaner is not supported.
        """
        if not isinstance(characters, Mapping):
            raise CheckpointError("checkpoint config: 'characters' must be an object")
        cls_name = characters.get("characters_class")
        if cls_name is not None and cls_name not in _VITS_CHARACTERS_CLASSES:
            raise CheckpointError(
                f"checkpoint config: characters.characters_class {cls_name!r} is not supported "
                "(only TTS.tts.models.vits.VitsCharacters, as used by YourTTS)"
            )
        fields: dict[str, str] = {}
        for key in ("pad", "punctuations", "characters"):
            value = characters.get(key)
            if not isinstance(value, str):
                raise CheckpointError(f"checkpoint config: characters.{key} must be a string, got {value!r}")
            fields[key] = value
        phonemes = characters.get("phonemes")
        if phonemes is not None and not isinstance(phonemes, str):
            raise CheckpointError(
                f"checkpoint config: characters.phonemes must be a string, got {phonemes!r}"
            )
        if not fields["pad"]:
            raise CheckpointError("checkpoint config: characters.pad is empty")
        if not isinstance(add_blank, bool):
            raise CheckpointError(f"checkpoint config: add_blank must be a boolean, got {add_blank!r}")
        if not isinstance(cleaner, str):
            raise CheckpointError(f"checkpoint config: text_cleaner must be a string, got {cleaner!r}")
        try:
            rules = default_rules(cleaner)
        except BundleError as exc:
            raise CheckpointError(f"checkpoint config: {exc}") from exc
        graphemes = fields["characters"] + (phonemes or "")
        vocab = (fields["pad"], *fields["punctuations"], *graphemes, COQUI_VITS_BLANK)
        return cls(
            vocab=vocab,
            pad=fields["pad"],
            blank=COQUI_VITS_BLANK,
            add_blank=add_blank,
            cleaner=cleaner,
            cleaner_rules=rules,
        )
