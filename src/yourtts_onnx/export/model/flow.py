"""Residual coupling flow between the prior latent z_p and the acoustic latent z (run in reverse
at inference), and the posterior encoder that only training uses."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from yourtts_onnx.export.model.layers import WaveNet


class ResidualCouplingBlock(nn.Module):
    """Mean-only affine coupling: the first half of the channels shifts the second half."""

    def __init__(
        self,
        channels: int,
        hidden_channels: int,
        kernel_size: int,
        dilation_rate: int,
        num_layers: int,
        cond_channels: int = 0,
    ) -> None:
        super().__init__()
        self.half = channels // 2
        self.pre = nn.Conv1d(self.half, hidden_channels, 1)
        self.enc = WaveNet(
            hidden_channels, kernel_size, dilation_rate, num_layers, cond_channels=cond_channels
        )
        self.post = nn.Conv1d(hidden_channels, self.half, 1)

    def reverse(self, x: Tensor, x_mask: Tensor, g: Tensor | None) -> Tensor:
        x0, x1 = x[:, : self.half], x[:, self.half :]
        h = self.enc(self.pre(x0) * x_mask, x_mask, g=g)
        mean = self.post(h) * x_mask
        return torch.cat([x0, (x1 - mean) * x_mask], 1)


class ResidualCouplingBlocks(nn.Module):
    def __init__(
        self,
        channels: int,
        hidden_channels: int,
        kernel_size: int,
        dilation_rate: int,
        num_layers: int,
        num_flows: int = 4,
        cond_channels: int = 0,
    ) -> None:
        super().__init__()
        self.flows = nn.ModuleList(
            ResidualCouplingBlock(
                channels, hidden_channels, kernel_size, dilation_rate, num_layers, cond_channels
            )
            for _ in range(num_flows)
        )

    def reverse(self, x: Tensor, x_mask: Tensor, g: Tensor | None = None) -> Tensor:
        for flow in reversed(self.flows):
            x = flow.reverse(torch.flip(x, [1]), x_mask, g)
        return x


class PosteriorEncoder(nn.Module):
    """Linear spectrogram → latent z. Training-only; present so checkpoints load with strict=True."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int,
        kernel_size: int,
        dilation_rate: int,
        num_layers: int,
        cond_channels: int = 0,
    ) -> None:
        super().__init__()
        self.pre = nn.Conv1d(in_channels, hidden_channels, 1)
        self.enc = WaveNet(
            hidden_channels, kernel_size, dilation_rate, num_layers, cond_channels=cond_channels
        )
        self.proj = nn.Conv1d(hidden_channels, out_channels * 2, 1)
