"""Quality of a variant against the fp32 reference: SNR of the waveforms and the cosine between the
speaker embeddings of the two outputs (``speaker_encoder.onnx`` with the bundle's windowing recipe)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from yourtts_onnx.runtime.bundle import GRAPH_SPEAKER_ENCODER, Bundle
from yourtts_onnx.runtime.speaker_encoder import SpeakerEncoder, recipe_from_bundle


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """``10 log10(|ref|^2 / |ref - test|^2)`` over the common length (``inf`` when identical)."""
    n = min(len(reference), len(test))
    ref = np.asarray(reference[:n], dtype=np.float64)
    err = float(np.sum((ref - np.asarray(test[:n], dtype=np.float64)) ** 2))
    sig = float(np.sum(ref**2))
    if err == 0.0:
        return math.inf
    if sig == 0.0:
        return -math.inf
    return 10.0 * math.log10(sig / err)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    return float(a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64) + 1e-30))


class Embedder:
    """Speaker embedding of synthesised audio, with the fp32 speaker encoder of a bundle."""

    def __init__(self, bundle: Bundle, threads: int = 2) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        session = ort.InferenceSession(
            str(bundle.graph_path(GRAPH_SPEAKER_ENCODER)), opts, providers=["CPUExecutionProvider"]
        )
        recipe = recipe_from_bundle(bundle.config.speaker_encoder, str(bundle.root))
        self.encoder = SpeakerEncoder(session, recipe, bundle.config.embedding_dim)
        self.sample_rate = bundle.config.sample_rate

    def embed(self, samples: np.ndarray) -> np.ndarray:
        return self.encoder.embed_samples(np.asarray(samples, dtype=np.float32), self.sample_rate)


def compare(
    reference: Sequence[np.ndarray],
    test: Sequence[np.ndarray],
    embedder: Embedder | None,
    reference_embeddings: Sequence[np.ndarray] | None = None,
) -> dict[str, float | None]:
    """SNR over all items together, the worst item's SNR, and the mean/min embedding cosine."""
    pairs = [(np.asarray(r).ravel(), np.asarray(t).ravel()) for r, t in zip(reference, test, strict=True)]
    ref_all = np.concatenate([r[: min(len(r), len(t))] for r, t in pairs])
    test_all = np.concatenate([t[: min(len(r), len(t))] for r, t in pairs])
    per_item = [snr_db(r, t) for r, t in zip(reference, test, strict=True)]
    lengths_equal = all(len(r) == len(t) for r, t in zip(reference, test, strict=True))
    out: dict[str, float | None] = {
        "snr_db": snr_db(ref_all, test_all),
        "snr_db_min": min(per_item),
        "max_abs": float(np.max(np.abs(ref_all - test_all))) if ref_all.size else 0.0,
        "lengths_equal": float(lengths_equal),
        "embedding_cosine": None,
        "embedding_cosine_min": None,
    }
    if embedder is not None:
        refs = reference_embeddings if reference_embeddings is not None else [embedder.embed(r) for r in reference]
        cos = [cosine(e, embedder.embed(t)) for e, t in zip(refs, test, strict=True)]
        out["embedding_cosine"] = float(np.mean(cos))
        out["embedding_cosine_min"] = float(np.min(cos))
    return out
