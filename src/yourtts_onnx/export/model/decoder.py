"""HiFi-GAN generator: latent frames → waveform, conditioned on the speaker vector."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn
from torch.nn import functional as F

from yourtts_onnx.export.model.layers import weight_norm

LRELU_SLOPE = 0.1


def _same_padding(kernel_size: int, dilation: int) -> int:
    return (kernel_size * dilation - dilation) // 2


class ResBlock1(nn.Module):
    """Three (dilated conv, conv) pairs with leaky-ReLU and residual connections."""

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int]) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            weight_norm(
                nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=_same_padding(kernel_size, d))
            )
            for d in dilations[:3]
        )
        self.convs2 = nn.ModuleList(
            weight_norm(nn.Conv1d(channels, channels, kernel_size, padding=_same_padding(kernel_size, 1)))
            for _ in dilations[:3]
        )

    def forward(self, x: Tensor) -> Tensor:
        for c1, c2 in zip(self.convs1, self.convs2, strict=True):
            xt = c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE))
            x = x + xt
        return x


class ResBlock2(nn.Module):
    """Two dilated convs (the first two dilations) with leaky-ReLU and residual connections."""

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            weight_norm(
                nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=_same_padding(kernel_size, d))
            )
            for d in dilations[:2]
        )

    def forward(self, x: Tensor) -> Tensor:
        for conv in self.convs:
            x = x + conv(F.leaky_relu(x, LRELU_SLOPE))
        return x


class HifiganGenerator(nn.Module):
    def __init__(
        self,
        in_channels: int,
        resblock_type: str,
        resblock_dilation_sizes: Sequence[Sequence[int]],
        resblock_kernel_sizes: Sequence[int],
        upsample_kernel_sizes: Sequence[int],
        upsample_initial_channel: int,
        upsample_factors: Sequence[int],
        cond_channels: int = 0,
    ) -> None:
        super().__init__()
        self.num_kernels = len(resblock_kernel_sizes)
        self.num_upsamples = len(upsample_factors)
        self.conv_pre = nn.Conv1d(in_channels, upsample_initial_channel, 7, padding=3)
        block = ResBlock1 if resblock_type == "1" else ResBlock2
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_factors, upsample_kernel_sizes, strict=True)):
            c_in, c_out = upsample_initial_channel // 2**i, upsample_initial_channel // 2 ** (i + 1)
            self.ups.append(weight_norm(nn.ConvTranspose1d(c_in, c_out, k, u, padding=(k - u) // 2)))
            for ks, ds in zip(resblock_kernel_sizes, resblock_dilation_sizes, strict=True):
                self.resblocks.append(block(c_out, ks, ds))
        final = upsample_initial_channel // 2**self.num_upsamples
        self.conv_post = nn.Conv1d(final, 1, 7, padding=3, bias=False)
        if cond_channels:
            self.cond_layer = nn.Conv1d(cond_channels, upsample_initial_channel, 1)

    def forward(self, x: Tensor, g: Tensor | None = None) -> Tensor:
        o = self.conv_pre(x)
        if g is not None and hasattr(self, "cond_layer"):
            o = o + self.cond_layer(g)
        for i in range(self.num_upsamples):
            o = self.ups[i](F.leaky_relu(o, LRELU_SLOPE))
            acc = self.resblocks[i * self.num_kernels](o)
            for j in range(1, self.num_kernels):
                acc = acc + self.resblocks[i * self.num_kernels + j](o)
            o = acc / self.num_kernels
        # the last activation uses leaky_relu's default slope (0.01), as the reference does
        return self.conv_post(F.leaky_relu(o)).tanh()
