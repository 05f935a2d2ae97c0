"""Audio response formats: whole-file encoding and the streamable ones (WAV, raw PCM).

``wav`` (16-bit PCM) and ``pcm`` (headerless 16-bit little-endian mono) need nothing but numpy; ``flac``,
``mp3`` and ``opus`` (Opus in Ogg) use libsndfile through soundfile and are offered only when the
installed libsndfile can write them. Opus only takes 8/12/16/24/48 kHz, so other rates go to 48 kHz.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from yourtts_onnx.runtime.audio import resample
from yourtts_onnx.runtime.waveform import Audio, pcm16, wav_header

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


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
)
WAV = _ALL[0]


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


def default_format() -> str:
    """OpenAI's default (``mp3``) when libsndfile writes it, else ``wav``."""
    return "mp3" if "mp3" in supported_formats() else "wav"


def get_format(name: str) -> AudioFormat | None:
    return supported_formats().get(name.strip().lower())


def encode(audio: Audio, fmt: AudioFormat) -> bytes:
    """The whole audio in ``fmt``."""
    if fmt.name == "wav":
        return audio.to_wav()
    if fmt.name == "pcm":
        return pcm16(audio.samples)
    samples = np.clip(np.nan_to_num(audio.samples), -1.0, 1.0)
    rate = audio.sample_rate
    if fmt.name == "opus" and rate not in OPUS_RATES:
        samples, rate = resample(samples, rate, 48000), 48000
    buf = io.BytesIO()
    sf.write(buf, samples, rate, format=fmt.sf_format, subtype=fmt.sf_subtype)
    return buf.getvalue()


def stream_header(fmt: AudioFormat, sample_rate: int) -> bytes:
    """What a streamed response starts with: a WAV header of unknown length, or nothing for raw PCM."""
    return wav_header(sample_rate, None) if fmt.name == "wav" else b""


def stream_chunk(samples: np.ndarray) -> bytes:
    return pcm16(samples)
