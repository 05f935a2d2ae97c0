"""YourTTS for inference: a VITS model conditioned on a 512-d speaker embedding and a language id.

Sub-module and parameter names equal Coqui's state-dict keys (``text_encoder``, ``duration_predictor``,
``flow``, ``waveform_decoder``, ``posterior_encoder``, ``emb_l``), so a Coqui checkpoint loads with
``strict=True`` once training-only ``disc.*`` and ``speaker_encoder.*`` keys are dropped.

Everything in the inference path is written for export: noise scales are tensors, there is no
data-dependent Python control flow, and the stages are separate methods so that each can become
its own ONNX graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from yourtts_onnx.export.checkpoint_config import ModelArgs
from yourtts_onnx.export.model.alignment import expand_to_frames, frame_durations
from yourtts_onnx.export.model.decoder import HifiganGenerator
from yourtts_onnx.export.model.duration_predictor import DurationPredictor, StochasticDurationPredictor
from yourtts_onnx.export.model.flow import PosteriorEncoder, ResidualCouplingBlocks
from yourtts_onnx.export.model.layers import fold_weight_norm
from yourtts_onnx.export.model.text_encoder import TextEncoder


@dataclass
class TextEncoding:
    hidden: Tensor  # [B, C+L, T]
    m_p: Tensor  # [B, C, T]
    logs_p: Tensor  # [B, C, T]
    x_mask: Tensor  # [B, 1, T]
    lang_emb: Tensor | None  # [B, L, 1]


@dataclass
class Synthesis:
    waveform: Tensor  # [B, 1, N]
    output_lengths: Tensor  # [B] valid samples per item
    durations: Tensor  # [B, 1, T] frames per token


class YourTTS(nn.Module):
    def __init__(self, args: ModelArgs, num_languages: int) -> None:
        super().__init__()
        self.args = args
        self.hop_length = args.hop_length
        hidden, spk, lang = args.hidden_channels, args.speaker_dim, args.language_dim
        if lang:
            self.emb_l = nn.Embedding(num_languages, lang)
        self.text_encoder = TextEncoder(
            args.num_chars,
            hidden,
            hidden,
            args.hidden_channels_ffn_text_encoder,
            args.num_heads_text_encoder,
            args.num_layers_text_encoder,
            args.kernel_size_text_encoder,
            language_dim=lang,
        )
        self.posterior_encoder = PosteriorEncoder(
            args.out_channels,
            hidden,
            hidden,
            args.kernel_size_posterior_encoder,
            args.dilation_rate_posterior_encoder,
            args.num_layers_posterior_encoder,
            cond_channels=spk,
        )
        self.flow = ResidualCouplingBlocks(
            hidden,
            hidden,
            args.kernel_size_flow,
            args.dilation_rate_flow,
            args.num_layers_flow,
            cond_channels=spk,
        )
        dp_cond = spk if args.condition_dp_on_speaker else 0
        self.duration_predictor: nn.Module
        if args.use_sdp:
            self.duration_predictor = StochasticDurationPredictor(
                hidden, 192, 3, num_flows=4, cond_channels=dp_cond, language_dim=lang
            )
        else:
            self.duration_predictor = DurationPredictor(
                hidden, 256, 3, cond_channels=dp_cond, language_dim=lang
            )
        self.waveform_decoder = HifiganGenerator(
            hidden,
            args.resblock_type_decoder,
            args.resblock_dilation_sizes_decoder,
            args.resblock_kernel_sizes_decoder,
            args.upsample_kernel_sizes_decoder,
            args.upsample_initial_channel_decoder,
            args.upsample_rates_decoder,
            cond_channels=spk,
        )

    # ----------------------------------------------------------------- stages
    @staticmethod
    def speaker_condition(speaker_embedding: Tensor) -> Tensor:
        """L2-normalise the d-vector (as Coqui does inside inference): ``[B, D]`` → ``[B, D, 1]``."""
        return F.normalize(speaker_embedding, dim=1).unsqueeze(-1)

    def language_embedding(self, language_id: Tensor) -> Tensor | None:
        return self.emb_l(language_id).unsqueeze(-1) if hasattr(self, "emb_l") else None

    def encode_text(self, ids: Tensor, lengths: Tensor, language_id: Tensor) -> TextEncoding:
        lang_emb = self.language_embedding(language_id)
        hidden, m_p, logs_p, x_mask = self.text_encoder(ids, lengths, lang_emb)
        return TextEncoding(hidden, m_p, logs_p, x_mask, lang_emb)

    def predict_log_durations(
        self,
        hidden: Tensor,
        x_mask: Tensor,
        g: Tensor,
        lang_emb: Tensor | None,
        noise_scale_dp: Tensor,
        noise: Tensor | None = None,
    ) -> Tensor:
        """Log-durations ``[B, 1, T]``. ``noise``: standard-normal ``[B, 2, T]`` for the stochastic
        predictor (drawn here when None); it is scaled by ``noise_scale_dp``. The plain predictor ignores it."""
        g_dp = g if self.args.condition_dp_on_speaker else None
        if self.args.use_sdp:
            if noise is None:
                noise = torch.randn_like(hidden[:, :2, :])
            return self.duration_predictor(hidden, x_mask, noise * noise_scale_dp, g=g_dp, lang_emb=lang_emb)
        return self.duration_predictor(hidden, x_mask, g=g_dp, lang_emb=lang_emb)

    def sample_latent(self, m_p: Tensor, logs_p: Tensor, noise_scale: Tensor) -> Tensor:
        """``z_p = m_p + randn * exp(logs_p) * noise_scale``."""
        return m_p + torch.randn_like(m_p) * torch.exp(logs_p) * noise_scale

    def flow_reverse(self, z_p: Tensor, y_mask: Tensor, g: Tensor) -> Tensor:
        """The flow run backwards: sampled prior latent → acoustic latent ``z``, zero after each item's frames."""
        return self.flow.reverse(z_p, y_mask, g=g) * y_mask

    def decode(self, m_p: Tensor, logs_p: Tensor, y_mask: Tensor, g: Tensor, noise_scale: Tensor) -> Tensor:
        """Frame-level prior statistics → sampled z_p → flow reverse → HiFi-GAN waveform ``[B, 1, F*hop]``."""
        z = self.flow_reverse(self.sample_latent(m_p, logs_p, noise_scale), y_mask, g)
        return self.waveform_decoder(z, g=g)

    # ------------------------------------------------------------ end to end
    def synthesize(
        self, ids: Tensor, lengths: Tensor, scales: Tensor, speaker_embedding: Tensor, language_id: Tensor
    ) -> Synthesis:
        """``scales`` = [noise_scale, length_scale, noise_scale_dp] as a float tensor of shape [3]."""
        noise_scale, length_scale, noise_scale_dp = scales[0], scales[1], scales[2]
        g = self.speaker_condition(speaker_embedding)
        enc = self.encode_text(ids, lengths, language_id)
        logw = self.predict_log_durations(enc.hidden, enc.x_mask, g, enc.lang_emb, noise_scale_dp)
        w_ceil, y_lengths = frame_durations(logw, enc.x_mask, length_scale)
        m_p, logs_p, y_mask = expand_to_frames(w_ceil, y_lengths, enc.x_mask, enc.m_p, enc.logs_p)
        wav = self.decode(m_p, logs_p, y_mask, g, noise_scale)
        return Synthesis(wav, y_lengths * self.hop_length, w_ceil)

    def forward(
        self, ids: Tensor, lengths: Tensor, scales: Tensor, speaker_embedding: Tensor, language_id: Tensor
    ) -> tuple[Tensor, Tensor]:
        out = self.synthesize(ids, lengths, scales, speaker_embedding, language_id)
        return out.waveform, out.output_lengths

    def prepare_for_inference(self) -> YourTTS:
        """Fold weight norm into plain weights and switch to eval mode. Returns self."""
        fold_weight_norm(self)
        return self.eval()
