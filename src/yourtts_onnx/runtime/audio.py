"""Audio I/O and the small signal utilities the speaker-embedding pipeline needs.

Torch-free: numpy, soundfile and soxr only (the last two imported when audio is first decoded or resampled,
so that synthesis alone does not pay for them at start-up). Loading mirrors what Coqui gets from
``librosa.load(path, sr=...)``: float32 samples, channels averaged to mono, then soxr "HQ"
resampling trimmed/padded to ``ceil(n * sr_out / sr_in)`` samples.
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
from typing import BinaryIO

import numpy as np

from yourtts_onnx.errors import AudioError
from yourtts_onnx.runtime.atomic import atomic_write_bytes
from yourtts_onnx.runtime.limits import (
    MAX_REFERENCE_BYTES,
    MAX_REFERENCE_CHANNELS,
    MAX_REFERENCE_RATE,
    MAX_REFERENCE_SECONDS,
)
from yourtts_onnx.runtime.waveform import pcm16, wav_header

AudioSource = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO

_BLOCK_FRAMES = 1 << 16  # decoded per step: 64k frames (2 MB for 8 channels of float32)
_UNKNOWN_FRAMES = 1 << 62  # libsndfile's frame count for streams of unknown length
_OBJECT_REPR = re.compile(r"<[^<>]*? object at 0x[0-9a-fA-F]+>")


def describe_source(source: AudioSource) -> str:
    """A short human-readable name for an audio source, for error messages."""
    if isinstance(source, (str, os.PathLike)):
        return f"'{os.fspath(source)}'"
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source)} bytes of audio>"
    name = getattr(source, "name", None)
    if isinstance(name, str):
        return f"'{name}'"
    return "<audio stream>"


def check_regular_file(path: str | os.PathLike[str], name: str) -> int:
    """The size of ``path`` when it is a regular file; :class:`AudioError` otherwise (missing, a directory,
    a device such as ``/dev/zero``, a FIFO), so that reading it can neither hang nor run forever."""
    try:
        st = os.stat(path)  # follows symlinks: a link to /dev/zero is a device
    except FileNotFoundError:
        raise AudioError(f"reference audio {name} does not exist") from None
    except OSError as exc:
        raise AudioError(f"cannot read reference audio {name}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError(f"reference audio {name} is a directory, not an audio file")
    if not stat.S_ISREG(st.st_mode):
        raise AudioError(
            f"reference audio {name} is not a regular file (a device, FIFO or socket); refusing to read it"
        )
    if st.st_size > MAX_REFERENCE_BYTES:
        raise AudioError(
            f"reference audio {name} is {st.st_size / 1e6:.0f} MB; at most {MAX_REFERENCE_BYTES / 1e6:.0f} MB is read"
        )
    return st.st_size


def _decode_error(exc: Exception) -> str:
    """libsndfile's own reason, without the object reprs (``<_io.BytesIO object at 0x...>``) it adds."""
    detail = getattr(exc, "error_string", None)
    if not isinstance(detail, str) or not detail.strip():
        lines = str(exc).strip().splitlines()
        detail = lines[0] if lines else ""
    detail = _OBJECT_REPR.sub("the data", detail).strip()
    return detail or type(exc).__name__


def _too_long(name: str, max_seconds: float, seconds: float | None = None) -> AudioError:
    length = f"{seconds:.1f} s long" if seconds is not None else f"longer than {max_seconds:g} s"
    return AudioError(
        f"reference audio {name} is {length}; at most {max_seconds:g} s is used for cloning (cut a shorter excerpt)"
    )


