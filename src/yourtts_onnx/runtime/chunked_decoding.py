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
only pays for its own (small) context.

Use (one sentence, batch 1; ``prior`` from :func:`yourtts_onnx.runtime.alignment.expand_prior`)::

    n = int(prior.frame_lengths[0])
    z_p = sample_latent(prior.m_p[:, :, :n], prior.logs_p[:, :, :n], noise_scale, rng)
    stages = (flow_vocoder_stages(flow_session, vocoder_session, embedding)      # bundle has flow/vocoder
              if have_split else [decoder_stage(decoder_session, embedding)])  # else decoder.onnx
    for chunk in decode_chunks(stages, z_p, n, ChunkSchedule(first=16)):
        yield chunk.reshape(-1)                                                # float32 samples

With ``noise_scale = 0`` the stitched chunks equal the whole-sentence decoder output (measured: max-abs
1e-8); with noise they equal the whole-sentence output for the same host-drawn noise.

Torch-free: numpy, and ONNX Runtime sessions for the stage helpers. The user-facing streaming of
:meth:`yourtts_onnx.runtime.synthesizer.Synthesizer.stream` runs on this through
:mod:`yourtts_onnx.runtime.component_pipeline`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from yourtts_onnx.runtime.bundle import GRAPH_DECODER, GRAPH_FLOW, GRAPH_VOCODER
from yourtts_onnx.runtime.graph_contract import Z_P, Z
from yourtts_onnx.runtime.session import input_dtypes, run_session

# Frames (of the decoder's input) → waveform; ``run(z [1, C, W]) -> [1, 1, W * hop]`` or ``[1, C', W]``.
StageFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ReceptiveField:
    """Frames of past (``left``) and future (``right``) context an output frame depends on."""

    left: int
    right: int

    def __post_init__(self) -> None:
        if self.left < 0 or self.right < 0:
            raise ValueError(f"receptive field must be non-negative, got {self.left}, {self.right}")

    def __add__(self, other: ReceptiveField) -> ReceptiveField:
        return ReceptiveField(self.left + other.left, self.right + other.right)


def conv_stack_field(
    kernel_sizes: Sequence[int], dilations: Sequence[int] | None = None, samples_per_frame: float = 1.0
) -> float:
    """Reach (one side) of a chain of 'same'-padded convolutions, in frames."""
    dilations = dilations or [1] * len(kernel_sizes)
    return sum((k - 1) * d / 2 for k, d in zip(kernel_sizes, dilations, strict=True)) / samples_per_frame


def vits_decoder_field(
    *,
    flow_blocks: int = 4,
    flow_layers: int = 4,
    flow_kernel: int = 5,
    flow_dilation_rate: int = 1,
    pre_kernel: int = 7,
    post_kernel: int = 7,
    upsample_rates: Sequence[int] = (8, 8, 2, 2),
    upsample_kernels: Sequence[int] = (16, 16, 4, 4),
    resblock_kernels: Sequence[int] = (3, 7, 11),
    resblock_dilations: Sequence[Sequence[int]] = ((1, 3, 5), (1, 3, 5), (1, 3, 5)),
    resblock_type: str = "2",
) -> tuple[ReceptiveField, ReceptiveField]:
    """Receptive fields of a VITS decoder's two parts, ``(flow, vocoder)``, from its hyper-parameters.

    The defaults are YourTTS's: the flow reaches 32 frames each way, HiFi-GAN 9 (conv_pre 3, then per
    stage the transposed convolution and the widest residual block), 41 in all. Each transposed
    convolution is counted with one extra input step for the rounding of its phase.
    """
    flow = flow_blocks * sum((flow_kernel - 1) * flow_dilation_rate**i / 2 for i in range(flow_layers))
    reach = (pre_kernel - 1) / 2  # conv_pre, at frame rate
    rate = 1
    used = 3 if resblock_type == "1" else 2
    for u, k in zip(upsample_rates, upsample_kernels, strict=True):
        pad = (k - u) // 2
        # output o uses inputs i with o = i*u + j - pad: (k - 1 - pad)/u input steps back, pad/u ahead, + 1
        reach += (max(k - 1 - pad, pad) / u + 1) / rate
        rate *= u
        per_block = [
            sum((ks - 1) * d / 2 for d in ds[:used]) * (2 if resblock_type == "1" else 1)
            for ks, ds in zip(resblock_kernels, resblock_dilations, strict=True)
        ]
        reach += max(per_block) / rate
    reach += (post_kernel - 1) / 2 / rate
    f, v = math.ceil(flow), math.ceil(reach)
    return ReceptiveField(f, f), ReceptiveField(v, v)


