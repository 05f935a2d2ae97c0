"""The end-to-end ``model.onnx`` graph: padded token ids + speaker + language → padded waveforms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.bundle import GRAPH_MODEL
from yourtts_onnx.runtime.session import check_io, input_dtypes, run_session

INPUTS = ("input", "input_lengths", "scales", "speaker_embedding", "language_id")
OUTPUTS = ("output", "output_lengths")


@dataclass(frozen=True)
class BatchOutput:
    """Padded waveforms ``[B, S]`` and the valid samples of each item ``[B]``."""

    waveforms: np.ndarray
    lengths: np.ndarray

    def item(self, i: int) -> np.ndarray:
        """Item ``i`` trimmed to its valid length."""
        return self.waveforms[i, : int(self.lengths[i])]


class VitsGraph:
    """Feeds ``model.onnx`` with the contract's inputs (see :mod:`yourtts_onnx.runtime.graph_contract`)."""

    def __init__(self, session: ort.InferenceSession, embedding_dim: int) -> None:
        check_io(session, INPUTS, OUTPUTS, GRAPH_MODEL)
        self.session = session
        self.embedding_dim = embedding_dim
        self._dtypes = input_dtypes(session)

    def run(
        self,
        ids: np.ndarray,
        lengths: np.ndarray,
        embeddings: np.ndarray,
        language_ids: np.ndarray,
        scales: np.ndarray,
    ) -> BatchOutput:
        """One call. ``ids [B, T]`` int64 padded, ``lengths [B]``, ``embeddings [B, D]``, ``language_ids [B]``,
        ``scales [3]`` = ``[noise_scale, length_scale, noise_scale_dp]``."""
        ids = np.asarray(ids, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        language_ids = np.asarray(language_ids, dtype=np.int64).reshape(-1)
        scales = np.asarray(scales, dtype=np.float32).reshape(-1)
        if ids.ndim != 2 or ids.shape[0] == 0 or ids.shape[1] == 0:
            raise InputError(f"ids must be a non-empty [batch, tokens] array, got shape {ids.shape}")
        batch = ids.shape[0]
        if lengths.shape != (batch,) or lengths.min() < 1 or lengths.max() > ids.shape[1]:
            raise InputError(f"lengths must hold {batch} values in 1..{ids.shape[1]}, got {lengths.tolist()}")
        if embeddings.ndim == 1:
            embeddings = np.broadcast_to(embeddings, (batch, embeddings.shape[0]))
        if embeddings.shape != (batch, self.embedding_dim):
            raise InputError(
                f"speaker embedding must have shape [{batch}, {self.embedding_dim}], got {embeddings.shape}"
            )
        if language_ids.shape == (1,) and batch > 1:
            language_ids = np.repeat(language_ids, batch)
        if language_ids.shape != (batch,):
            raise InputError(f"language ids must hold {batch} values, got shape {language_ids.shape}")
        if scales.shape != (3,):
            raise InputError(
                f"scales must be [noise_scale, length_scale, noise_scale_dp], got shape {scales.shape}"
            )
        wav, out_lengths = run_session(
            self.session,
            {
                "input": ids,
                "input_lengths": lengths,
                "scales": scales,
                "speaker_embedding": np.ascontiguousarray(embeddings),
                "language_id": language_ids,
            },
            OUTPUTS,
            GRAPH_MODEL,
            self._dtypes,
        )
        wav = np.asarray(wav, dtype=np.float32).reshape(batch, -1)
        return BatchOutput(wav, np.minimum(np.asarray(out_lengths, dtype=np.int64).reshape(-1), wav.shape[1]))
