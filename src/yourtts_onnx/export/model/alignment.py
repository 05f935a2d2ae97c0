"""Durations → monotonic hard alignment → prior statistics expanded to frames."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from yourtts_onnx.export.model.layers import sequence_mask


def frame_durations(log_durations: Tensor, x_mask: Tensor, length_scale: Tensor) -> tuple[Tensor, Tensor]:
    """Integer frame counts per token ``[B, 1, T]`` (ceil of exp(logw) * scale) and frames per item ``[B]``."""
    w_ceil = torch.ceil(torch.exp(log_durations) * x_mask * length_scale)
    y_lengths = torch.clamp_min(torch.sum(w_ceil, [1, 2]), 1).long()
    return w_ceil, y_lengths


def alignment_path(durations: Tensor, mask: Tensor) -> Tensor:
    """Hard monotonic path ``[B, T_text, T_frames]`` from per-token durations ``[B, T_text]``:
    token i covers frames ``[cumsum_{i-1}, cumsum_i)``. ``mask``: ``[B, T_text, T_frames]``."""
    b, t_x, t_y = mask.shape
    cum = torch.cumsum(durations, 1).reshape(b * t_x)
    path = sequence_mask(cum, t_y).to(mask.dtype).reshape(b, t_x, t_y)
    path = path - F.pad(path, (0, 0, 1, 0))[:, :-1]
    return path * mask


def expand_to_frames(
    w_ceil: Tensor, y_lengths: Tensor, x_mask: Tensor, m_p: Tensor, logs_p: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Repeat each token's prior statistics over its frames. Returns m_p, logs_p ``[B, C, F]`` and y_mask ``[B, 1, F]``."""
    y_mask = sequence_mask(y_lengths).to(x_mask.dtype).unsqueeze(1)
    attn_mask = x_mask.transpose(1, 2) * y_mask  # [B, T_text, F]
    attn = alignment_path(w_ceil.squeeze(1), attn_mask)
    attn_t = attn.transpose(1, 2)  # [B, F, T_text]
    m = torch.matmul(attn_t, m_p.transpose(1, 2)).transpose(1, 2)
    logs = torch.matmul(attn_t, logs_p.transpose(1, 2)).transpose(1, 2)
    return m, logs, y_mask
