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


#: Speaker embeddings are compared with Coqui's by max-abs after L2 normalisation. Measured on both references
#: (the speaker encoder is random-init, so all recordings embed close together): our embeddings of the golden
#: clips differ from Coqui's by ≤ 1.7e-7 (torch) and ~1e-6 (ONNX Runtime); Coqui's own embeddings of two
#: different clips differ by ≥ 2.05e-3, and the mean of ref_0 and ref_1 differs from either clip alone by
#: 1.02e-3. 1e-4 sits between the two with a factor of 10 each side. Cosine cannot tell them apart
#: (ref_0 vs ref_1: 0.99987; the mean vs one clip: 0.99997), so it is not used as a gate.
EMBEDDING_ATOL = 1e-4


def embedding_error(got: np.ndarray, want: np.ndarray) -> float:
    """Max-abs difference of two speaker embeddings after L2 normalisation (see :data:`EMBEDDING_ATOL`)."""
    a = np.asarray(got, dtype=np.float64).reshape(-1)
    b = np.asarray(want, dtype=np.float64).reshape(-1)
    return float(np.abs(a / np.linalg.norm(a) - b / np.linalg.norm(b)).max())


def wrong_clip(i: int) -> int:
    """The golden recording used as the negative control for ``ref_i`` (another clip of the same folder)."""
    return (i + 1) % 5


#: INT8 quality gate (SNR of the INT8 bundle's audio against its fp32 source, noise 0), a few dB under what is
#: measured on both references: derived bundle's model.onnx 34.23 dB (tiny) / 34.42 dB (live); the split
#: runtime on a long sentence 34.71 / 34.13 dB; the browser INT8 site 34.77 / 34.17 dB. The lower of the two
#: (live, 34.1 dB) less 3 dB. An INT8 vocoder calibrated on zeros scores far lower (scripts/mutation_check.py).
INT8_MIN_SNR_DB = 31.0
