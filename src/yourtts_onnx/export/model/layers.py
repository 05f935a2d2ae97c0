"""Building blocks shared by the YourTTS sub-networks: masks, channel-first layer norms, WaveNet."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils import parametrizations, parametrize


def sequence_mask(lengths: Tensor, max_length: Tensor | int | None = None) -> Tensor:
    """``mask[b, t] = t < lengths[b]`` as a bool tensor ``[B, T]``; T defaults to ``max(lengths)``."""
    if max_length is None:
        max_length = lengths.max()
    steps = torch.arange(max_length, device=lengths.device, dtype=lengths.dtype)
    return steps.unsqueeze(0) < lengths.unsqueeze(1)


def weight_norm(module: nn.Module) -> nn.Module:
    """Weight normalisation as a parametrisation, so state-dict keys read
    ``parametrizations.weight.original0/1`` exactly like Coqui's current checkpoints."""
    return parametrizations.weight_norm(module)


def fold_weight_norm(model: nn.Module) -> int:
    """Replace every weight-norm parametrisation by its plain weight; returns how many were folded."""
    folded = 0
    for module in model.modules():
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
            folded += 1
    return folded


class ChannelLayerNorm(nn.Module):
    """Layer norm over the channel axis of ``[B, C, T]`` with ``gamma``/``beta`` and eps 1e-4
    (the normaliser used by the plain duration predictor)."""

    def __init__(self, channels: int, eps: float = 1e-4) -> None:
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        mean = x.mean(dim=1, keepdim=True)
        var = (x - mean).pow(2).mean(dim=1, keepdim=True)
        x = (x - mean) * torch.rsqrt(var + self.eps)
        return x * self.gamma.view(1, -1, 1) + self.beta.view(1, -1, 1)


class ChannelLayerNorm2(nn.Module):
    """Layer norm over channels computed by ``F.layer_norm`` on the transposed tensor (eps 1e-5);
    used by the transformer and the depth-separable convolutions."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.channels = channels
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        x = F.layer_norm(x.transpose(1, -1), (self.channels,), self.gamma, self.beta, self.eps)
        return x.transpose(1, -1)


class WaveNet(nn.Module):
    """Non-causal WaveNet stack with gated tanh/sigmoid units and global conditioning
    (the ``enc`` of the posterior encoder and of every flow coupling layer)."""

    def __init__(
        self,
        hidden_channels: int,
        kernel_size: int,
        dilation_rate: int,
        num_layers: int,
        cond_channels: int = 0,
    ) -> None:
        super().__init__()
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.in_layers = nn.ModuleList()
        self.res_skip_layers = nn.ModuleList()
        if cond_channels > 0:
            self.cond_layer = weight_norm(nn.Conv1d(cond_channels, 2 * hidden_channels * num_layers, 1))
        for i in range(num_layers):
            dilation = dilation_rate**i
            padding = (kernel_size * dilation - dilation) // 2
            self.in_layers.append(
                weight_norm(
                    nn.Conv1d(
                        hidden_channels, 2 * hidden_channels, kernel_size, dilation=dilation, padding=padding
                    )
                )
            )
            out = 2 * hidden_channels if i < num_layers - 1 else hidden_channels
            self.res_skip_layers.append(weight_norm(nn.Conv1d(hidden_channels, out, 1)))

    def forward(self, x: Tensor, x_mask: Tensor, g: Tensor | None = None) -> Tensor:
        h = self.hidden_channels
        output = torch.zeros_like(x)
        cond = self.cond_layer(g) if g is not None and hasattr(self, "cond_layer") else None
        for i in range(self.num_layers):
            x_in = self.in_layers[i](x)
            if cond is not None:
                x_in = x_in + cond[:, i * 2 * h : (i + 1) * 2 * h, :]
            acts = torch.tanh(x_in[:, :h, :]) * torch.sigmoid(x_in[:, h:, :])
            res_skip = self.res_skip_layers[i](acts)
            if i < self.num_layers - 1:
                x = (x + res_skip[:, :h, :]) * x_mask
                output = output + res_skip[:, h:, :]
            else:
                output = output + res_skip
        return output * x_mask
