"""sherpa-onnx VITS files: ``<name>.onnx`` with sherpa's metadata keys, and ``tokens.txt``.

sherpa-onnx (``OfflineTtsVitsModel``) reads ``sample_rate``, ``n_speakers``, ``language`` and ``comment``
(required) and ``add_blank``, ``blank_id``, ``pad_id``, ``bos_id``, ``eos_id``, ``use_eos_bos`` (default 1!),
``frontend``, ``punctuation``, ``voice`` from the ONNX metadata. ``comment`` containing ``"coqui"`` makes it
feed ``input, input_lengths, scales`` by position; ``frontend: "characters"`` selects its character
frontend, which:

* lower-cases ASCII letters only (``std::tolower`` per byte), applies no Unicode normalisation, no cleaning;
* looks each code point up in ``tokens.txt`` (``SYMBOL ID`` per line; a line holding only an ID is the
  space; each symbol at most once), skipping unknown ones with a log line;
* emits ``blank`` first and ``id, blank`` per known character (``bos``/``eos`` only with ``use_eos_bos``);
* ends a sentence after every ``.``, ``:``, ``?``, ``!`` and synthesises sentences one by one
  (``max_num_sentences`` per batch, concatenated), then rescales silences by ``silence_scale``
  (default 0.2; 1.0 leaves the audio unchanged).

``tokens.txt`` folds the per-character part of the cleaner in (``"É"`` → id of ``"é"``, ``";"`` → id of
``","``, removed symbols are left out so they are skipped); see docs/consumers.md for what still differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yourtts_onnx.runtime.text import TextFrontendConfig

#: Code points that cannot be symbols in tokens.txt: C++ ``operator>>`` separators, and the line breaks of
#: Python's ``str.splitlines`` (so that Python tools can read the file too).
_UNWRITABLE = set("\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029")
SENTENCE_ENDS = ".:?!"

LANGUAGE_NAMES = {"en": "English", "fr": "French", "pt": "Portuguese", "es": "Spanish", "de": "German",
                  "it": "Italian"}  # fmt: skip


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.split("-", 1)[0], code)


def tokens_table(table: Mapping[str, tuple[int, ...]]) -> dict[str, int]:
    """Character → one id: the entries of the per-character table that sherpa-onnx can express."""
    return {ch: ids[0] for ch, ids in table.items() if len(ids) == 1 and ch not in _UNWRITABLE}


def tokens_txt(tokens: Mapping[str, int]) -> str:
    lines = []
    for ch, idx in sorted(tokens.items(), key=lambda kv: (kv[1], kv[0])):
        lines.append(f" {idx}" if ch == " " else f"{ch} {idx}")
    return "\n".join(lines) + "\n"


def sherpa_metadata(
    *, text: TextFrontendConfig, sample_rate: int, language: str, provenance: Mapping[str, Any]
) -> dict[str, str]:
    punctuation = "".join(
        dict.fromkeys(c for c in text.vocab if len(c) == 1 and not c.isalnum() and c != " ")
    )
    meta: dict[str, Any] = {
        "model_type": "vits",
        "comment": "coqui yourtts (yourtts-onnx single-voice export)",
        "language": language_name(language),
        "voice": "",
        "frontend": "characters",
        "add_blank": int(text.add_blank),
        "blank_id": text.blank_id if text.blank_id is not None else 0,
        "pad_id": text.pad_id,
        "bos_id": 0,
        "eos_id": 0,
        "use_eos_bos": 0,
        "n_speakers": 1,
        "sample_rate": sample_rate,
        "punctuation": " ".join(punctuation),
    }
    meta.update(provenance)
    return {k: str(v) for k, v in meta.items()}


def sherpa_ids(
    text: str, tokens: Mapping[str, int], *, blank_id: int, add_blank: bool = True
) -> list[list[int]]:
    """The id sequences (one per sentence) that sherpa-onnx's character frontend makes of ``text``.

    A reference for tests and documentation; mirrors ``OfflineTtsCharacterFrontend`` with
    ``use_eos_bos = 0``.
    """
    lowered = "".join(c.lower() if c.isascii() else c for c in text)
    sentences: list[list[int]] = []
    current: list[int] = [blank_id] if add_blank else []
    for c in lowered:
        if c in tokens:
            current += [tokens[c], blank_id] if add_blank else [tokens[c]]
        if c in SENTENCE_ENDS:
            sentences.append(current)
            current = [blank_id] if add_blank else []
    if len(current) > 1:  # sherpa drops a trailing sentence of just the blank (or of one id)
        sentences.append(current)
    return sentences
