"""Typed view of a Coqui speaker-encoder config (``config_se.json``).

The JSON is parsed once into frozen dataclasses; a missing or ill-typed field raises
:class:`~yourtts_onnx.errors.CheckpointError` naming the file and the dotted field path. Only the
fields the H/ASP ResNet encoder and its clip pipeline need are read; everything else is ignored.

This module imports no torch, so the runtime may use it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yourtts_onnx.errors import CheckpointError
from yourtts_onnx.export.config_fields import ConfigFields
from yourtts_onnx.runtime.speaker_windows import EmbeddingRecipe

SUPPORTED_MODELS = ("resnet",)
SUPPORTED_ENCODER_TYPES = ("ASP", "SAP")
# Coqui's compute_embedding cuts windows of 250 spectrogram frames (times hop_length in samples).
WINDOW_FRAMES = 250
NUM_WINDOWS = 10
MIN_CLIP_SECONDS = 0.5


@dataclass(frozen=True)
class SpeakerEncoderAudioConfig:
    """The ``audio`` section: STFT/mel front end and the clip loading options."""

    fft_size: int
    win_length: int
    hop_length: int
    sample_rate: int
    preemphasis: float
    num_mels: int
    mel_fmin: float
    mel_fmax: float | None
    do_trim_silence: bool
    trim_db: float
    do_rms_norm: bool
    db_level: float
    do_sound_norm: bool

    @classmethod
    def _from_fields(cls, r: ConfigFields) -> SpeakerEncoderAudioConfig:
        return cls(
            fft_size=r.int("fft_size", required=True, positive=True),
            win_length=r.int("win_length", required=True, positive=True),
            hop_length=r.int("hop_length", required=True, positive=True),
            sample_rate=r.int("sample_rate", required=True, positive=True),
            preemphasis=r.float("preemphasis", required=True),
            num_mels=r.int("num_mels", required=True, positive=True),
            mel_fmin=r.float("mel_fmin", required=True),
            mel_fmax=r.optional_float("mel_fmax"),
            do_trim_silence=r.bool("do_trim_silence", required=True),
            trim_db=r.float("trim_db", required=True),
            do_rms_norm=r.bool("do_rms_norm", required=True),
            db_level=r.float("db_level", required=True),
            do_sound_norm=r.bool("do_sound_norm", required=True),
        )


@dataclass(frozen=True)
class SpeakerEncoderConfig:
    """The parts of ``config_se.json`` that define the encoder and how clips are fed to it.

    ``model_name``..``encoder_type`` come from ``model_params``; ``audio`` from ``audio``.
    ``use_torch_spec`` and ``log_input`` default to false and ``encoder_type`` to ``"ASP"`` when
    absent, as in Coqui (which in fact never passes ``encoder_type`` on, so it always builds ASP).
    ``layers`` and ``num_filters`` (the ResNet's blocks and channels per stage, named as the arguments of
    Coqui's encoder) are this project's extension, for small test encoders: Coqui's configs do not carry
    them, and absent they are Coqui's fixed ``(3, 4, 6, 3)`` and ``(32, 64, 128, 256)``.
    """

    model_name: str
    input_dim: int
    proj_dim: int
    use_torch_spec: bool
    log_input: bool
    encoder_type: str
    audio: SpeakerEncoderAudioConfig
    source: str = "config_se.json"
    layers: tuple[int, ...] | None = None
    num_filters: tuple[int, ...] | None = None

    @classmethod
    def from_dict(cls, d: Any, source: str) -> SpeakerEncoderConfig:
        """Parse the decoded JSON object ``d``; ``source`` names the file in error messages."""
        root = ConfigFields(d, source)
        mp = root.child("model_params")
        model_name = mp.str("model_name", required=True)
        if model_name.lower() not in SUPPORTED_MODELS:
            raise CheckpointError(
                f"{source}: field 'model_params.model_name' is {model_name!r}; only the ResNet (H/ASP) "
                f"speaker encoder is supported (model_name 'resnet')"
            )
        encoder_type = mp.str("encoder_type", "ASP")
        if encoder_type not in SUPPORTED_ENCODER_TYPES:
            raise CheckpointError(
                f"{source}: field 'model_params.encoder_type' is {encoder_type!r}; "
                f"expected one of {', '.join(SUPPORTED_ENCODER_TYPES)}"
            )
        cfg = cls(
            model_name=model_name.lower(),
            input_dim=mp.int("input_dim", required=True, positive=True),
            proj_dim=mp.int("proj_dim", required=True, positive=True),
            use_torch_spec=mp.bool("use_torch_spec", False),
            log_input=mp.bool("log_input", False),
            encoder_type=encoder_type,
            audio=SpeakerEncoderAudioConfig._from_fields(root.child("audio")),
            source=source,
            layers=mp.int_list("layers") if "layers" in mp.data else None,
            num_filters=mp.int_list("num_filters") if "num_filters" in mp.data else None,
        )
        cfg._check(source)
        return cfg

    def _check(self, source: str) -> None:
        a = self.audio
        if self.input_dim % 8 != 0:
            raise CheckpointError(
                f"{source}: field 'model_params.input_dim' must be a multiple of 8, got {self.input_dim}"
            )
        if a.num_mels != self.input_dim:
            raise CheckpointError(
                f"{source}: field 'audio.num_mels' ({a.num_mels}) must equal "
                f"'model_params.input_dim' ({self.input_dim})"
            )
        if a.win_length > a.fft_size:
            raise CheckpointError(
                f"{source}: field 'audio.win_length' ({a.win_length}) exceeds 'audio.fft_size' ({a.fft_size})"
            )
        for name, value in (("layers", self.layers), ("num_filters", self.num_filters)):
            if value is not None and (len(value) != 4 or min(value) < 1):
                raise CheckpointError(
                    f"{source}: field 'model_params.{name}' must list 4 positive integers, got {list(value)}"
                )
        if a.do_rms_norm and not -99.0 <= a.db_level <= 0.0:
            raise CheckpointError(f"{source}: field 'audio.db_level' must be in [-99, 0], got {a.db_level}")


def recipe_from_config(config: SpeakerEncoderConfig) -> EmbeddingRecipe:
    """The torch-free clip → windows recipe that reproduces Coqui's ``compute_embedding_from_clip``."""
    if not config.use_torch_spec:
        raise CheckpointError(
            f"{config.source}: field 'model_params.use_torch_spec' is false; only encoders that compute "
            f"their own spectrogram from the waveform (use_torch_spec: true) are supported"
        )
    a = config.audio
    return EmbeddingRecipe(
        sample_rate=a.sample_rate,
        window_samples=WINDOW_FRAMES * a.hop_length,
        num_windows=NUM_WINDOWS,
        do_rms_norm=a.do_rms_norm,
        db_level=a.db_level,
        do_trim_silence=a.do_trim_silence,
        trim_db=a.trim_db,
        trim_frame_length=a.win_length,
        trim_hop_length=a.hop_length,
        do_sound_norm=a.do_sound_norm,
        min_seconds=MIN_CLIP_SECONDS,
    )
