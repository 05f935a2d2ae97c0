"""Chunked decoding for streaming: run the flow + HiFi-GAN decoder on overlapping windows of frames.

``decoder.onnx`` is convolutional along time (the flow's WaveNet couplings, HiFi-GAN's convolutions and
transposed convolutions): output sample ``n`` depends only on the frames within a fixed receptive field
around frame ``n // hop``. Decoding the window ``[a - left, b + right)`` and keeping the samples of frames
``[a, b)`` therefore gives what the whole-sentence call gives there, up to float rounding, as long as
``left``/``right`` cover the receptive field and every window sees the same latent. So the latent is
sampled on the host once per sentence (``z_p = m_p + eps * exp(logs_p) * noise_scale``,
:func:`sample_latent`) and every window runs with ``noise_scale = 0``. The first audio of a sentence is then
ready after one small window instead of the whole sentence.

A decoder split in stages (``flow`` at frame rate, then ``vocoder`` frames → samples) can be chunked the
same way with a receptive field per stage (:class:`Stage`); the vocoder, which does ~95% of the work, then
only pays for its own (small) context. The fields are computed at export from the model's kernel sizes,
dilations and layer counts and recorded in the bundle's ``config.json`` (``receptive_fields``).

Use (one sentence, batch 1; ``prior`` from :func:`yourtts_onnx.runtime.alignment.expand_prior`)::

    n = int(prior.frame_lengths[0])
    z_p = sample_latent(prior.m_p[:, :, :n], prior.logs_p[:, :, :n], noise_scale, rng)
    fields = bundle.config.receptive_fields
    stages = flow_vocoder_stages(flow_session, vocoder_session, embedding,
                                 flow_field=fields["flow"], vocoder_field=fields["vocoder"], hop=256)
    for chunk in decode_chunks(stages, z_p, n, ChunkSchedule(first=16)):
        yield chunk.reshape(-1)                                                # float32 samples

With ``noise_scale = 0`` the stitched chunks equal the whole-sentence decoder output (measured: max-abs
1e-8); with noise they equal the whole-sentence output for the same host-drawn noise.

Torch-free: numpy, and ONNX Runtime sessions for the stage helpers. The user-facing streaming of
:meth:`yourtts_onnx.runtime.synthesizer.Synthesizer.stream` runs on this through
:mod:`yourtts_onnx.runtime.backends`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.bundle import GRAPH_DECODER, GRAPH_FLOW, GRAPH_VOCODER, ReceptiveField
from yourtts_onnx.runtime.graph_catalog import Z_P, Z
from yourtts_onnx.runtime.session import input_dtypes, run_session

# Frames (of the decoder's input) → waveform; ``run(z [1, C, W]) -> [1, 1, W * hop]`` or ``[1, C', W]``.
StageFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ChunkSchedule:
    """Window sizes in frames: ``first`` frames, then each window ``growth`` times the previous one, at
    most ``max_frames`` (``0``: no cap). A tail shorter than ``min_tail`` is merged into the window before it.

    The first window decides the time to first audio; growing windows keep the seam overhead small and
    stay ahead of playback. With hop 256 at 16 kHz a frame is 16 ms: ``first=16`` is 0.26 s of audio.
    """

    first: int = 16
    growth: float = 2.0
    max_frames: int = 512
    min_tail: int = 8

    def __post_init__(self) -> None:
        if self.first < 1 or self.growth < 1.0 or self.max_frames < 0 or self.min_tail < 0:
            raise ValueError(f"invalid chunk schedule {self}")

    def bounds(self, num_frames: int) -> list[tuple[int, int]]:
        """``[(start, end), ...]`` covering ``[0, num_frames)`` in order."""
        out: list[tuple[int, int]] = []
        start, size = 0, float(self.first)
        while start < num_frames:
            n = int(size)
            if self.max_frames:
                n = min(n, self.max_frames)
            end = min(num_frames, start + max(n, 1))
            if num_frames - end < self.min_tail:
                end = num_frames
            out.append((start, end))
            start, size = end, size * self.growth
        return out


@dataclass(frozen=True)
class Stage:
    """One graph of a decoder: ``run`` maps a ``[1, C, W]`` window of frames to ``[1, C', W * upsample]``."""

    run: StageFn
    field: ReceptiveField
    upsample: int = 1


def sample_latent(
    m_p: np.ndarray, logs_p: np.ndarray, noise_scale: float, rng: np.random.Generator | None = None
) -> np.ndarray:
    """``z_p = m_p + eps * exp(logs_p) * noise_scale`` drawn once for a whole sentence (float32)."""
    m = np.asarray(m_p, dtype=np.float32)
    if noise_scale == 0.0:
        return m.copy()
    rng = rng or np.random.default_rng()
    eps = rng.standard_normal(m.shape, dtype=np.float32)
    return (m + eps * np.exp(np.asarray(logs_p, dtype=np.float32)) * np.float32(noise_scale)).astype(
        np.float32
    )


def _crop(x: np.ndarray, start: int, stop: int) -> np.ndarray:
    return np.ascontiguousarray(x[..., start:stop])


def decode_chunks(
    stages: Sequence[Stage],
    z_p: np.ndarray,
    num_frames: int | None = None,
    schedule: ChunkSchedule | None = None,
) -> Iterator[np.ndarray]:
    """Yield the waveform of each window of ``schedule`` in order (``[1, 1, frames * hop]`` each).

    ``z_p [1, C, F]``: the sampled latent of one sentence (:func:`sample_latent`), ``num_frames`` its valid
    frames (default ``F``). The chunks concatenated equal ``stages`` run on the whole sentence, up to float
    rounding, when every stage's field covers its receptive field.
    """
    if not stages:
        raise ValueError("decode_chunks needs at least one stage")
    if z_p.ndim != 3 or z_p.shape[0] != 1:
        raise ValueError(f"z_p must have shape [1, channels, frames], got {list(z_p.shape)}")
    total = int(z_p.shape[2] if num_frames is None else num_frames)
    if not 0 < total <= z_p.shape[2]:
        raise ValueError(f"num_frames must be in 1..{z_p.shape[2]}, got {total}")
    for start, end in (schedule or ChunkSchedule()).bounds(total):
        yield decode_window(stages, z_p, start, end, total)


def decode_window(stages: Sequence[Stage], z_p: np.ndarray, start: int, end: int, total: int) -> np.ndarray:
    """The output of frames ``[start, end)`` of a ``total``-frame sentence, computed with context only."""
    # the input range each stage must see, from the last stage back to the first
    ranges: list[tuple[int, int]] = []
    lo, hi = start, end
    for stage in reversed(stages):
        lo, hi = max(0, lo - stage.field.left), min(total, hi + stage.field.right)
        ranges.append((lo, hi))
    ranges.reverse()
    x = _crop(z_p, *ranges[0])
    for i, stage in enumerate(stages):
        lo, hi = ranges[i]
        want_lo, want_hi = ranges[i + 1] if i + 1 < len(stages) else (start, end)
        y = np.asarray(stage.run(x))
        k = stage.upsample
        if y.shape[-1] != (hi - lo) * k:
            raise ValueError(f"stage {i} returned {y.shape[-1]} steps for {hi - lo} frames (upsample {k})")
        x = _crop(y, (want_lo - lo) * k, (want_hi - lo) * k)
    return x


def decoder_stage(
    session: ort.InferenceSession, speaker_embedding: np.ndarray, field: ReceptiveField, hop: int
) -> Stage:
    """``decoder.onnx`` as one stage fed with a sampled latent: ``m_p = z_p``, ``logs_p = 0`` and
    ``noise_scale = 0``, so the graph draws nothing."""
    emb = np.ascontiguousarray(np.asarray(speaker_embedding, dtype=np.float32).reshape(1, -1))
    scales = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    dtypes = input_dtypes(session)

    def run(z: np.ndarray) -> np.ndarray:
        feeds = {
            cat.M_P: z,
            cat.LOGS_P: np.zeros_like(z),
            cat.FRAME_LENGTHS: np.array([z.shape[2]], dtype=np.int64),
            cat.SPEAKER_EMBEDDING: emb,
            cat.SCALES: scales,
        }
        return run_session(session, feeds, [cat.WAVEFORM], GRAPH_DECODER, dtypes)[0]

    return Stage(run, field, hop)


def flow_vocoder_stages(
    flow_session: ort.InferenceSession,
    vocoder_session: ort.InferenceSession,
    speaker_embedding: np.ndarray,
    *,
    flow_field: ReceptiveField,
    vocoder_field: ReceptiveField,
    hop: int,
) -> list[Stage]:
    """``flow.onnx`` then ``vocoder.onnx`` (the decoder split at HiFi-GAN's input) as two stages: the
    vocoder, ~95% of the work, only pays for its own context (9 frames for YourTTS), so windows are far
    cheaper."""
    emb = np.ascontiguousarray(np.asarray(speaker_embedding, dtype=np.float32).reshape(1, -1))
    flow_dtypes, vocoder_dtypes = input_dtypes(flow_session), input_dtypes(vocoder_session)

    def run_flow(z_p: np.ndarray) -> np.ndarray:
        lengths = np.array([z_p.shape[2]], dtype=np.int64)
        feeds = {Z_P: z_p, cat.FRAME_LENGTHS: lengths, cat.SPEAKER_EMBEDDING: emb}
        return run_session(flow_session, feeds, [Z], GRAPH_FLOW, flow_dtypes)[0]

    def run_vocoder(z: np.ndarray) -> np.ndarray:
        feeds = {Z: z, cat.SPEAKER_EMBEDDING: emb}
        return run_session(vocoder_session, feeds, [cat.WAVEFORM], GRAPH_VOCODER, vocoder_dtypes)[0]

    return [Stage(run_flow, flow_field, 1), Stage(run_vocoder, vocoder_field, hop)]


# The default windows when streaming: a short first one for a quick start (~0.25 s of audio), then doubling
# up to ~4 s. Each seam re-decodes the context, so short later windows cost throughput: for a 10.5 s sentence
# with the full-size model (2 threads) decoder.onnx took 1.9 s in all with windows capped at 2 s, 2.0 s with
# uniform 1 s windows, 1.46 s doubling up to 4 s, against 1.0 s unchunked; the first audio came after
# ~0.12-0.16 s in every case (it is set by the first window, not the later ones).
DEFAULT_FIRST_SECONDS = 0.25
DEFAULT_MAX_SECONDS = 4.0


def default_schedule(frames_per_second: float) -> ChunkSchedule:
    """:data:`DEFAULT_FIRST_SECONDS` first, doubling up to :data:`DEFAULT_MAX_SECONDS` per window."""
    first = max(1, round(DEFAULT_FIRST_SECONDS * frames_per_second))
    return ChunkSchedule(
        first=first, growth=2.0, max_frames=max(first, round(DEFAULT_MAX_SECONDS * frames_per_second))
    )


def resolve_schedule(
    chunk_frames: int | ChunkSchedule | None, frames_per_second: float
) -> ChunkSchedule | None:
    """``None``: :func:`default_schedule`; ``0``: the whole sentence as one window (returns ``None``); ``n``:
    windows of ``n`` frames; a :class:`ChunkSchedule` as given."""
    if chunk_frames is None:
        return default_schedule(frames_per_second)
    if isinstance(chunk_frames, ChunkSchedule):
        return chunk_frames
    if isinstance(chunk_frames, bool) or not isinstance(chunk_frames, int) or chunk_frames < 0:
        raise InputError(
            f"chunk_frames must be a non-negative integer (0: whole sentences), got {chunk_frames!r}"
        )
    if chunk_frames == 0:
        return None
    return ChunkSchedule(
        first=chunk_frames, growth=1.0, max_frames=chunk_frames, min_tail=min(8, chunk_frames)
    )
