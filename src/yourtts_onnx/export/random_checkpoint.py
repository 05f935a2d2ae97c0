"""Write Coqui-format YourTTS checkpoints with random weights, built by our own code.

Used by the demo, tests and benchmarks: no released weights can be downloaded here. The layout is
exactly what Coqui ships (``config.json``, ``model_file.pth`` with ``{"model": state_dict}``,
``language_ids.json``, ``speakers.json``, ``config_se.json``, ``model_se.pth``), and like released
checkpoints the config records absolute paths from a "training machine".

By default the weights are **live**: the tensors Coqui's initialisation leaves at zero (or one) — the
flow's coupling projections, the stochastic duration predictor's spline projections and affine flows, the
layer norms' gains and biases — are drawn as training moves them, so the flow mixes frames and durations
depend on the text (tokens last about 1–6 frames at noise 0), like a trained checkpoint such as the released
YourTTS. ``live=False`` keeps Coqui's initialisation (the flow is the identity and, but for the affine flow's
shift, every token lasts the same time): what untrained-stage checks are tested on.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from yourtts_onnx.export.checkpoint_config import YourTTSConfig
from yourtts_onnx.export.model.layers import ChannelLayerNorm, ChannelLayerNorm2
from yourtts_onnx.export.model.yourtts import YourTTS
from yourtts_onnx.runtime.output_dir import install_output_dir, prepare_output_dir

# The released YourTTS character set (Coqui's VitsCharacters for the multilingual model).
YOURTTS_CHARACTERS = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    "¯·ßàáâãäæçèéêëìíîïñòóôõöùúûüÿāąćēęěīıłńōőœśūűźżǎǐǒǔ"
    "абвгдежзийклмнопрстуфхцчшщъыьэюяёєіїґ–!'(),-.:;? "
)
YOURTTS_PUNCTUATIONS = "!'(),-.:;? "
YOURTTS_LANGUAGES = ("en", "fr-fr", "pt-br")
TRAINING_ROOT = "/raid/coqui/Checkpoints"


@dataclass(frozen=True)
class ModelSize:
    hidden: int
    ffn: int
    heads: int
    encoder_layers: int
    posterior_layers: int
    flow_layers: int
    decoder_channels: int


SIZES: dict[str, ModelSize] = {
    # the same widths as the shared reference checkpoint
    "tiny": ModelSize(
        hidden=32, ffn=64, heads=2, encoder_layers=2, posterior_layers=2, flow_layers=2, decoder_channels=32
    ),
    # the demo's default: small enough to export and verify in seconds
    "small": ModelSize(
        hidden=64, ffn=128, heads=2, encoder_layers=2, posterior_layers=2, flow_layers=2, decoder_channels=64
    ),
    # released YourTTS
    "full": ModelSize(
        hidden=192,
        ffn=768,
        heads=2,
        encoder_layers=10,
        posterior_layers=16,
        flow_layers=4,
        decoder_channels=512,
    ),
}


def coqui_config(size: ModelSize, num_chars: int) -> dict[str, Any]:
    """A Coqui ``VitsConfig``-shaped dict for a YourTTS model of the given widths."""
    return {
        "model": "vits",
        "run_name": "yourtts-onnx-random",
        "audio": {
            "fft_size": 1024,
            "win_length": 1024,
            "hop_length": 256,
            "sample_rate": 16000,
            "num_mels": 80,
            "mel_fmin": 0.0,
            "mel_fmax": None,
            "do_trim_silence": True,
            "trim_db": 45,
        },
        "model_args": {
            "num_chars": num_chars,
            "out_channels": 513,
            "spec_segment_size": 32,
            "hidden_channels": size.hidden,
            "hidden_channels_ffn_text_encoder": size.ffn,
            "num_heads_text_encoder": size.heads,
            "num_layers_text_encoder": size.encoder_layers,
            "kernel_size_text_encoder": 3,
            "dropout_p_text_encoder": 0.1,
            "dropout_p_duration_predictor": 0.5,
            "kernel_size_posterior_encoder": 5,
            "dilation_rate_posterior_encoder": 1,
            "num_layers_posterior_encoder": size.posterior_layers,
            "kernel_size_flow": 5,
            "dilation_rate_flow": 1,
            "num_layers_flow": size.flow_layers,
            "resblock_type_decoder": "2",
            "resblock_kernel_sizes_decoder": [3, 7, 11],
            "resblock_dilation_sizes_decoder": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
            "upsample_rates_decoder": [8, 8, 2, 2],
            "upsample_initial_channel_decoder": size.decoder_channels,
            "upsample_kernel_sizes_decoder": [16, 16, 4, 4],
            "use_sdp": True,
            "noise_scale": 1.0,
            "inference_noise_scale": 0.667,
            "length_scale": 1,
            "noise_scale_dp": 1.0,
            "inference_noise_scale_dp": 1.0,
            "use_speaker_embedding": False,
            "use_d_vector_file": True,
            "d_vector_file": [f"{TRAINING_ROOT}/YourTTS/speakers.json"],
            "d_vector_dim": 512,
            "use_language_embedding": True,
            "embedded_language_dim": 4,
            "language_ids_file": f"{TRAINING_ROOT}/YourTTS/language_ids.json",
            "speaker_encoder_config_path": f"{TRAINING_ROOT}/SE/config_se.json",
            "speaker_encoder_model_path": f"{TRAINING_ROOT}/SE/model_se.pth.tar",
            "condition_dp_on_speaker": True,
            "encoder_sample_rate": None,
            "interpolate_z": True,
        },
        "languages": list(YOURTTS_LANGUAGES),
        "use_phonemes": False,
        "text_cleaner": "multilingual_cleaners",
        "characters": {
            "characters_class": "TTS.tts.models.vits.VitsCharacters",
            "vocab_dict": None,
            "pad": "_",
            "eos": "&",
            "bos": "*",
            "blank": None,
            "characters": YOURTTS_CHARACTERS,
            "punctuations": YOURTTS_PUNCTUATIONS,
            "phonemes": "",
            "is_unique": True,
            "is_sorted": True,
        },
        "add_blank": True,
        "d_vector_dim": 512,
        "use_d_vector_file": True,
    }


def speaker_encoder_config() -> dict[str, Any]:
    """Coqui's ``config_se.json`` for the H/ASP ResNet speaker encoder used by YourTTS."""
    return {
        "model": "speaker_encoder",
        "model_params": {
            "model_name": "resnet",
            "input_dim": 64,
            "proj_dim": 512,
            "use_torch_spec": True,
            "log_input": True,
        },
        "audio": {
            "fft_size": 512,
            "win_length": 400,
            "hop_length": 160,
            "frame_shift_ms": None,
            "frame_length_ms": None,
            "stft_pad_mode": "reflect",
            "sample_rate": 16000,
            "resample": False,
            "preemphasis": 0.97,
            "ref_level_db": 20,
            "do_sound_norm": False,
            "do_trim_silence": False,
            "trim_db": 60,
            "power": 1.5,
            "griffin_lim_iters": 60,
            "num_mels": 64,
            "mel_fmin": 0.0,
            "mel_fmax": 8000.0,
            "spec_gain": 20,
            "signal_norm": False,
            "min_level_db": -100,
            "symmetric_norm": False,
            "max_norm": 4.0,
            "clip_norm": False,
            "stats_path": None,
            "do_rms_norm": True,
            "db_level": -27.0,
        },
    }