def load_audio(source: AudioSource, max_seconds: float = MAX_REFERENCE_SECONDS) -> tuple[np.ndarray, int]:
    """Read WAV/FLAC/OGG/MP3 (anything libsndfile reads) into float32 mono samples and the file's rate.

    ``source`` is a path (a regular file), raw encoded bytes, or a binary file-like object. Multi-channel
    audio is averaged to mono. Recordings longer than ``max_seconds`` are refused: from the header's length
    before anything is decoded, and by counting while decoding block by block (a header may lie), so
    memory stays bounded for any input. Raises :class:`AudioError` naming the source when it cannot be
    decoded, is too long, holds no samples, or contains non-finite values.
    """
    import soundfile as sf

    name = describe_source(source)
    target: str | BinaryIO
    if isinstance(source, (bytes, bytearray, memoryview)):
        target = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        target = os.fspath(source)
        check_regular_file(target, name)
    else:
        target = source
    try:
        with sf.SoundFile(target) as fh:
            sr, channels = int(fh.samplerate), int(fh.channels)
            if not 0 < sr <= MAX_REFERENCE_RATE or not 0 < channels <= MAX_REFERENCE_CHANNELS:
                raise AudioError(
                    f"reference audio {name} has {channels} channel(s) at {sr} Hz; up to "
                    f"{MAX_REFERENCE_CHANNELS} channels at up to {MAX_REFERENCE_RATE} Hz are read"
                )
            max_frames = int(max_seconds * sr)
            if fh.frames > max_frames and fh.frames < _UNKNOWN_FRAMES:
                raise _too_long(name, max_seconds, fh.frames / sr)
            blocks: list[np.ndarray] = []
            total = 0
            while True:
                block = fh.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    break
                total += block.shape[0]
                if total > max_frames:
                    raise _too_long(name, max_seconds)
                blocks.append(block[:, 0].copy() if channels == 1 else block.mean(axis=1, dtype=np.float32))
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, OSError, EOFError) as exc:
        raise AudioError(
            f"cannot read reference audio {name}: not a readable audio file (WAV/FLAC/OGG/MP3): {_decode_error(exc)}"
        ) from None
    if total == 0:
        raise AudioError(f"reference audio {name} contains no samples")
    mono = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    if not np.all(np.isfinite(mono)):
        raise AudioError(f"reference audio {name} contains NaN or infinite samples")
    return np.ascontiguousarray(mono, dtype=np.float32), sr


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample 1-D float audio with soxr "HQ" (librosa's default ``soxr_hq``), librosa-style length.

    The result has exactly ``ceil(len(x) * sr_out / sr_in)`` samples (zero-padded or cut), as
    ``librosa.resample(..., fix=True)`` returns.
    """
    import soxr

    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"resample expects 1-D audio, got shape {x.shape}")
    if sr_in <= 0 or sr_out <= 0:
        raise ValueError(f"sample rates must be positive, got {sr_in} -> {sr_out}")
    if sr_in == sr_out:
        return x.copy()
    n_out = math.ceil(x.shape[0] * float(sr_out) / sr_in)
    y = np.asarray(soxr.resample(x, sr_in, sr_out, quality="HQ"), dtype=np.float32)
    if y.shape[0] > n_out:
        y = y[:n_out]
    elif y.shape[0] < n_out:
        y = np.pad(y, (0, n_out - y.shape[0]))
    return np.ascontiguousarray(y)


def _frame_rms(x: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """RMS per frame of the zero-padded (``frame_length // 2`` each side) signal, centred frames."""
    half = frame_length // 2
    padded = np.pad(x.astype(np.float32, copy=False), (half, half), mode="constant")
    n_frames = 1 + (padded.shape[0] - frame_length) // hop_length
    if n_frames < 1:
        return np.zeros(0, dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame_length)[::hop_length][:n_frames]
    power = np.mean(np.square(frames, dtype=np.float32), axis=-1)
    return np.sqrt(power)


def trim_silence(x: np.ndarray, sr: int, top_db: float, frame_length: int, hop_length: int) -> np.ndarray:
    """Coqui's silence trim: drop a 10 ms margin at both ends, then cut leading/trailing quiet frames.

    A frame is kept when its RMS is within ``top_db`` dB of the loudest frame (frames centred,
    zero-padded by ``frame_length // 2``); the kept span runs from the first loud frame's start
    ``i * hop_length`` to ``(j + 1) * hop_length`` of the last one, capped at the signal length.
    Empty input is returned unchanged.
    """
    x = np.asarray(x, dtype=np.float32)
    margin = int(sr * 0.01)
    if margin > 0:
        x = x[margin:-margin]
    rms = _frame_rms(x, frame_length, hop_length)
    if rms.size == 0 or x.shape[0] == 0:
        return x
    power = rms.astype(np.float64) ** 2
    amin = 1e-10
    db = 10.0 * np.log10(np.maximum(amin, power)) - 10.0 * np.log10(max(amin, float(power.max())))
    loud = np.flatnonzero(db > -top_db)
    if loud.size == 0:
        return x[:0]
    start = int(loud[0]) * hop_length
    end = min(x.shape[0], (int(loud[-1]) + 1) * hop_length)
    return x[start:end]


def sound_norm(x: np.ndarray, coef: float = 0.95) -> np.ndarray:
    """Peak normalisation to ``coef`` (Coqui's ``do_sound_norm``)."""
    x = np.asarray(x, dtype=np.float32)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0.0:
        raise AudioError("cannot peak-normalise silent audio")
    return (x * (coef / peak)).astype(np.float32)


def rms_volume_norm(x: np.ndarray, db_level: float) -> np.ndarray:
    """Scale ``x`` so that its RMS equals ``db_level`` dBFS (Coqui's ``rms_volume_norm``)."""
    if not -99.0 <= db_level <= 0.0:
        raise ValueError(f"db_level should be between -99 and 0, got {db_level}")
    x = np.asarray(x, dtype=np.float32)
    energy = float(np.sum(np.square(x, dtype=np.float64)))
    if x.size == 0 or energy == 0.0:
        raise AudioError("cannot RMS-normalise silent audio")
    target = 10.0 ** (db_level / 20.0)
    gain = math.sqrt(x.shape[0] * target * target / energy)
    return (x * gain).astype(np.float32)


def write_wav_atomic(path: str | os.PathLike[str], samples: np.ndarray, sr: int) -> None:
    """Write mono float samples in [-1, 1] as a 16-bit PCM WAV, atomically (temp file + rename).

    Values outside [-1, 1] are clipped.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"write_wav_atomic expects 1-D samples, got shape {x.shape}")
    atomic_write_bytes(path, wav_header(int(sr), x.size) + pcm16(x))
