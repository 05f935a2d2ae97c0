"""Seeds, default ids and content keys: stable hashes of what a row asks for.

* **seed** (when the row gives none): from the row's id, text, language and voice — the same row gets the
  same noise, hence the same audio, on any worker or machine; two rows differing only in id get different
  renditions (data augmentation).
* **default id** (when the row gives none): from the row's content, so ids survive reordering the manifest.
* **content key**: everything that decides an item's audio — bundle (its ``config.json``, which records
  every file's SHA-256), backend, format, text, language, the voice's embedding, scales, seed and the other
  options. It is written into the audio file's metadata; a re-run redoes an item only when its key changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from yourtts_onnx.runtime.limits import MAX_SEED

KEY_SCHEMA = 1  # bump when the same inputs start giving different audio (forces a redo of every item)
SEED_DOMAIN = "yourtts-onnx/batch/seed/1"
ID_DOMAIN = "yourtts-onnx/batch/id/1"


def digest(value: Any) -> str:
    """SHA-256 (hex) of ``value`` as canonical JSON (sorted keys, no whitespace, UTF-8)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def array_digest(values: np.ndarray) -> str:
    """SHA-256 (hex) of a float32 vector's little-endian bytes."""
    return hashlib.sha256(np.ascontiguousarray(values, dtype="<f4").tobytes()).hexdigest()


def derive_seed(item_id: str, text: str, language: str, voice_ref: str) -> int:
    """A seed in ``[0, 2**63 - 1]`` from the row's identity (see the module docstring)."""
    h = digest([SEED_DOMAIN, item_id, text, language, voice_ref])
    return int(h[:16], 16) & MAX_SEED


def default_id(text: str, language: str, voice_ref: str, scales: list[float | None], seed: int | None) -> str:
    """An id for a row without one: 16 hex digits of its content's hash."""
    return digest([ID_DOMAIN, text, language, voice_ref, scales, seed])[:16]


def content_key(fields: dict[str, Any]) -> str:
    """The content key of one item from the fields that decide its audio."""
    return digest({"schema": KEY_SCHEMA, **fields})
