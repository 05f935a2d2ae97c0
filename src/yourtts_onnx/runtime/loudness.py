"""Loudness normalisation: integrated loudness after ITU-R BS.1770-4 and a true-peak ceiling, in numpy.

* **Measure** (:class:`LoudnessMeter`, :func:`integrated_loudness`): K-weighting (the standard's two
  biquads — a +4 dB high shelf and a 38 Hz high-pass — designed from their analog prototypes for any sample
  rate, so that at 48 kHz they are the standard's tabled coefficients; applied as their impulse response,
  truncated once it is below 1e-10, by FFT convolution), mean square over 400 ms blocks every 100 ms,
  loudness ``-0.691 + 10·log10(z)`` LUFS, an absolute gate at −70 LUFS and a relative gate 10 LU below the
  loudness of the blocks above it. Audio shorter than one block is measured as one block.
* **True peak** (:func:`true_peak`): the largest absolute value of the audio oversampled (soxr, "HQ") to at
  least 192 kHz — 4× at 48 kHz as the standard asks, 12× at 16 kHz.
* **Normalise** (:func:`normalize_loudness`): one gain brings the *whole* audio to the target, then a
  true-peak limiter (a look-ahead gain, the minimum over ±5 ms smoothed by a ±5 ms moving average, so it never
  exceeds the gain each sample needs) keeps every peak at or below the ceiling (−1 dBTP by default); the
  gain is corrected and the limiter run again (at most three times) so the loudness stays on target.
  Silence (nothing above the absolute gate) is returned unchanged.
* **Streaming** (:class:`RunningNormalizer`): the whole text is not known while it is spoken, so each chunk
  gets the gain of the loudness measured *so far* (the chunk included), ramped linearly from the previous
  chunk's gain to avoid clicks, then the limiter. The first chunks may be off target; the running measure
  converges on the whole-text value as the text goes on.

This is a runtime module: numpy and soxr only (no scipy, no pyloudnorm).
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = [
    "DEFAULT_CEILING_DBTP",
    "LoudnessMeter",
    "RunningNormalizer",
    "check_loudness",
    "integrated_loudness",
    "k_weighting_coefficients",
    "normalize_loudness",
    "true_peak",
]

DEFAULT_CEILING_DBTP = -1.0
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
BLOCK_SECONDS = 0.4
HOP_SECONDS = 0.1
_OFFSET = -0.691
_PIECE = 1 << 16  # samples filtered (and oversampled) at a time, so memory stays flat on long audio
_PEAK_RATE = 192_000  # true peak: oversample to at least this rate
_PEAK_MARGIN = 256  # input samples of context on each side of an oversampled piece
_LIMITER_SECONDS = 0.005
_MAX_PASSES = 3
_MAX_LOSS_DB = 12.0  # the most a stream's gain is raised to make up for the limiter


def k_weighting_coefficients(sample_rate: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """``((b, a), (b, a))`` of the two K-weighting biquads at ``sample_rate``."""
    # stage 1: high shelf (the head's acoustic effect)
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = (
        np.array([(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]),
        np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]),
    )
    # stage 2: the RLB high-pass
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    highpass = (
        np.array([1.0, -2.0, 1.0]),
        np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]),
    )
    return shelf, highpass


@functools.lru_cache(maxsize=8)
def _impulse_response(sample_rate: int) -> np.ndarray:
    """The cascade's impulse response, until its tail is below 1e-10 (at most one second)."""
    stages = k_weighting_coefficients(sample_rate)
    n = sample_rate
    out = np.zeros(n)
    states = [[0.0, 0.0] for _ in stages]  # transposed direct form II
    quiet = 0
    length = n
    for i in range(n):
        x = 1.0 if i == 0 else 0.0
        for (b, a), s in zip(stages, states, strict=True):
            y = b[0] * x + s[0]
            s[0] = b[1] * x - a[1] * y + s[1]
            s[1] = b[2] * x - a[2] * y
            x = y
        out[i] = x
        quiet = quiet + 1 if abs(x) < 1e-10 else 0
        if quiet >= 64:
            length = i + 1
            break
    return out[:length]


def _convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    size = 1 << (len(x) + len(h) - 2).bit_length()
    return np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[: len(x) + len(h) - 1]


