"""Chunked (streaming) decoding: the window schedule and windows of a convolution.

Receptive fields (recorded at export, checked on exported graphs) are tested in test_receptive_fields.py;
derived bundles, the decoder split and the polyphase rewrite in test_derive_bundle.py."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from yourtts_onnx.runtime.chunked_decoding import (
    ChunkSchedule,
    ReceptiveField,
    Stage,
    decode_chunks,
)


def stitch(chunks: list[np.ndarray]) -> np.ndarray:
    """The windows' waveforms ``[1, 1, n]`` end to end, as one 1-D array."""
    return np.concatenate([c.reshape(-1) for c in chunks])


@pytest.mark.parametrize("frames", [1, 7, 16, 17, 100, 1000])
def test_schedule_covers_every_frame_once(frames):
    bounds = ChunkSchedule(first=16, growth=2.0, max_frames=256).bounds(frames)
    assert bounds[0][0] == 0 and bounds[-1][1] == frames
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert all(e - s <= 256 + 8 for s, e in bounds)


def test_windows_of_a_convolution_match_the_whole_signal():
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal(9).astype(np.float32)

    def conv(x: np.ndarray) -> np.ndarray:  # 'same' convolution, zero padded: reach 4 frames each way
        full = np.convolve(x[0, 0], kernel, mode="full")
        return full[4 : 4 + x.shape[2]][None, None, :].astype(np.float32)

    z = rng.standard_normal((1, 1, 300)).astype(np.float32)
    whole = conv(z)
    chunks = list(decode_chunks([Stage(conv, ReceptiveField(4, 4))], z, schedule=ChunkSchedule(first=5)))
    np.testing.assert_allclose(stitch(chunks), whole.ravel(), atol=1e-5)
    too_small = list(decode_chunks([Stage(conv, ReceptiveField(2, 2))], z, schedule=ChunkSchedule(first=5)))
    assert np.abs(stitch(too_small) - whole.ravel()).max() > 1e-3  # the field matters
