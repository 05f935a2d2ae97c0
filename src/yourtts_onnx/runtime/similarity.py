"""How close two signals or embeddings are: the measures the export verification, the tests and the
benchmark report, defined once."""

from __future__ import annotations

import math

import numpy as np


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """``10 log10(|ref|^2 / |ref - test|^2)`` over the common length (``inf`` when identical)."""
    ref = np.asarray(reference, dtype=np.float64).reshape(-1)
    got = np.asarray(test, dtype=np.float64).reshape(-1)
    n = min(ref.size, got.size)
    err = float(np.sum((ref[:n] - got[:n]) ** 2))
    sig = float(np.sum(ref[:n] ** 2))
    if err == 0.0:
        return math.inf
    if sig == 0.0:
        return -math.inf
    return 10.0 * math.log10(sig / err)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (0 when either is all zero)."""
    a64, b64 = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    return float(a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64) + 1e-30))
