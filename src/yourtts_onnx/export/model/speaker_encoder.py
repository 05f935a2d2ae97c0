"""H/ASP ResNet speaker encoder (the one YourTTS uses), written to be exportable to ONNX.

Parameter and buffer names match Coqui's checkpoints (``model_se.pth``'s ``"model"``), so those
state dicts load with ``strict=True``. The behaviour follows Coqui's ``ResNetSpeakerEncoder`` with
``use_torch_spec=True`` (https://arxiv.org/abs/2009.14153); the front end is re-expressed with
ONNX-friendly operators:

* pre-emphasis: reflect-pad one sample on the left, then a 2-tap conv1d with the ``filter`` buffer;
* power spectrogram as torchaudio's ``Spectrogram(power=2)`` computes it (``center=True`` with
  reflect padding of ``n_fft // 2``, the ``win_length`` window centred inside ``n_fft``), but as a
  strided conv1d against a fixed real DFT basis multiplied by the ``window`` buffer — no
  ``torch.stft`` and no complex tensors;
* mel projection with the ``fb`` buffer ``[n_freqs, n_mels]``;
* ``log(x + 1e-6)`` when ``log_input``; an explicit instance norm over time (eps 1e-5, biased
  variance, no affine) instead of ``nn.InstanceNorm1d``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from yourtts_onnx.errors import CheckpointError
from yourtts_onnx.export.speaker_encoder_config import SpeakerEncoderConfig
from yourtts_onnx.export.torch_io import extract_state_dict, load_state_strict, load_torch_file

LAYERS = (3, 4, 6, 3)
NUM_FILTERS = (32, 64, 128, 256)
INSTANCE_NORM_EPS = 1e-5
LOG_EPS = 1e-6
ASP_VAR_FLOOR = 1e-5


# --------------------------------------------------------------------------------------------
# Front end
# --------------------------------------------------------------------------------------------


class PreEmphasis(nn.Module):
    """``y[n] = x[n] - coef * x[n-1]``, with ``x[-1]`` taken by reflection (i.e. ``x[1]``)."""

    filter: Tensor

    def __init__(self, coef: float) -> None:
        super().__init__()
        self.register_buffer("filter", torch.tensor([[[-coef, 1.0]]], dtype=torch.float32))

    def forward(self, x: Tensor) -> Tensor:  # [B, S] -> [B, S]
        padded = F.pad(x.unsqueeze(1), (1, 0), mode="reflect")
        return F.conv1d(padded, self.filter).squeeze(1)


def periodic_hamming(n: int) -> Tensor:
    """``torch.hamming_window(n)`` (periodic): ``0.54 - 0.46 cos(2 pi k / n)``."""
    k = torch.arange(n, dtype=torch.float64)
    return (0.54 - 0.46 * torch.cos(2.0 * math.pi * k / n)).to(torch.float32)


def htk_mel_filterbank(n_freqs: int, n_mels: int, sample_rate: int, f_min: float, f_max: float) -> Tensor:
    """Triangular HTK-mel filterbank ``[n_freqs, n_mels]`` without area normalisation.

    The layout torchaudio's ``MelScale`` uses (``mel = 2595 log10(1 + f / 700)``, bin centres at
    ``linspace(0, sr // 2, n_freqs)``). Only used to give a fresh module sensible buffers; loaded
    checkpoints bring their own ``fb``.
    """
    freqs = np.linspace(0.0, sample_rate // 2, n_freqs)
    m_lo, m_hi = (2595.0 * np.log10(1.0 + np.array([f_min, f_max]) / 700.0)).tolist()
    mel_pts = np.linspace(m_lo, m_hi, n_mels + 2)
    hz_pts = 700.0 * (10.0 ** (mel_pts / 2595.0) - 1.0)
    widths = np.diff(hz_pts)
    rel = hz_pts[None, :] - freqs[:, None]  # [n_freqs, n_mels + 2]
    rising = -rel[:, :-2] / widths[:-1]
    falling = rel[:, 2:] / widths[1:]
    fb = np.maximum(0.0, np.minimum(rising, falling))
    return torch.from_numpy(fb.astype(np.float32))


class ConvSpectrogram(nn.Module):
    """Power spectrogram ``|STFT|^2`` ``[B, n_fft // 2 + 1, 1 + S // hop]`` via conv1d.

    Frame ``t`` covers samples ``[t * hop - n_fft // 2, t * hop + n_fft // 2)`` of the reflect-padded
    signal; only the ``win_length`` samples where the (centred) window is non-zero are convolved,
    with the DFT phase referenced to the full ``n_fft`` frame.
    """

    window: Tensor
    cos_basis: Tensor
    sin_basis: Tensor

    def __init__(self, n_fft: int, win_length: int, hop_length: int) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.win_offset = (n_fft - win_length) // 2
        self.register_buffer("window", periodic_hamming(win_length))
        n_freqs = n_fft // 2 + 1
        k = torch.arange(n_freqs, dtype=torch.float64)[:, None]
        n = torch.arange(win_length, dtype=torch.float64)[None, :] + self.win_offset
        phase = 2.0 * math.pi * torch.remainder(k * n, n_fft) / n_fft
        # Not part of the checkpoint: derived constants, rebuilt on construction.
        self.register_buffer("cos_basis", torch.cos(phase).to(torch.float32), persistent=False)
        self.register_buffer("sin_basis", torch.sin(phase).to(torch.float32), persistent=False)

    def forward(self, x: Tensor) -> Tensor:  # [B, S] -> [B, F, T]
        half = self.n_fft // 2
        padded = F.pad(x.unsqueeze(1), (half, half), mode="reflect")
        # Drop the outer samples that only ever meet the zero part of the centred window.
        cut_right = self.n_fft - self.win_length - self.win_offset
        if self.win_offset > 0 or cut_right > 0:
            padded = padded[:, :, self.win_offset : (-cut_right if cut_right > 0 else None)]
        basis = torch.cat((self.cos_basis, self.sin_basis), dim=0) * self.window  # [2F, W]
        spec = F.conv1d(padded, basis.unsqueeze(1), stride=self.hop_length)  # [B, 2F, T]
        n_freqs = self.n_fft // 2 + 1
        re, im = spec[:, :n_freqs], spec[:, n_freqs:]
        return re * re + im * im


class MelScale(nn.Module):
    fb: Tensor

    def __init__(self, fb: Tensor) -> None:
        super().__init__()
        self.register_buffer("fb", fb)

    def forward(self, spec: Tensor) -> Tensor:  # [B, F, T] -> [B, M, T]
        return torch.matmul(spec.transpose(1, 2), self.fb).transpose(1, 2)


class MelSpectrogram(nn.Module):
    """Names its children ``spectrogram`` and ``mel_scale`` as torchaudio does (checkpoint keys)."""

    def __init__(self, sample_rate: int, n_fft: int, win_length: int, hop_length: int, n_mels: int) -> None:
        super().__init__()
        self.spectrogram = ConvSpectrogram(n_fft, win_length, hop_length)
        # torchaudio's MelSpectrogram as Coqui builds it: f_min 0, f_max sr/2, HTK scale, no norm.
        fb = htk_mel_filterbank(n_fft // 2 + 1, n_mels, sample_rate, 0.0, float(sample_rate // 2))
        self.mel_scale = MelScale(fb)

    def forward(self, x: Tensor) -> Tensor:
        return self.mel_scale(self.spectrogram(x))


# --------------------------------------------------------------------------------------------
# ResNet trunk
# --------------------------------------------------------------------------------------------


class SELayer(nn.Module):
    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction),
            nn.ReLU(),
            nn.Linear(channels // reduction, channels),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        gate = self.fc(x.mean(dim=(2, 3)))
        return x * gate.unsqueeze(-1).unsqueeze(-1)


class SEBasicBlock(nn.Module):
    """3x3 conv → ReLU → BN → 3x3 conv → BN → squeeze-excite, plus (projected) shortcut, ReLU."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.se = SELayer(out_ch)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn1(F.relu(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


def _make_stage(in_ch: int, out_ch: int, blocks: int, stride: int) -> nn.Sequential:
    downsample: nn.Module | None = None
    if stride != 1 or in_ch != out_ch:
        downsample = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm2d(out_ch),
        )
    layers: list[nn.Module] = [SEBasicBlock(in_ch, out_ch, stride, downsample)]
    layers += [SEBasicBlock(out_ch, out_ch) for _ in range(1, blocks)]
    return nn.Sequential(*layers)


class ResNetSpeakerEncoder(nn.Module):
    """Waveform ``[B, S]`` (float32, 16 kHz) → speaker embedding ``[B, proj_dim]``."""

    def __init__(
        self,
        input_dim: int = 64,
        proj_dim: int = 512,
        *,
        sample_rate: int = 16000,
        fft_size: int = 512,
        win_length: int = 400,
        hop_length: int = 160,
        preemphasis: float = 0.97,
        log_input: bool = True,
        encoder_type: str = "ASP",
        layers: tuple[int, ...] = LAYERS,
        num_filters: tuple[int, ...] = NUM_FILTERS,
    ) -> None:
        super().__init__()
        if encoder_type not in ("ASP", "SAP"):
            raise CheckpointError(f"unsupported speaker encoder pooling {encoder_type!r} (ASP or SAP)")
        if input_dim % 8 != 0:
            raise CheckpointError(f"speaker encoder input_dim must be a multiple of 8, got {input_dim}")
        self.input_dim = input_dim
        self.proj_dim = proj_dim
        self.log_input = log_input
        self.encoder_type = encoder_type
        self.sample_rate = sample_rate
        self.hop_length = hop_length

        self.conv1 = nn.Conv2d(1, num_filters[0], kernel_size=3, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(num_filters[0])
        self.layer1 = _make_stage(num_filters[0], num_filters[0], layers[0], 1)
        self.layer2 = _make_stage(num_filters[0], num_filters[1], layers[1], 2)
        self.layer3 = _make_stage(num_filters[1], num_filters[2], layers[2], 2)
        self.layer4 = _make_stage(num_filters[2], num_filters[3], layers[3], 2)

        self.torch_spec = nn.Sequential(
            PreEmphasis(preemphasis),
            MelSpectrogram(sample_rate, fft_size, win_length, hop_length, input_dim),
        )

        pooled = num_filters[3] * (input_dim // 8)
        self.attention = nn.Sequential(
            nn.Conv1d(pooled, 128, kernel_size=1),
            nn.ReLU(),
            nn.BatchNorm1d(128),
            nn.Conv1d(128, pooled, kernel_size=1),
            nn.Softmax(dim=2),
        )
        self.fc = nn.Linear(pooled * 2 if encoder_type == "ASP" else pooled, proj_dim)

    @classmethod
    def from_config(cls, config: SpeakerEncoderConfig, **widths: Any) -> ResNetSpeakerEncoder:
        """An untrained module shaped by ``config``: Coqui's default depth and widths, unless the config
        (``model_params.layers``/``num_filters``) or ``widths`` (the same keywords) say otherwise, e.g. for a
        micro test encoder."""
        if not config.use_torch_spec:
            raise CheckpointError(
                f"{config.source}: field 'model_params.use_torch_spec' is false; only encoders that "
                f"compute their spectrogram from the waveform (use_torch_spec: true) are supported"
            )
        a = config.audio
        if config.layers is not None:
            widths.setdefault("layers", config.layers)
        if config.num_filters is not None:
            widths.setdefault("num_filters", config.num_filters)
        return cls(
            config.input_dim,
            config.proj_dim,
            sample_rate=a.sample_rate,
            fft_size=a.fft_size,
            win_length=a.win_length,
            hop_length=a.hop_length,
            preemphasis=a.preemphasis,
            log_input=config.log_input,
            encoder_type=config.encoder_type,
            **widths,
        )

    @classmethod
    def from_checkpoint(
        cls,
        checkpoint: str | os.PathLike[str] | Mapping[str, Tensor],
        config: SpeakerEncoderConfig,
        *,
        trust: bool = False,
    ) -> ResNetSpeakerEncoder:
        """Build from ``config`` and load weights strictly, in eval mode.

        ``checkpoint`` is a path to a Coqui ``model_se.pth`` (a dict with a ``"model"`` state dict,
        or a bare state dict) or a state dict given directly. Files are read with
        ``weights_only=True`` unless ``trust`` (the CLI's ``--trust-checkpoint``) allows full
        unpickling.
        """
        model = cls.from_config(config)
        if isinstance(checkpoint, Mapping):
            state, source = checkpoint, "speaker encoder state dict"
        else:
            source = os.fspath(checkpoint)
            state = extract_state_dict(load_torch_file(source, trust=trust), source)
        load_state_strict(model, state, source)
        return model.eval()

    def front_end(self, audio: Tensor) -> Tensor:
        """Waveform ``[B, S]`` → normalised log-mel features ``[B, input_dim, 1 + S // hop]``."""
        x = self.torch_spec(audio)
        if self.log_input:
            x = torch.log(x + LOG_EPS)
        mean = x.mean(dim=-1, keepdim=True)
        centred = x - mean
        var = (centred * centred).mean(dim=-1, keepdim=True)
        return centred / torch.sqrt(var + INSTANCE_NORM_EPS)

    def forward(self, audio: Tensor, l2_norm: bool = True) -> Tensor:
        x = self.front_end(audio).unsqueeze(1)  # [B, 1, M, T]
        x = self.bn1(F.relu(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = x.flatten(1, 2)  # [B, C * M / 8, T / 8]
        w = self.attention(x)
        mu = torch.sum(x * w, dim=2)
        if self.encoder_type == "ASP":
            sg = torch.sqrt((torch.sum(x * x * w, dim=2) - mu * mu).clamp(min=ASP_VAR_FLOOR))
            pooled = torch.cat((mu, sg), dim=1)
        else:
            pooled = mu
        emb = self.fc(pooled)
        if l2_norm:
            emb = F.normalize(emb, p=2.0, dim=1)
        return emb


class SpeakerEncoderGraph(nn.Module):
    """Export wrapper: ``audio [B, S]`` → L2-normalised ``embedding [B, proj_dim]``.

    The TorchScript exporter turns defaulted forward arguments into traced tensor inputs; this
    wrapper fixes ``l2_norm=True`` so the graph has a single input.
    """

    def __init__(self, encoder: ResNetSpeakerEncoder) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, audio: Tensor) -> Tensor:
        return self.encoder(audio, l2_norm=True)
