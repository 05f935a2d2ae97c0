"""Typed view of a Coqui YourTTS ``config.json``, parsed once at the edge.

Only the fields that shape the network and its inference are kept. Everything else in Coqui's
training config (optimiser, datasets, loggers...) is ignored. Field errors name the file and field.
"""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yourtts_onnx.errors import CheckpointError
from yourtts_onnx.export.config_fields import ConfigFields
from yourtts_onnx.runtime.limits import MAX_CHECKPOINT_JSON_BYTES


@dataclass(frozen=True)
class ModelArgs:
    """The network's shape: Coqui's ``VitsArgs`` fields that inference depends on."""

    num_chars: int
    out_channels: int
    hidden_channels: int
    hidden_channels_ffn_text_encoder: int
    num_heads_text_encoder: int
    num_layers_text_encoder: int
    kernel_size_text_encoder: int
    kernel_size_posterior_encoder: int
    dilation_rate_posterior_encoder: int
    num_layers_posterior_encoder: int
    kernel_size_flow: int
    dilation_rate_flow: int
    num_layers_flow: int
    resblock_type_decoder: str
    resblock_kernel_sizes_decoder: tuple[int, ...]
    resblock_dilation_sizes_decoder: tuple[tuple[int, ...], ...]
    upsample_rates_decoder: tuple[int, ...]
    upsample_initial_channel_decoder: int
    upsample_kernel_sizes_decoder: tuple[int, ...]
    use_sdp: bool
    inference_noise_scale: float
    length_scale: float
    inference_noise_scale_dp: float
    use_speaker_embedding: bool
    use_d_vector_file: bool
    d_vector_dim: int
    use_language_embedding: bool
    embedded_language_dim: int
    condition_dp_on_speaker: bool
    encoder_sample_rate: int | None = None

    @property
    def speaker_dim(self) -> int:
        """Channels of the global conditioning vector g (the d-vector)."""
        return self.d_vector_dim if self.use_d_vector_file else 0

    @property
    def language_dim(self) -> int:
        return self.embedded_language_dim if self.use_language_embedding else 0

    @property
    def hop_length(self) -> int:
        return math.prod(self.upsample_rates_decoder)

    @classmethod
    def parse(cls, f: ConfigFields) -> ModelArgs:
        args = cls(
            num_chars=f.int("num_chars", required=True),
            out_channels=f.int("out_channels", 513),
            hidden_channels=f.int("hidden_channels", 192),
            hidden_channels_ffn_text_encoder=f.int("hidden_channels_ffn_text_encoder", 768),
            num_heads_text_encoder=f.int("num_heads_text_encoder", 2),
            num_layers_text_encoder=f.int("num_layers_text_encoder", 6),
            kernel_size_text_encoder=f.int("kernel_size_text_encoder", 3),
            kernel_size_posterior_encoder=f.int("kernel_size_posterior_encoder", 5),
            dilation_rate_posterior_encoder=f.int("dilation_rate_posterior_encoder", 1),
            num_layers_posterior_encoder=f.int("num_layers_posterior_encoder", 16),
            kernel_size_flow=f.int("kernel_size_flow", 5),
            dilation_rate_flow=f.int("dilation_rate_flow", 1),
            num_layers_flow=f.int("num_layers_flow", 4),
            resblock_type_decoder=f.str("resblock_type_decoder", "1"),
            resblock_kernel_sizes_decoder=f.int_list("resblock_kernel_sizes_decoder", [3, 7, 11]),
            resblock_dilation_sizes_decoder=f.int_list_list(
                "resblock_dilation_sizes_decoder", [[1, 3, 5], [1, 3, 5], [1, 3, 5]]
            ),
            upsample_rates_decoder=f.int_list("upsample_rates_decoder", [8, 8, 2, 2]),
            upsample_initial_channel_decoder=f.int("upsample_initial_channel_decoder", 512),
            upsample_kernel_sizes_decoder=f.int_list("upsample_kernel_sizes_decoder", [16, 16, 4, 4]),
            use_sdp=f.bool("use_sdp", True),
            inference_noise_scale=f.float("inference_noise_scale", 0.667),
            length_scale=f.float("length_scale", 1.0),
            inference_noise_scale_dp=f.float("inference_noise_scale_dp", 1.0),
            use_speaker_embedding=f.bool("use_speaker_embedding", False),
            use_d_vector_file=f.bool("use_d_vector_file", False),
            d_vector_dim=f.int("d_vector_dim", 0),
            use_language_embedding=f.bool("use_language_embedding", False),
            embedded_language_dim=f.int("embedded_language_dim", 4),
            condition_dp_on_speaker=f.bool("condition_dp_on_speaker", True),
            encoder_sample_rate=f.data.get("encoder_sample_rate"),
        )
        args.validate(f.source)
        return args

    def validate(self, source: str) -> None:
        where = f"{source}: model_args"
        if self.resblock_type_decoder not in ("1", "2"):
            raise CheckpointError(
                f"{where}.resblock_type_decoder must be '1' or '2', got {self.resblock_type_decoder!r}"
            )
        if len(self.upsample_rates_decoder) != len(self.upsample_kernel_sizes_decoder):
            raise CheckpointError(
                f"{where}: upsample_rates_decoder and upsample_kernel_sizes_decoder differ in length"
            )
        if len(self.resblock_kernel_sizes_decoder) != len(self.resblock_dilation_sizes_decoder):
            raise CheckpointError(
                f"{where}: resblock_kernel_sizes_decoder and resblock_dilation_sizes_decoder differ in length"
            )
        if self.use_speaker_embedding:
            raise CheckpointError(
                f"{where}.use_speaker_embedding is true: speaker-id models are not YourTTS; "
                "only d-vector (use_d_vector_file) conditioning is supported"
            )
        if not self.use_d_vector_file or self.d_vector_dim <= 0:
            raise CheckpointError(f"{where}: YourTTS needs use_d_vector_file=true and d_vector_dim > 0")
        if self.encoder_sample_rate:
            raise CheckpointError(
                f"{where}.encoder_sample_rate is set: z-upsampling models are not supported"
            )
        if (
            self.hidden_channels % 2
            or (self.hidden_channels + self.language_dim) % self.num_heads_text_encoder
        ):
            raise CheckpointError(f"{where}: hidden_channels does not split into the attention heads")