class LoudnessMeter:
    """Integrated loudness of audio given piece by piece (memory: one block and the filter's history)."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._h = _impulse_response(sample_rate)
        self._history = np.zeros(len(self._h) - 1)
        self._block = max(1, round(BLOCK_SECONDS * sample_rate))
        self._hop = max(1, round(HOP_SECONDS * sample_rate))
        self._pending = np.zeros(0)  # squared K-weighted samples from absolute index _pending_start
        self._pending_start = 0
        self._next_block = 0
        self._blocks: list[float] = []
        self._sum = 0.0  # of all squared K-weighted samples (for audio shorter than one block)
        self._count = 0

    def add(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, dtype=np.float64).reshape(-1)
        for start in range(0, len(x), _PIECE):
            self._add(x[start : start + _PIECE])

    def _add(self, x: np.ndarray) -> None:
        extended = np.concatenate([self._history, x])
        n_hist = len(self._history)
        weighted = _convolve(extended, self._h)[n_hist : n_hist + len(x)]
        if n_hist:
            self._history = extended[-n_hist:]
        squared = weighted * weighted
        self._sum += float(squared.sum())
        self._count += len(x)
        self._pending = np.concatenate([self._pending, squared])
        end = self._pending_start + len(self._pending)
        while self._next_block + self._block <= end:
            offset = self._next_block - self._pending_start
            self._blocks.append(float(self._pending[offset : offset + self._block].mean()))
            self._next_block += self._hop
        drop = self._next_block - self._pending_start
        if drop > 0:
            self._pending = self._pending[drop:]
            self._pending_start = self._next_block

    def integrated(self) -> float | None:
        """The gated loudness so far in LUFS; ``None`` when nothing is above the absolute gate."""
        blocks = np.array(self._blocks) if self._blocks else None
        if blocks is None:
            if not self._count:
                return None
            blocks = np.array([self._sum / self._count])
        with np.errstate(divide="ignore"):
            levels = _OFFSET + 10.0 * np.log10(blocks)
        kept = blocks[levels > ABSOLUTE_GATE_LUFS]
        if kept.size == 0:
            return None
        relative = _OFFSET + 10.0 * math.log10(float(kept.mean())) + RELATIVE_GATE_LU
        kept = blocks[(levels > ABSOLUTE_GATE_LUFS) & (levels > relative)]
        return _OFFSET + 10.0 * math.log10(float(kept.mean()))


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float | None:
    """Integrated loudness (LUFS, BS.1770-4) of mono ``samples``; ``None`` for silence."""
    meter = LoudnessMeter(sample_rate)
    meter.add(samples)
    return meter.integrated()


def _oversampling(sample_rate: int) -> int:
    return max(1, math.ceil(_PEAK_RATE / sample_rate))


def _peak_envelope(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per input sample, the largest absolute value of the oversampled signal from it to the next one."""
    import soxr

    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    k = _oversampling(sample_rate)
    if k == 1 or len(x) == 0:
        return np.abs(x)
    out = np.empty(len(x))
    margin = _PEAK_MARGIN
    for start in range(0, len(x), _PIECE):
        stop = min(len(x), start + _PIECE)
        lo, hi = max(0, start - margin), min(len(x), stop + margin)
        # always `margin` samples of context each side (zeros beyond the ends), dropped after resampling
        piece = np.concatenate([np.zeros(margin - (start - lo)), x[lo:hi], np.zeros(margin - (hi - stop))])
        up = soxr.resample(piece, sample_rate, sample_rate * k, quality="HQ")
        window = np.abs(up[margin * k : (margin + stop - start) * k])
        if window.size < (stop - start) * k:  # pragma: no cover - soxr returns len * k samples
            window = np.pad(window, (0, (stop - start) * k - window.size))
        env = window.reshape(stop - start, k).max(axis=1)
        out[start:stop] = np.maximum(env, np.abs(x[start:stop]))
    return out


def true_peak(samples: np.ndarray, sample_rate: int) -> float:
    """The true peak (linear, oversampled to at least 192 kHz) of ``samples``; 0 for empty audio."""
    env = _peak_envelope(samples, sample_rate)
    return float(env.max()) if env.size else 0.0


