"""Piper voice files: ``<name>.onnx`` + ``<name>.onnx.json`` with ``phoneme_type: "text"``.

What Piper (piper-tts 1.3+, ``piper.voice.PiperVoice``) does with a ``"text"`` voice, and how the export
meets it:

* its "phonemes" are the code points of ``unicodedata.normalize("NFD", text)`` (no lower-casing, no
  cleaning, one sentence for the whole text);
* ids are ``map["^"] + map["_"] + Σ(map[p] + map["_"]) + map["$"]``, skipping (with a warning) phonemes
  missing from ``phoneme_id_map``;
* the graph gets ``input [1, N]``, ``input_lengths [1]`` and ``scales = [noise_scale, length_scale,
  noise_w]``; a voice with ``num_speakers: 1`` gets no ``sid``.

YourTTS wants ``[blank, c1, blank, c2, ..., blank]``. The map therefore sends ``"^"`` to ``[blank]``, the
pad ``"_"`` and ``"$"`` to ``[]``, and every character to its cleaned ids each followed by the blank
(``"É"`` → ``[id("e"), blank]`` plus the acute's mark id; ``"&"`` → ``" and "``; ``"("`` → ``[]``).
Combining marks get ids ``vocab_size + m``; the graph composes them with the preceding letter.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from yourtts_onnx.runtime.text import TextFrontendConfig

from .charmap import Composition

PAD, BOS, EOS = "_", "^", "$"


def phoneme_id_map(
    text: TextFrontendConfig, table: Mapping[str, tuple[int, ...]], composition: Composition | None
) -> dict[str, list[int]]:
    """Piper's ``phoneme_id_map`` reproducing the YourTTS ids (see the module docstring)."""
    blank = [text.blank_id] if text.add_blank and text.blank_id is not None else []
    id_map: dict[str, list[int]] = {}
    for ch, ids in sorted(table.items(), key=lambda kv: (kv[1], kv[0])):
        if unicodedata.normalize("NFD", ch) != ch:
            continue  # Piper decomposes its input: a precomposed character never reaches the map
        id_map[ch] = [i for cid in ids for i in (cid, *blank)]
    if composition is not None:
        for m, mark in enumerate(composition.marks):
            id_map[mark] = [text.vocab_size + m, *blank]
    id_map[BOS] = list(blank)
    id_map[PAD] = []
    id_map[EOS] = []
    return id_map


def piper_config(
    *,
    text: TextFrontendConfig,
    id_map: Mapping[str, list[int]],
    sample_rate: int,
    hop_length: int,
    language: str,
    inference: Mapping[str, float],
    num_symbols: int,
    dataset: str,
    provenance: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``<name>.onnx.json`` that ``piper.PiperVoice.load`` reads."""
    primary = language.split("-", 1)[0]
    return {
        "audio": {"sample_rate": sample_rate},
        # Required by PiperConfig.from_dict; unused with phoneme_type "text".
        "espeak": {"voice": language},
        "language": {"code": language, "family": primary},
        "dataset": dataset,
        "phoneme_type": "text",
        "phoneme_map": {},
        "phoneme_id_map": dict(id_map),
        "num_symbols": num_symbols,
        "num_speakers": 1,
        "speaker_id_map": {},
        "inference": {
            "noise_scale": inference["noise_scale"],
            "length_scale": inference["length_scale"],
            "noise_w": inference["noise_scale_dp"],
        },
        "hop_length": hop_length,
        "yourtts_onnx": dict(provenance),
    }


def piper_ids(text: str, id_map: Mapping[str, Sequence[int]]) -> list[int]:
    """The ids piper-tts sends to the graph for ``text`` (its ``phonemize`` + ``phonemes_to_ids``).

    A reference for tests and for hosts that re-implement Piper; unknown characters are skipped.
    """
    ids: list[int] = [*id_map[BOS], *id_map[PAD]]
    for phoneme in unicodedata.normalize("NFD", text):
        if phoneme in id_map:
            ids += [*id_map[phoneme], *id_map[PAD]]
    return ids + list(id_map[EOS])
