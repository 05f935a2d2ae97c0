"""Quality of an engine's output against the reference engine's for the same texts: SNR of the waveforms
(:func:`~yourtts_onnx.runtime.similarity.snr_db`) and the cosine between the speaker embeddings of the two
outputs, computed by the reference bundle's speaker encoder through the voice service
(``Synthesizer.voices.encoder().embed_samples``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from yourtts_onnx.runtime.similarity import cosine, snr_db

Embed = Callable[[np.ndarray], np.ndarray]


def compare(
    reference: Sequence[np.ndarray],
    test: Sequence[np.ndarray],
    embed: Embed | None,
    reference_embeddings: Sequence[np.ndarray] | None = None,
) -> dict[str, float | bool | None]:
    """SNR over all items together, the worst item's SNR, max-abs, and the mean/min embedding cosine."""
    pairs = [(np.asarray(r).ravel(), np.asarray(t).ravel()) for r, t in zip(reference, test, strict=True)]
    ref_all = np.concatenate([r[: min(len(r), len(t))] for r, t in pairs])
    test_all = np.concatenate([t[: min(len(r), len(t))] for r, t in pairs])
    out: dict[str, float | bool | None] = {
        "snr_db": snr_db(ref_all, test_all),
        "snr_db_min": min(snr_db(r, t) for r, t in pairs),
        "max_abs": float(np.max(np.abs(ref_all - test_all))) if ref_all.size else 0.0,
        "lengths_equal": all(len(r) == len(t) for r, t in pairs),
        "embedding_cosine": None,
        "embedding_cosine_min": None,
    }
    if embed is not None:
        refs = reference_embeddings if reference_embeddings is not None else [embed(r) for r, _ in pairs]
        cos = [cosine(e, embed(t)) for e, (_, t) in zip(refs, pairs, strict=True)]
        out["embedding_cosine"] = float(np.mean(cos))
        out["embedding_cosine_min"] = float(np.min(cos))
    return out
