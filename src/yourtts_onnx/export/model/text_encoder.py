"""Text encoder: character embedding + language embedding, a relative-position transformer, and
the projection to the prior's mean and log-std."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from yourtts_onnx.export.model.layers import ChannelLayerNorm2, sequence_mask


class RelativePositionMultiHeadAttention(nn.Module):
    """Self-attention with learned relative-position embeddings for keys and values over a window
    of ``±window`` neighbours (shared across heads).

    The relative terms are computed with gathers over index grids built from ``arange``, so the
    graph has no length-dependent Python branches and exports with a dynamic time axis. Positions
    outside the window contribute nothing, as in the reference formulation with zero padding.
    """

    def __init__(self, channels: int, out_channels: int, num_heads: int, window: int = 4) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.k_channels = channels // num_heads
        self.window = window
        self.conv_q = nn.Conv1d(channels, channels, 1)
        self.conv_k = nn.Conv1d(channels, channels, 1)
        self.conv_v = nn.Conv1d(channels, channels, 1)
        self.conv_o = nn.Conv1d(channels, out_channels, 1)
        std = self.k_channels**-0.5
        self.emb_rel_k = nn.Parameter(torch.randn(1, 2 * window + 1, self.k_channels) * std)
        self.emb_rel_v = nn.Parameter(torch.randn(1, 2 * window + 1, self.k_channels) * std)

    def _relative_grid(self, length: Tensor | int, device: torch.device) -> tuple[Tensor, Tensor]:
        """Offset index ``clamp(j - i + w, 0, 2w)`` and in-window mask, both ``[T, T]``."""
        pos = torch.arange(length, device=device)
        offset = pos.unsqueeze(0) - pos.unsqueeze(1)  # [i, j] -> j - i
        inside = offset.abs() <= self.window
        index = (offset + self.window).clamp(0, 2 * self.window)
        return index, inside

    def forward(self, x: Tensor, attn_mask: Tensor) -> Tensor:
        b, _, t = x.shape
        h, d = self.num_heads, self.k_channels
        q = self.conv_q(x).view(b, h, d, t).transpose(2, 3)  # [B, H, T, D]
        k = self.conv_k(x).view(b, h, d, t).transpose(2, 3)
        v = self.conv_v(x).view(b, h, d, t).transpose(2, 3)

        scale = 1.0 / math.sqrt(d)
        scores = torch.matmul(q * scale, k.transpose(-2, -1))  # [B, H, T, T]
        index, inside = self._relative_grid(x.shape[2], x.device)
        rel_logits = torch.matmul(q * scale, self.emb_rel_k.transpose(-2, -1))  # [B, H, T, 2w+1]
        rel_index = index.unsqueeze(0).unsqueeze(0).expand(b, h, -1, -1)
        scores = scores + torch.gather(rel_logits, 3, rel_index) * inside.to(scores.dtype)
        scores = scores.masked_fill(attn_mask == 0, -1e4)
        p_attn = F.softmax(scores, dim=-1)

        out = torch.matmul(p_attn, v)
        # Weight of each relative offset r for query i: p_attn[i, i + r - w] (zero outside the sequence).
        padded = F.pad(p_attn, (self.window, self.window))  # [B, H, T, T + 2w]
        diag = torch.arange(x.shape[2], device=x.device).unsqueeze(1) + torch.arange(
            2 * self.window + 1, device=x.device
        ).unsqueeze(0)  # [T, 2w+1]
        rel_weights = torch.gather(padded, 3, diag.unsqueeze(0).unsqueeze(0).expand(b, h, -1, -1))
        out = out + torch.matmul(rel_weights, self.emb_rel_v)
        out = out.transpose(2, 3).reshape(b, h * d, t)
        return self.conv_o(out)


class FeedForward(nn.Module):
    def __init__(self, channels: int, hidden_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.conv_1 = nn.Conv1d(channels, hidden_channels, kernel_size, padding=kernel_size // 2)
        self.conv_2 = nn.Conv1d(hidden_channels, channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x: Tensor, x_mask: Tensor) -> Tensor:
        x = torch.relu(self.conv_1(x * x_mask))
        return self.conv_2(x * x_mask) * x_mask


class RelativePositionTransformer(nn.Module):
    """Post-norm transformer encoder: attention → add & norm → conv FFN → add & norm."""

    def __init__(
        self, channels: int, ffn_channels: int, num_heads: int, num_layers: int, kernel_size: int
    ) -> None:
        super().__init__()
        self.num_layers = num_layers
        self.attn_layers = nn.ModuleList(
            RelativePositionMultiHeadAttention(channels, channels, num_heads) for _ in range(num_layers)
        )
        self.norm_layers_1 = nn.ModuleList(ChannelLayerNorm2(channels) for _ in range(num_layers))
        self.ffn_layers = nn.ModuleList(
            FeedForward(channels, ffn_channels, kernel_size) for _ in range(num_layers)
        )
        self.norm_layers_2 = nn.ModuleList(ChannelLayerNorm2(channels) for _ in range(num_layers))

    def forward(self, x: Tensor, x_mask: Tensor) -> Tensor:
        attn_mask = x_mask.unsqueeze(2) * x_mask.unsqueeze(-1)  # [B, 1, T, T]
        for i in range(self.num_layers):
            x = x * x_mask
            x = self.norm_layers_1[i](x + self.attn_layers[i](x, attn_mask))
            x = self.norm_layers_2[i](x + self.ffn_layers[i](x, x_mask))
        return x * x_mask


class TextEncoder(nn.Module):
    """ids ``[B, T]`` → hidden states ``[B, C+L, T]``, prior mean/log-std ``[B, C, T]``, mask ``[B, 1, T]``."""

    def __init__(
        self,
        num_chars: int,
        out_channels: int,
        hidden_channels: int,
        ffn_channels: int,
        num_heads: int,
        num_layers: int,
        kernel_size: int,
        language_dim: int = 0,
    ) -> None:
        super().__init__()
        self.out_channels = out_channels
        self.embed_scale = math.sqrt(hidden_channels)
        self.emb = nn.Embedding(num_chars, hidden_channels)
        width = hidden_channels + language_dim
        self.encoder = RelativePositionTransformer(width, ffn_channels, num_heads, num_layers, kernel_size)
        self.proj = nn.Conv1d(width, out_channels * 2, 1)

    def forward(
        self, ids: Tensor, lengths: Tensor, lang_emb: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        x = self.emb(ids) * self.embed_scale  # [B, T, C]
        if lang_emb is not None:  # lang_emb: [B, L, 1]
            x = torch.cat((x, lang_emb.transpose(2, 1).expand(x.size(0), x.size(1), -1)), dim=-1)
        x = x.transpose(1, 2)
        x_mask = sequence_mask(lengths, x.shape[2]).unsqueeze(1).to(x.dtype)
        x = self.encoder(x * x_mask, x_mask)
        stats = self.proj(x) * x_mask
        m, logs = torch.split(stats, self.out_channels, dim=1)
        return x, m, logs, x_mask
