"""Clip preparation and windowing for speaker embeddings, as Coqui's ``compute_embedding_from_clip``.

Coqui loads a reference clip with ``librosa.load(path, sr=16000)`` (float32, channels averaged,
soxr "HQ" resampling), optionally trims silence, peak-normalises, RMS-normalises, then cuts
``num_windows`` equally spaced windows of ``250 * hop_length`` samples (the whole clip when it is
shorter), embeds each window with L2 normalisation and averages the window embeddings without
re-normalising. Several clips are averaged the same way.

Torch-free: the encoder itself runs elsewhere (PyTorch at export time, ONNX Runtime at run time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from yourtts_onnx.errors import AudioError, BundleError
from yourtts_onnx.runtime.audio import resample, rms_volume_norm, sound_norm, trim_silence

# Clips whose RMS is below this (about -100 dBFS, a third of one 16-bit step) count as silent.
SILENCE_RMS = 1e-5


@dataclass(frozen=True)
class EmbeddingRecipe:
    """Everything needed to turn a clip into encoder input windows, independent of torch."""

    sample_rate: int
    window_samples: int
    num_windows: int
    do_rms_norm: bool
    db_level: float
    do_trim_silence: bool
    trim_db: float
    trim_frame_length: int
    trim_hop_length: int
    do_sound_norm: bool = False
    min_seconds: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "speaker embedding recipe") -> EmbeddingRecipe:
        """Inverse of :meth:`to_dict`; raises :class:`BundleError` naming ``source`` and the field."""
        if not isinstance(d, Mapping):
            raise BundleError(f"{source}: speaker embedding recipe must be a JSON object")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in d:
                if f.name in ("do_sound_norm", "min_seconds"):
                    continue
                raise BundleError(f"{source}: speaker embedding recipe is missing field '{f.name}'")
            v = d[f.name]
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            ok = (
                (kind == "bool" and isinstance(v, bool))
                or (kind == "int" and isinstance(v, int) and not isinstance(v, bool) and v > 0)
                or (kind == "float" and isinstance(v, (int, float)) and not isinstance(v, bool))
            )
            if not ok:
                raise BundleError(
                    f"{source}: speaker embedding recipe field '{f.name}' must be a {kind}, got {v!r}"
                )
            values[f.name] = float(v) if kind == "float" else v
        return cls(**values)


def prepare_clip(
    samples: np.ndarray, sr: int, recipe: EmbeddingRecipe, name: str = "reference audio"
) -> np.ndarray:
    """Turn decoded mono samples into the float32 waveform Coqui feeds its encoder.

    Order as in Coqui's loader: resample to ``recipe.sample_rate``, trim silence (if enabled),
    peak-normalise (if enabled), RMS-normalise (if enabled). Raises :class:`AudioError` (naming
    ``name``) for silent clips and for clips shorter than ``recipe.min_seconds``.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise AudioError(f"{name}: expected mono samples, got an array of shape {x.shape}")
    if sr <= 0:
        raise AudioError(f"{name}: invalid sample rate {sr}")
    if x.size == 0:
        raise AudioError(f"{name} contains no samples")
    if not np.all(np.isfinite(x)):
        raise AudioError(f"{name} contains NaN or infinite samples")
    seconds = x.shape[0] / sr
    if seconds < recipe.min_seconds:
        raise AudioError(
            f"{name} is too short: {seconds:.2f} s; at least {recipe.min_seconds:g} s of speech is needed"
        )
    if _rms(x) < SILENCE_RMS:
        raise AudioError(f"{name} is silent (no signal above -100 dBFS)")

    x = resample(x, sr, recipe.sample_rate)
    if recipe.do_trim_silence:
        x = trim_silence(
            x,
            recipe.sample_rate,
            top_db=recipe.trim_db,
            frame_length=recipe.trim_frame_length,
            hop_length=recipe.trim_hop_length,
        )
        kept = x.shape[0] / recipe.sample_rate
        if kept < recipe.min_seconds:
            raise AudioError(
                f"{name} is too short after trimming silence: {kept:.2f} s; "
                f"at least {recipe.min_seconds:g} s of speech is needed"
            )
        if _rms(x) < SILENCE_RMS:
            raise AudioError(f"{name} is silent (no signal above -100 dBFS)")
    if recipe.do_sound_norm:
        x = sound_norm(x)
    if recipe.do_rms_norm:
        x = rms_volume_norm(x, recipe.db_level)
    return np.ascontiguousarray(x, dtype=np.float32)


def window_offsets(num_samples: int, recipe: EmbeddingRecipe) -> tuple[list[int], int]:
    """Start offsets of the windows and their common length, exactly as Coqui computes them."""
    length = min(recipe.window_samples, num_samples)
    starts = np.linspace(0, num_samples - length, num=recipe.num_windows)
    return [int(s) for s in starts], length


def make_windows(samples: np.ndarray, recipe: EmbeddingRecipe) -> np.ndarray:
    """Cut ``[num_windows, L]`` float32 windows from a prepared clip (``L = min(window, len)``)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1 or x.size == 0:
        raise AudioError(f"cannot cut embedding windows from an array of shape {x.shape}")
    offsets, length = window_offsets(x.shape[0], recipe)
    return np.stack([x[o : o + length] for o in offsets]).astype(np.float32, copy=False)


def mean_embedding(window_embeddings: np.ndarray) -> np.ndarray:
    """Average the (L2-normalised) window embeddings ``[num_windows, D]`` into one ``[D]`` vector.

    Not re-normalised afterwards, as in Coqui.
    """
    e = np.asarray(window_embeddings, dtype=np.float32)
    if e.ndim != 2 or e.shape[0] == 0:
        raise ValueError(f"expected window embeddings of shape [num_windows, D], got {e.shape}")
    return e.mean(axis=0, dtype=np.float32)


def average_clips(clip_embeddings: Sequence[np.ndarray]) -> np.ndarray:
    """Coqui's multi-clip speaker embedding: the plain mean of the per-clip embeddings."""
    if len(clip_embeddings) == 0:
        raise ValueError("average_clips needs at least one clip embedding")
    stacked = np.stack([np.asarray(e, dtype=np.float32).reshape(-1) for e in clip_embeddings])
    return stacked.mean(axis=0, dtype=np.float32)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
