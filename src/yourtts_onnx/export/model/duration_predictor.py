"""Duration predictors: the stochastic one (a normalising flow run in reverse from noise, with
rational-quadratic spline couplings) and the plain convolutional regressor."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from yourtts_onnx.export.model.layers import ChannelLayerNorm, ChannelLayerNorm2
from yourtts_onnx.export.model.spline import inverse_rational_quadratic


class DilatedDepthSeparableConv(nn.Module):
    """Residual stack of dilated depthwise conv → LN → GELU → 1x1 conv → LN → GELU."""

    def __init__(self, channels: int, kernel_size: int, num_layers: int) -> None:
        super().__init__()
        self.num_layers = num_layers
        self.convs_sep = nn.ModuleList()
        self.convs_1x1 = nn.ModuleList()
        self.norms_1 = nn.ModuleList()
        self.norms_2 = nn.ModuleList()
        for i in range(num_layers):
            dilation = kernel_size**i
            padding = (kernel_size * dilation - dilation) // 2
            self.convs_sep.append(
                nn.Conv1d(
                    channels, channels, kernel_size, groups=channels, dilation=dilation, padding=padding
                )
            )
            self.convs_1x1.append(nn.Conv1d(channels, channels, 1))
            self.norms_1.append(ChannelLayerNorm2(channels))
            self.norms_2.append(ChannelLayerNorm2(channels))

    def forward(self, x: Tensor, x_mask: Tensor, g: Tensor | None = None) -> Tensor:
        if g is not None:
            x = x + g
        for i in range(self.num_layers):
            y = F.gelu(self.norms_1[i](self.convs_sep[i](x * x_mask)))
            y = F.gelu(self.norms_2[i](self.convs_1x1[i](y)))
            x = x + y
        return x * x_mask


class ElementwiseAffine(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.translation = nn.Parameter(torch.zeros(channels, 1))
        self.log_scale = nn.Parameter(torch.zeros(channels, 1))

    def reverse(self, x: Tensor, x_mask: Tensor, g: Tensor) -> Tensor:
        return (x - self.translation) * torch.exp(-self.log_scale) * x_mask


class ConvFlow(nn.Module):
    """Coupling layer: the first half conditions a spline transform of the second half."""

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        kernel_size: int,
        num_bins: int = 10,
        tail_bound: float = 5.0,
    ) -> None:
        super().__init__()
        self.num_bins = num_bins
        self.tail_bound = tail_bound
        self.half = in_channels // 2
        self.norm = math.sqrt(hidden_channels)
        self.pre = nn.Conv1d(self.half, hidden_channels, 1)
        self.convs = DilatedDepthSeparableConv(hidden_channels, kernel_size, num_layers=3)
        self.proj = nn.Conv1d(hidden_channels, self.half * (num_bins * 3 - 1), 1)

    def reverse(self, x: Tensor, x_mask: Tensor, g: Tensor) -> Tensor:
        x0, x1 = x[:, : self.half], x[:, self.half :]
        h = self.convs(self.pre(x0), x_mask, g=g)
        h = self.proj(h) * x_mask
        b, c, t = x0.shape
        h = h.reshape(b, c, -1, t).permute(0, 1, 3, 2)  # [B, c, T, 3K-1]
        k = self.num_bins
        x1 = inverse_rational_quadratic(
            x1, h[..., :k] / self.norm, h[..., k : 2 * k] / self.norm, h[..., 2 * k :], self.tail_bound
        )
        return torch.cat([x0, x1], 1) * x_mask


class StochasticDurationPredictor(nn.Module):
    """Reverse (sampling) direction of the stochastic duration predictor.

    The posterior branch (``post_*``) is kept only so training checkpoints load strictly; inference
    never runs it. The reverse pass walks the main flows backwards, skipping the first coupling
    layer, which only ever transforms the discarded second channel.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        kernel_size: int,
        num_flows: int = 4,
        cond_channels: int = 0,
        language_dim: int = 0,
    ) -> None:
        super().__init__()
        in_channels += language_dim
        self.pre = nn.Conv1d(in_channels, hidden_channels, 1)
        self.convs = DilatedDepthSeparableConv(hidden_channels, kernel_size, num_layers=3)
        self.proj = nn.Conv1d(hidden_channels, hidden_channels, 1)
        self.flows = nn.ModuleList([ElementwiseAffine(2)])
        self.flows.extend(ConvFlow(2, hidden_channels, kernel_size) for _ in range(num_flows))
        self.post_pre = nn.Conv1d(1, hidden_channels, 1)
        self.post_convs = DilatedDepthSeparableConv(hidden_channels, kernel_size, num_layers=3)
        self.post_proj = nn.Conv1d(hidden_channels, hidden_channels, 1)
        self.post_flows = nn.ModuleList([ElementwiseAffine(2)])
        self.post_flows.extend(ConvFlow(2, hidden_channels, kernel_size) for _ in range(num_flows))
        if cond_channels:
            self.cond = nn.Conv1d(cond_channels, hidden_channels, 1)
        if language_dim:
            self.cond_lang = nn.Conv1d(language_dim, hidden_channels, 1)

    def forward(
        self,
        x: Tensor,
        x_mask: Tensor,
        noise: Tensor,
        g: Tensor | None = None,
        lang_emb: Tensor | None = None,
    ) -> Tensor:
        """``noise``: ``[B, 2, T]`` already scaled by noise_scale_dp. Returns log-durations ``[B, 1, T]``."""
        x = self.pre(x)
        if g is not None and hasattr(self, "cond"):
            x = x + self.cond(g)
        if lang_emb is not None and hasattr(self, "cond_lang"):
            x = x + self.cond_lang(lang_emb)
        x = self.proj(self.convs(x, x_mask)) * x_mask

        flows = list(reversed(self.flows))
        flows = [*flows[:-2], flows[-1]]
        z = noise
        for flow in flows:
            z = torch.flip(z, [1])
            z = flow.reverse(z, x_mask, g=x)
        return z[:, :1]


class DurationPredictor(nn.Module):
    """Plain duration predictor: two conv/ReLU/LN blocks → log-durations ``[B, 1, T]``."""

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        kernel_size: int,
        cond_channels: int = 0,
        language_dim: int = 0,
    ) -> None:
        super().__init__()
        in_channels += language_dim
        self.conv_1 = nn.Conv1d(in_channels, hidden_channels, kernel_size, padding=kernel_size // 2)
        self.norm_1 = ChannelLayerNorm(hidden_channels)
        self.conv_2 = nn.Conv1d(hidden_channels, hidden_channels, kernel_size, padding=kernel_size // 2)
        self.norm_2 = ChannelLayerNorm(hidden_channels)
        self.proj = nn.Conv1d(hidden_channels, 1, 1)
        if cond_channels:
            self.cond = nn.Conv1d(cond_channels, in_channels, 1)
        if language_dim:
            self.cond_lang = nn.Conv1d(language_dim, in_channels, 1)

    def forward(
        self,
        x: Tensor,
        x_mask: Tensor,
        noise: Tensor | None = None,
        g: Tensor | None = None,
        lang_emb: Tensor | None = None,
    ) -> Tensor:
        if g is not None and hasattr(self, "cond"):
            x = x + self.cond(g)
        if lang_emb is not None and hasattr(self, "cond_lang"):
            x = x + self.cond_lang(lang_emb)
        x = self.norm_1(torch.relu(self.conv_1(x * x_mask)))
        x = self.norm_2(torch.relu(self.conv_2(x * x_mask)))
        return self.proj(x * x_mask) * x_mask
