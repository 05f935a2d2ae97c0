"""Plain helpers for the runtime and CLI tests (fixtures are in ``runtime_fixtures``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from conftest import GOLDEN, _require_reference

FAKE_TORCH = "raise ImportError('torch is deliberately unavailable in this test')\n"


def golden_ref(i: int, golden: Path = GOLDEN) -> Path:
    """Coqui's reference recording ``ref_i.wav`` of one reference's golden folder (the two references hold
    different recordings)."""
    _require_reference()
    return golden / f"ref_{i}.wav"


def golden_embedding(name: str, golden: Path = GOLDEN) -> np.ndarray:
    return np.load(golden / name).reshape(-1).astype(np.float32)


def write_tone(
    path: Path, seconds: float, sr: int = 16000, amplitude: float = 0.3, channels: int = 1
) -> Path:
    """A harmonic tone with a little noise (speech-like level) — a usable reference clip for the stub."""
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(0)
    x = amplitude * (np.sin(2 * np.pi * 150 * t) + 0.5 * np.sin(2 * np.pi * 300 * t)) / 1.5
    x = x + 0.01 * rng.standard_normal(t.shape[0])
    data = np.stack([x] * channels, axis=1) if channels > 1 else x
    sf.write(path, data.astype(np.float32), sr)
    return path


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