def vocabulary_size() -> int:
    # [pad] + punctuations + characters + [blank], exactly as the vocabulary is laid out for YourTTS
    return 1 + len(YOURTTS_PUNCTUATIONS) + len(YOURTTS_CHARACTERS) + 1


#: standard deviations of the drawn tensors; the spline projections are drawn smaller than in the shared
#: ``yourtts-tiny-live`` (0.5), whose durations at full width would reach 100+ frames per token
LIVE_COUPLING_STD = 0.05  # flow.flows.*.post: small, as the couplings of a trained flow are
LIVE_SPLINE_STD = 0.1  # duration_predictor.(post_)flows.*.proj: text-dependent bins and slopes, 1-6 frames
LIVE_NORM_STD = 0.1  # layer norms: gamma ~ 1 + N(0, s), beta ~ N(0, s)


def _liven(model: YourTTS, generator: torch.Generator) -> None:
    """Draw the tensors Coqui's initialisation leaves at zero or one (see the module docstring)."""

    def draw(t: torch.Tensor, std: float, mean: float = 0.0) -> None:
        t.copy_(mean + std * torch.randn(t.shape, generator=generator))

    for block in model.flow.flows:
        draw(block.post.weight, LIVE_COUPLING_STD)
        draw(block.post.bias, LIVE_COUPLING_STD)
    dp = model.duration_predictor
    for flows in (getattr(dp, "flows", ()), getattr(dp, "post_flows", ())):
        for flow in list(flows)[1:]:
            draw(flow.proj.weight, LIVE_SPLINE_STD)
            draw(flow.proj.bias, LIVE_SPLINE_STD)
        if flows:
            draw(flows[0].log_scale, 0.02, 0.04)
            draw(flows[0].translation, 0.1)
    for module in model.modules():
        if isinstance(module, ChannelLayerNorm | ChannelLayerNorm2):
            draw(module.gamma, LIVE_NORM_STD, 1.0)
            draw(module.beta, LIVE_NORM_STD)


