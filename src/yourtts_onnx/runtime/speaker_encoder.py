"""Voice cloning: reference recordings → speaker embedding with ``speaker_encoder.onnx``.

Per clip, as Coqui's ``compute_embedding_from_clip``: decode (any rate, any channels → mono), resample to
the encoder's rate with soxr, trim/normalise per the bundle's :class:`EmbeddingRecipe`, cut equally spaced
windows, embed them in one batch (L2-normalised inside the graph), average. Several clips are averaged.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort

from yourtts_onnx.errors import AudioError, BundleError
from yourtts_onnx.runtime.audio import AudioSource, check_regular_file, describe_source, load_audio
from yourtts_onnx.runtime.bundle import GRAPH_SPEAKER_ENCODER
from yourtts_onnx.runtime.limits import MAX_REFERENCE_BYTES, MAX_REFERENCE_FILES
from yourtts_onnx.runtime.session import input_dtypes, run_session
from yourtts_onnx.runtime.speaker_windows import (
    EmbeddingRecipe,
    average_clips,
    make_windows,
    mean_embedding,
    prepare_clip,
)


@dataclass(frozen=True)
class ClipInfo:
    """What a voice profile records about one reference recording."""

    source: str  # the path as given, or "<N bytes>"
    sha256: str
    duration: float  # seconds, before trimming
    sample_rate: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "duration": self.duration,
            "sample_rate": self.sample_rate,
        }


@dataclass(frozen=True)
class Cloned:
    """A speaker embedding and the clips it came from."""

    embedding: np.ndarray
    clips: tuple[ClipInfo, ...]


def recipe_from_bundle(speaker_encoder: dict[str, Any] | None, where: str) -> EmbeddingRecipe:
    if not isinstance(speaker_encoder, dict) or "recipe" not in speaker_encoder:
        raise BundleError(f"{where}: 'speaker_encoder' has no 'recipe'")
    return EmbeddingRecipe.from_dict(speaker_encoder["recipe"], f"{where}: speaker_encoder.recipe")


def _read_bytes(source: AudioSource) -> bytes | None:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        check_regular_file(source, describe_source(source))  # never read a device or FIFO (/dev/zero)
        try:
            with open(source, "rb") as fh:
                return fh.read(MAX_REFERENCE_BYTES + 1)
        except OSError as exc:
            raise AudioError(
                f"cannot read reference audio {describe_source(source)}: {exc.strerror or exc}"
            ) from None
    return None


class SpeakerEncoder:
    """``speaker_encoder.onnx`` plus the recipe that prepares its input windows."""

    def __init__(self, session: ort.InferenceSession, recipe: EmbeddingRecipe, embedding_dim: int) -> None:
        if len(session.get_inputs()) != 1 or not session.get_outputs():
            raise BundleError(
                f"graph '{GRAPH_SPEAKER_ENCODER}' must have one input (audio) and an embedding output"
            )
        self.session = session
        self.recipe = recipe
        self.embedding_dim = embedding_dim
        self._input = session.get_inputs()[0].name
        self._output = session.get_outputs()[0].name
        self._dtypes = input_dtypes(session)

    def embed_windows(self, windows: np.ndarray) -> np.ndarray:
        """``[num_windows, L]`` audio → ``[num_windows, D]`` unit-norm embeddings."""
        (out,) = run_session(
            self.session, {self._input: windows}, [self._output], GRAPH_SPEAKER_ENCODER, self._dtypes
        )
        out = np.asarray(out, dtype=np.float32)
        if out.ndim != 2 or out.shape[1] != self.embedding_dim:
            raise BundleError(
                f"graph '{GRAPH_SPEAKER_ENCODER}' returned shape {list(out.shape)}, "
                f"expected [windows, {self.embedding_dim}]"
            )
        return out

    def embed_samples(
        self, samples: np.ndarray, sample_rate: int, name: str = "reference audio"
    ) -> np.ndarray:
        """One clip's embedding ``[D]`` from decoded mono samples at any rate."""
        clip = prepare_clip(samples, sample_rate, self.recipe, name=name)
        return mean_embedding(self.embed_windows(make_windows(clip, self.recipe)))

    def clone(
        self, sources: AudioSource | Sequence[AudioSource], progress: Callable[[int, int], None] | None = None
    ) -> Cloned:
        """Embed one or more recordings (paths, encoded bytes or binary files) and average them.

        ``progress`` is called with ``(clips done, clips total)`` after each clip.
        """
        items = _as_list(sources)
        if not items:
            raise AudioError("no reference audio given")
        if len(items) > MAX_REFERENCE_FILES:
            raise AudioError(
                f"{len(items)} reference recordings given; at most {MAX_REFERENCE_FILES} are averaged into one voice"
            )
        per_clip: list[np.ndarray] = []
        infos: list[ClipInfo] = []
        for source in items:
            raw = _read_bytes(source)
            # decode from the path (error messages name it), hash the bytes as read
            samples, sr = load_audio(source if isinstance(source, (str, os.PathLike)) or raw is None else raw)
            name = f"reference audio {describe_source(source)}"
            per_clip.append(self.embed_samples(samples, sr, name=name))
            label = os.fspath(source) if isinstance(source, (str, os.PathLike)) else describe_source(source)
            digest = hashlib.sha256(raw).hexdigest() if raw is not None else ""
            infos.append(ClipInfo(label, digest, round(samples.shape[0] / sr, 4), sr))
            if progress is not None:
                progress(len(infos), len(items))
        return Cloned(average_clips(per_clip), tuple(infos))


def _as_list(sources: AudioSource | Sequence[AudioSource]) -> list[AudioSource]:
    if isinstance(sources, (str, os.PathLike, bytes, bytearray, memoryview)) or hasattr(sources, "read"):
        return [sources]  # type: ignore[list-item]
    return list(sources)  # type: ignore[arg-type]