@dataclass(frozen=True)
class AudioConfig:
    sample_rate: int
    hop_length: int
    fft_size: int
    win_length: int

    @classmethod
    def parse(cls, f: ConfigFields) -> AudioConfig:
        return cls(
            sample_rate=f.int("sample_rate", required=True),
            hop_length=f.int("hop_length", required=True),
            fft_size=f.int("fft_size", 1024),
            win_length=f.int("win_length", 1024),
        )


@dataclass(frozen=True)
class CharactersConfig:
    """Coqui's ``characters`` section as written in the checkpoint (the vocabulary's raw material)."""

    characters: str
    punctuations: str
    pad: str | None
    eos: str | None
    bos: str | None
    blank: str | None
    characters_class: str | None
    raw: dict[str, Any] = field(compare=False, repr=False, default_factory=dict)

    @classmethod
    def parse(cls, f: ConfigFields) -> CharactersConfig:
        return cls(
            characters=f.str("characters", required=True),
            punctuations=f.str("punctuations", ""),
            pad=f.optional_str("pad"),
            eos=f.optional_str("eos"),
            bos=f.optional_str("bos"),
            blank=f.optional_str("blank"),
            characters_class=f.optional_str("characters_class"),
            raw=dict(f.data),
        )


@dataclass(frozen=True)
class YourTTSConfig:
    """Everything we need from a Coqui YourTTS ``config.json``."""

    model_args: ModelArgs
    audio: AudioConfig
    characters: CharactersConfig
    text_cleaner: str
    add_blank: bool
    use_phonemes: bool
    languages: tuple[str, ...]
    d_vector_files: tuple[str, ...]
    language_ids_file: str | None
    speaker_encoder_config_path: str | None
    speaker_encoder_model_path: str | None
    source: str

    @classmethod
    def from_dict(cls, data: Any, source: str) -> YourTTSConfig:
        root = ConfigFields(data, source)
        model = root.str("model", "vits")
        if model != "vits":
            raise CheckpointError(
                f"{source}: field 'model' is {model!r}; only Coqui 'vits' (YourTTS) is supported"
            )
        margs_f = root.child("model_args")
        model_args = ModelArgs.parse(margs_f)
        audio = AudioConfig.parse(root.child("audio"))
        if audio.hop_length != model_args.hop_length:
            raise CheckpointError(
                f"{source}: audio.hop_length {audio.hop_length} != product of model_args.upsample_rates_decoder "
                f"({model_args.hop_length})"
            )
        use_phonemes = root.bool("use_phonemes", False)
        if use_phonemes:
            raise CheckpointError(
                f"{source}: use_phonemes is true; only character-input YourTTS models are supported"
            )
        raw_dvec = margs_f.data.get("d_vector_file", root.data.get("d_vector_file"))
        if isinstance(raw_dvec, str):
            d_vector_files: tuple[str, ...] = (raw_dvec,)
        elif isinstance(raw_dvec, list) and all(isinstance(p, str) for p in raw_dvec):
            d_vector_files = tuple(raw_dvec)
        elif raw_dvec is None:
            d_vector_files = ()
        else:
            raise CheckpointError(
                f"{source}: field 'model_args.d_vector_file' must be a path or a list of paths"
            )
        languages_raw = root.data.get("languages") or []
        if not isinstance(languages_raw, list) or not all(isinstance(x, str) for x in languages_raw):
            raise CheckpointError(f"{source}: field 'languages' must be a list of strings")
        return cls(
            model_args=model_args,
            audio=audio,
            characters=CharactersConfig.parse(root.child("characters")),
            text_cleaner=root.str("text_cleaner", "multilingual_cleaners"),
            add_blank=root.bool("add_blank", True),
            use_phonemes=use_phonemes,
            languages=tuple(languages_raw),
            d_vector_files=d_vector_files,
            language_ids_file=margs_f.optional_str("language_ids_file")
            or root.optional_str("language_ids_file"),
            speaker_encoder_config_path=margs_f.optional_str("speaker_encoder_config_path"),
            speaker_encoder_model_path=margs_f.optional_str("speaker_encoder_model_path"),
            source=source,
        )

    @classmethod
    def from_file(cls, path: Path) -> YourTTSConfig:
        return cls.from_dict(read_json(path), str(path))


def read_json(path: Path) -> Any:
    """Read a JSON file, turning every failure into a one-line CheckpointError naming the file; only a regular
    file within :data:`~yourtts_onnx.runtime.limits.MAX_CHECKPOINT_JSON_BYTES` is read."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: file not found") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{path}: not a regular file")
    if st.st_size > MAX_CHECKPOINT_JSON_BYTES:
        raise CheckpointError(f"{path}: {st.st_size} bytes; at most {MAX_CHECKPOINT_JSON_BYTES} are read")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointError(f"{path}: file not found") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise CheckpointError(f"{path}: not UTF-8 text") from None
    try:
        # Coqui writes `Infinity` for unbounded lengths; Python's json accepts it.
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(
            f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