def random_yourtts(
    config: YourTTSConfig,
    num_languages: int,
    seed: int,
    frames_per_token: float = 2.5,
    *,
    live: bool = True,
) -> YourTTS:
    """A model with random weights: PyTorch's default initialisation, then Coqui's zeros for the flows' last
    layers, then (``live``) those drawn as training moves them. The duration predictor is shifted so that a
    token lasts about ``frames_per_token`` frames at noise 0 (text-dependently when live)."""
    torch.manual_seed(seed)
    model = YourTTS(config.model_args, num_languages)
    with torch.no_grad():
        for block in model.flow.flows:
            block.post.weight.zero_()
            block.post.bias.zero_()
        dp = model.duration_predictor
        if hasattr(dp, "flows"):
            for flow in list(dp.flows)[1:]:
                flow.proj.weight.zero_()
                flow.proj.bias.zero_()
        if live:
            _liven(model, torch.Generator().manual_seed(seed + 7))
        if hasattr(dp, "flows"):
            # reverse: log w = (z0 - translation) * exp(-log_scale), z0 = 0 at noise 0 before the splines
            dp.flows[0].translation[0] = -math.log(frames_per_token) * math.exp(
                float(dp.flows[0].log_scale[0])
            )
        else:
            dp.proj.bias.fill_(math.log(frames_per_token))
    return model


def random_speakers(count: int, dim: int, seed: int) -> dict[str, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, Any]] = {}
    names = ["random-en-1", "random-fr-1", "random-pt-1", "random-en-2"]
    for i in range(count):
        vec = rng.standard_normal(dim)
        vec /= np.linalg.norm(vec)
        out[f"clip_{i}.wav"] = {
            "name": names[i % len(names)] if i < len(names) else f"random-{i}",
            "embedding": vec.tolist(),
        }
    return out


def write_random_checkpoint(
    out_dir: str | Path,
    size: str = "small",
    *,
    seed: int = 1234,
    num_speakers: int = 4,
    with_speaker_encoder: bool = True,
    model_args: Mapping[str, Any] | None = None,
    live: bool = True,
) -> Path:
    """Write a Coqui-format YourTTS checkpoint directory with random weights; returns its path.

    ``model_args`` overrides fields of the config's ``model_args`` (another architecture: kernel sizes,
    dilations, upsampling...); ``live``: see :func:`random_yourtts`. The directory is assembled in
    a temporary sibling and renamed into place, so a failure leaves nothing.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    out = Path(out_dir)
    config_dict = coqui_config(SIZES[size], vocabulary_size())
    config_dict["model_args"].update(model_args or {})
    config = YourTTSConfig.from_dict(config_dict, "<random config>")
    model = random_yourtts(config, len(YOURTTS_LANGUAGES), seed, live=live)

    parent = prepare_output_dir(out, "checkpoint")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        (tmp / "config.json").write_text(
            json.dumps(config_dict, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        (tmp / "language_ids.json").write_text(
            json.dumps({name: i for i, name in enumerate(YOURTTS_LANGUAGES)}, indent=2), encoding="utf-8"
        )
        (tmp / "speakers.json").write_text(
            json.dumps(random_speakers(num_speakers, 512, seed)), encoding="utf-8"
        )
        torch.save(
            {"model": model.state_dict(), "config": config_dict, "step": 0, "epoch": 0},
            tmp / "model_file.pth",
        )
        if with_speaker_encoder:
            from yourtts_onnx.export.model.speaker_encoder import ResNetSpeakerEncoder
            from yourtts_onnx.export.speaker_encoder_config import SpeakerEncoderConfig

            se_config_dict = speaker_encoder_config()
            se_config = SpeakerEncoderConfig.from_dict(se_config_dict, "<random config_se>")
            torch.manual_seed(seed + 1)
            encoder = ResNetSpeakerEncoder.from_config(se_config).eval()
            (tmp / "config_se.json").write_text(json.dumps(se_config_dict, indent=2), encoding="utf-8")
            torch.save(
                {"model": encoder.state_dict(), "config": se_config_dict, "step": 0}, tmp / "model_se.pth"
            )
        install_output_dir(tmp, out, "checkpoint")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
