"""Synthesised audio: the :class:`Audio` result and 16-bit PCM WAV encoding (also for streaming)."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

from yourtts_onnx.runtime.atomic import atomic_open
from yourtts_onnx.runtime.words import Word

# RIFF/data sizes written when the length is not known yet (streaming to a pipe); players read to EOF.
UNKNOWN_SIZE = 0xFFFFFFFF


def wav_header(sample_rate: int, num_samples: int | None) -> bytes:
    """A 44-byte mono 16-bit PCM WAV header; ``num_samples=None`` marks the length as unknown."""
    if num_samples is None:
        data_size = riff_size = UNKNOWN_SIZE
    else:
        data_size = 2 * num_samples
        riff_size = min(36 + data_size, UNKNOWN_SIZE)
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, 2 * sample_rate, 2, 16)
        + b"data"
        + struct.pack("<I", min(data_size, UNKNOWN_SIZE))
    )


def pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] → little-endian int16 bytes (clipped, NaN → 0)."""
    x = np.clip(np.nan_to_num(np.asarray(samples, dtype=np.float32)), -1.0, 1.0)
    return np.round(x * 32767.0).astype("<i2").tobytes()


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1], their sample rate and the words spoken in them.

    ``words``: :class:`~.words.Word` timestamps in seconds from the start of the audio a call returns
    (:meth:`Synthesizer.synthesize`: this audio; :meth:`Synthesizer.stream`: the concatenated chunks, and
    each sentence's words come with its first chunk, the other chunks holding none). ``None`` when the
    backend cannot time words (``model.onnx`` alone).
    """

    samples: np.ndarray
    sample_rate: int
    words: tuple[Word, ...] | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / self.sample_rate

    def __len__(self) -> int:
        return int(self.samples.shape[0])

    def to_wav(self) -> bytes:
        """The audio as a complete 16-bit PCM WAV file."""
        return wav_header(self.sample_rate, len(self)) + pcm16(self.samples)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a 16-bit PCM WAV file atomically (nothing is left behind on failure)."""
        with atomic_open(path) as fh:
            fh.write(self.to_wav())

    @staticmethod
    def concatenate(chunks: list[Audio], sample_rate: int) -> Audio:
        """The chunks of one call joined (their words too; ``None`` when a chunk has ``None``)."""
        if not chunks:
            return Audio(np.zeros(0, dtype=np.float32), sample_rate)
        words = None
        if all(c.words is not None for c in chunks):
            words = tuple(w for c in chunks for w in c.words or ())
        return Audio(
            np.concatenate([c.samples for c in chunks]).astype(np.float32, copy=False), sample_rate, words
        )
