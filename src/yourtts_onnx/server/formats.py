"""Audio response formats: whole-file encoding, and the streamable ones (WAV, raw PCM) chunk by chunk.

``wav`` (16-bit PCM) and ``pcm`` (headerless 16-bit little-endian mono) need nothing but numpy and soxr;
``flac``, ``mp3``, ``opus`` (Opus in Ogg), ``au`` and ``aiff`` use libsndfile through soundfile and are
offered only when the installed libsndfile can write them.

Sample rates: every format keeps the model's rate, except ``opus`` (only 8/12/16/24/48 kHz exist: other
rates go to 48 kHz) and ``pcm`` on the OpenAI routes, which is 24 kHz as OpenAI defines it (resampled with
soxr; :class:`PcmStream` makes the streamed and the whole result the same bytes, and
``round(duration × 24000)`` samples long).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf
import soxr

from yourtts_onnx.runtime.audio import resample
from yourtts_onnx.runtime.waveform import Audio, pcm16, wav_header

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
OPENAI_PCM_RATE = 24000  # OpenAI's pcm: 24 kHz, 16-bit little-endian, mono, no header


@dataclass(frozen=True)
class AudioFormat:
    name: str
    media_type: str
    extension: str
    streamable: bool
    sf_format: str | None = None  # libsndfile major format
    sf_subtype: str | None = None


_ALL = (
    AudioFormat("wav", "audio/wav", "wav", True),
    AudioFormat("pcm", "audio/pcm", "pcm", True),
    AudioFormat("flac", "audio/flac", "flac", False, "FLAC", "PCM_16"),
    AudioFormat("mp3", "audio/mpeg", "mp3", False, "MP3", "MPEG_LAYER_III"),
    AudioFormat("opus", "audio/ogg", "ogg", False, "OGG", "OPUS"),
    AudioFormat("au", "audio/basic", "au", False, "AU", "PCM_16"),
    AudioFormat("aiff", "audio/aiff", "aiff", False, "AIFF", "PCM_16"),
)
WAV = _ALL[0]
OPENAI_FORMATS = ("wav", "pcm", "flac", "mp3", "opus")  # what /v1/audio/speech offers (no AAC encoder here)


@functools.cache
def supported_formats() -> dict[str, AudioFormat]:
    """The formats this installation can produce, by name."""
    majors = sf.available_formats()
    out = {}
    for fmt in _ALL:
        if fmt.sf_format is None or (
            fmt.sf_format in majors and fmt.sf_subtype in sf.available_subtypes(fmt.sf_format)
        ):
            out[fmt.name] = fmt
    return out


def openai_formats() -> list[str]:
    return [name for name in OPENAI_FORMATS if name in supported_formats()]


def default_format() -> str:
    """OpenAI's default (``mp3``) when libsndfile writes it, else ``wav``."""
    return "mp3" if "mp3" in supported_formats() else "wav"


def get_format(name: str) -> AudioFormat | None:
    return supported_formats().get(name.strip().lower())


class PcmStream:
    """16-bit little-endian PCM of a stream of chunks, resampled from ``source_rate`` to ``rate`` with soxr
    as the chunks come (stateful, so the chunks' output equals resampling the whole at once). The total is
    exactly ``round(samples_in × rate / source_rate)`` samples once :meth:`finish` is called."""

    def __init__(self, source_rate: int, rate: int | None = None) -> None:
        self.source_rate = source_rate
        self.rate = rate or source_rate
        self._resampler = (
            soxr.ResampleStream(source_rate, self.rate, 1, dtype="float32", quality="HQ")
            if self.rate != source_rate
            else None
        )
        self.samples_in = 0
        self.samples_out = 0

    def push(self, samples: np.ndarray) -> bytes:
        x = np.ascontiguousarray(samples, dtype=np.float32)
        self.samples_in += x.shape[0]
        if self._resampler is not None:
            x = self._resampler.resample_chunk(x, last=False)
        return self._emit(x)

    def finish(self) -> bytes:
        """The resampler's tail, padded or cut so that the whole output has the exact length."""
        if self._resampler is None:
            return b""
        tail = self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        want = round(self.samples_in * self.rate / self.source_rate) - self.samples_out
        tail = tail[: max(want, 0)] if tail.shape[0] >= want else np.pad(tail, (0, want - tail.shape[0]))
        return self._emit(tail)

    def _emit(self, x: np.ndarray) -> bytes:
        self.samples_out += x.shape[0]
        return pcm16(x)


def encode(audio: Audio, fmt: AudioFormat, pcm_rate: int | None = None) -> bytes:
    """The whole audio in ``fmt``; ``pcm_rate``: the rate of ``pcm`` (default: the audio's own)."""
    if fmt.name == "wav":
        return audio.to_wav()
    if fmt.name == "pcm":
        stream = PcmStream(audio.sample_rate, pcm_rate)
        return stream.push(audio.samples) + stream.finish()
    samples = np.clip(np.nan_to_num(audio.samples), -1.0, 1.0)
    rate = audio.sample_rate
    if fmt.name == "opus" and rate not in OPUS_RATES:
        samples, rate = resample(samples, rate, 48000), 48000
    buf = io.BytesIO()
    sf.write(buf, samples, rate, format=fmt.sf_format, subtype=fmt.sf_subtype)
    return buf.getvalue()


def output_rate(fmt: AudioFormat, sample_rate: int, pcm_rate: int | None = None) -> int:
    """The sample rate ``fmt`` is sent at."""
    if fmt.name == "pcm" and pcm_rate:
        return pcm_rate
    if fmt.name == "opus" and sample_rate not in OPUS_RATES:
        return 48000
    return sample_rate


class ChunkEncoder:
    """A streamable format chunk by chunk: ``header()``, ``push(samples)`` for each chunk, ``finish()``."""

    def __init__(self, fmt: AudioFormat, sample_rate: int, pcm_rate: int | None = None) -> None:
        if not fmt.streamable:
            raise ValueError(f"format '{fmt.name}' cannot be streamed")
        self.fmt = fmt
        self.sample_rate = sample_rate
        self._pcm = PcmStream(sample_rate, pcm_rate if fmt.name == "pcm" else None)

    def header(self) -> bytes:
        """A WAV header of unknown length (players read to the end), or nothing for raw PCM."""
        return wav_header(self.sample_rate, None) if self.fmt.name == "wav" else b""

    def push(self, samples: np.ndarray) -> bytes:
        return self._pcm.push(samples)

    def finish(self) -> bytes:
        return self._pcm.finish()