def _running_min(x: np.ndarray, width: int) -> np.ndarray:
    """Minimum over a centred window of ``width`` (odd) samples (van Herk/Gil-Werman, O(n))."""
    half = width // 2
    padded = np.concatenate([np.full(half, np.inf), x, np.full(half + width, np.inf)])
    n_blocks = len(padded) // width
    blocks = padded[: n_blocks * width].reshape(n_blocks, width)
    prefix = np.minimum.accumulate(blocks, axis=1).reshape(-1)
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    i = np.arange(len(x))
    return np.minimum(suffix[i], prefix[i + width - 1])


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    half = width // 2
    padded = np.concatenate([np.full(half, x[0]), x, np.full(half, x[-1])])
    cumsum = np.concatenate([[0.0], np.cumsum(padded)])
    return (cumsum[width:] - cumsum[:-width]) / width


def _limit(samples: np.ndarray, sample_rate: int, ceiling: float) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        return x
    env = _peak_envelope(x, sample_rate)
    if float(env.max()) <= ceiling:
        return x
    need = np.minimum(1.0, ceiling / np.maximum(env, 1e-12))
    width = 2 * max(1, round(_LIMITER_SECONDS * sample_rate)) + 1
    gain = _moving_average(_running_min(need, width), width)
    y = x * np.minimum(gain, need)
    peak = true_peak(y, sample_rate)
    return y * (ceiling / peak) if peak > ceiling else y


def _check(target_lufs: float, ceiling_dbtp: float) -> tuple[float, float]:
    from yourtts_onnx.runtime.limits import MAX_LOUDNESS_LUFS, MIN_LOUDNESS_LUFS, check_float

    target = check_float("loudness", target_lufs, MIN_LOUDNESS_LUFS, MAX_LOUDNESS_LUFS)
    ceiling = check_float("true-peak ceiling", ceiling_dbtp, -60.0, 0.0)
    return target, 10.0 ** (ceiling / 20.0)


def normalize_loudness(
    samples: np.ndarray, sample_rate: int, target_lufs: float, ceiling_dbtp: float = DEFAULT_CEILING_DBTP
) -> np.ndarray:
    """``samples`` (the whole output) at ``target_lufs`` integrated loudness, true peaks at or below
    ``ceiling_dbtp``; float32, the same length. Silence is returned unchanged."""
    target, ceiling = _check(target_lufs, ceiling_dbtp)
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    measured = integrated_loudness(x, sample_rate)
    if measured is None:
        return np.asarray(samples, dtype=np.float32)
    gain_db = target - measured
    y = x
    for _ in range(_MAX_PASSES):
        y = _limit(x * 10.0 ** (gain_db / 20.0), sample_rate, ceiling)
        now = integrated_loudness(y, sample_rate)
        if now is None or abs(target - now) < 0.05:
            break
        gain_db += target - now
    return y.astype(np.float32)


class RunningNormalizer:
    """Loudness normalisation of a stream: each chunk gets the gain of the loudness measured so far, plus
    what the limiter has taken off so far (measured before and after it), so the output converges on the
    target even where the limiter works."""

    def __init__(
        self, sample_rate: int, target_lufs: float, ceiling_dbtp: float = DEFAULT_CEILING_DBTP
    ) -> None:
        self.sample_rate = sample_rate
        self.target, self._ceiling = _check(target_lufs, ceiling_dbtp)
        self._input = LoudnessMeter(sample_rate)
        self._before_limiter = LoudnessMeter(sample_rate)
        self._output = LoudnessMeter(sample_rate)
        self._gain_db: float | None = None

    def process(self, samples: np.ndarray) -> np.ndarray:
        """The next chunk, normalised (float32, the same length)."""
        x = np.asarray(samples, dtype=np.float64).reshape(-1)
        if x.size == 0:
            return x.astype(np.float32)
        self._input.add(x)
        measured = self._input.integrated()
        if measured is None:
            new_db = 0.0 if self._gain_db is None else self._gain_db
        else:
            before, after = self._before_limiter.integrated(), self._output.integrated()
            loss = 0.0 if before is None or after is None else min(max(before - after, 0.0), _MAX_LOSS_DB)
            new_db = self.target - measured + loss
        old_db = new_db if self._gain_db is None else self._gain_db
        self._gain_db = new_db
        ramp = 10.0 ** (np.linspace(old_db, new_db, x.size) / 20.0)
        gained = x * ramp
        out = _limit(gained, self.sample_rate, self._ceiling)
        self._before_limiter.add(gained)
        self._output.add(out)
        return out.astype(np.float32)


def check_loudness(value: float | None) -> float | None:
    """A loudness target in LUFS (``None``: off) within the limits, else an :class:`InputError`."""
    return None if value is None else _check(value, DEFAULT_CEILING_DBTP)[0]
