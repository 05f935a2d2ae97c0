"""Find and load the checkpoint's speaker encoder: ``config_se.json`` + ``model_se.pth``, or the
``speaker_encoder.*`` keys that released YourTTS checkpoints also carry inside ``model_file.pth``."""

from __future__ import annotations

import logging

from yourtts_onnx.export.checkpoint import Checkpoint
from yourtts_onnx.export.checkpoint_config import read_json
from yourtts_onnx.export.model.speaker_encoder import ResNetSpeakerEncoder
from yourtts_onnx.export.speaker_encoder_config import SpeakerEncoderConfig, recipe_from_config
from yourtts_onnx.runtime.speaker_windows import EmbeddingRecipe

log = logging.getLogger(__name__)


def load_speaker_encoder(
    ckpt: Checkpoint, *, trust: bool = False
) -> tuple[ResNetSpeakerEncoder, EmbeddingRecipe] | None:
    """The eval-mode encoder and its clip-embedding recipe, or None when the checkpoint has neither
    a ``model_se.pth`` nor embedded ``speaker_encoder.*`` weights."""
    weights = ckpt.speaker_encoder_model_path or ckpt.speaker_encoder_state
    if weights is None:
        return None
    if ckpt.speaker_encoder_config_path is not None:
        config = SpeakerEncoderConfig.from_dict(
            read_json(ckpt.speaker_encoder_config_path), str(ckpt.speaker_encoder_config_path)
        )
    else:
        from yourtts_onnx.export.random_checkpoint import speaker_encoder_config

        log.warning(
            "%s: no config_se.json; assuming the standard YourTTS speaker-encoder config", ckpt.directory
        )
        config = SpeakerEncoderConfig.from_dict(speaker_encoder_config(), "<standard YourTTS config_se>")
    if ckpt.speaker_encoder_model_path is None:
        log.info(
            "%s: no model_se.pth; using the speaker_encoder.* keys of the main checkpoint", ckpt.directory
        )
    encoder = ResNetSpeakerEncoder.from_checkpoint(weights, config, trust=trust)
    return encoder, recipe_from_config(config)