YOURTTS_FLOW_FIELD, YOURTTS_VOCODER_FIELD = vits_decoder_field()
#: The whole ``decoder.onnx`` (flow then HiFi-GAN) of YourTTS: 41 frames each way.
YOURTTS_DECODER_FIELD = YOURTTS_FLOW_FIELD + YOURTTS_VOCODER_FIELD


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
    session: ort.InferenceSession,
    speaker_embedding: np.ndarray,
    field: ReceptiveField = YOURTTS_DECODER_FIELD,
    hop: int = 256,
) -> Stage:
    """``decoder.onnx`` as one stage fed with a sampled latent: ``m_p = z_p``, ``logs_p = 0`` and
    ``noise_scale = 0``, so the graph draws nothing."""
    emb = np.ascontiguousarray(np.asarray(speaker_embedding, dtype=np.float32).reshape(1, -1))
    scales = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    dtypes = input_dtypes(session)

    def run(z: np.ndarray) -> np.ndarray:
        feeds = {
            "m_p": z,
            "logs_p": np.zeros_like(z),
            "frame_lengths": np.array([z.shape[2]], dtype=np.int64),
            "speaker_embedding": emb,
            "scales": scales,
        }
        return run_session(session, feeds, ["output"], GRAPH_DECODER, dtypes)[0]

    return Stage(run, field, hop)


def flow_vocoder_stages(
    flow_session: ort.InferenceSession,
    vocoder_session: ort.InferenceSession,
    speaker_embedding: np.ndarray,
    *,
    flow_field: ReceptiveField = YOURTTS_FLOW_FIELD,
    vocoder_field: ReceptiveField = YOURTTS_VOCODER_FIELD,
    hop: int = 256,
) -> list[Stage]:
    """``flow.onnx`` then ``vocoder.onnx`` (the decoder split at HiFi-GAN's input) as two stages: the
    vocoder, ~95% of the work, only pays for its own 9-frame context, so windows are far cheaper."""
    emb = np.ascontiguousarray(np.asarray(speaker_embedding, dtype=np.float32).reshape(1, -1))
    flow_dtypes, vocoder_dtypes = input_dtypes(flow_session), input_dtypes(vocoder_session)

    def run_flow(z_p: np.ndarray) -> np.ndarray:
        lengths = np.array([z_p.shape[2]], dtype=np.int64)
        feeds = {Z_P: z_p, "frame_lengths": lengths, "speaker_embedding": emb}
        return run_session(flow_session, feeds, [Z], GRAPH_FLOW, flow_dtypes)[0]

    def run_vocoder(z: np.ndarray) -> np.ndarray:
        feeds = {Z: z, "speaker_embedding": emb}
        return run_session(vocoder_session, feeds, ["output"], GRAPH_VOCODER, vocoder_dtypes)[0]

    return [Stage(run_flow, flow_field, 1), Stage(run_vocoder, vocoder_field, hop)]


def stitch(chunks: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate chunk waveforms ``[1, 1, n]`` (or 1-D) into one 1-D float32 array."""
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate([np.asarray(c, dtype=np.float32).reshape(-1) for c in chunks])
