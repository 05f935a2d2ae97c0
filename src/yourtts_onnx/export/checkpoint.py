"""Load a Coqui YourTTS checkpoint directory into our own export-ready model.

A checkpoint directory holds ``config.json``, ``model_file.pth``, ``language_ids.json``,
``speakers.json`` (d-vectors: clip → {name, embedding}), and for cloning ``config_se.json`` and
``model_se.pth``. Paths recorded inside ``config.json`` point into the training machine; only their
file names are used, resolved beside ``config.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from yourtts_onnx.errors import CheckpointError
from yourtts_onnx.export.checkpoint_config import YourTTSConfig, read_json
from yourtts_onnx.export.model.yourtts import YourTTS
from yourtts_onnx.export.torch_io import extract_state_dict, load_state_strict, load_torch_file

log = logging.getLogger(__name__)

MODEL_FILE_NAMES = ("model_file.pth", "model_file.pth.tar", "model.pth", "best_model.pth", "checkpoint.pth")
SE_MODEL_FILE_NAMES = ("model_se.pth", "model_se.pth.tar")
DROPPED_PREFIXES = ("disc.", "speaker_encoder.")


@dataclass(frozen=True)
class Speaker:
    """A built-in speaker: the mean of its clips' d-vectors (as Coqui's speaker manager averages them)."""

    name: str
    embedding: np.ndarray  # float32 [D]
    clips: tuple[str, ...]


@dataclass
class Checkpoint:
    directory: Path
    config: YourTTSConfig
    model: YourTTS
    languages: dict[str, int]
    speakers: dict[str, Speaker]
    dropped_keys: dict[str, int]
    speaker_encoder_state: dict[str, torch.Tensor] | None = field(default=None, repr=False)
    speaker_encoder_config_path: Path | None = None
    speaker_encoder_model_path: Path | None = None

    @property
    def sample_rate(self) -> int:
        return self.config.audio.sample_rate


def resolve_beside(directory: Path, recorded: str | None, defaults: Iterable[str]) -> Path | None:
    """Find a file named in the config (by its base name) or under a default name, beside config.json."""
    candidates: list[str] = []
    if recorded:
        candidates.append(Path(recorded.replace("\\", "/")).name)
    candidates.extend(defaults)
    for name in candidates:
        path = directory / name
        if path.is_file():
            return path
    return None


def _modernise_weight_norm_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Checkpoints saved with the legacy ``weight_norm`` carry ``weight_g``/``weight_v``; rename them to
    the parametrisation keys (``original0`` = g, ``original1`` = v)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith(".weight_g"):
            key = key[: -len("weight_g")] + "parametrizations.weight.original0"
        elif key.endswith(".weight_v"):
            key = key[: -len("weight_v")] + "parametrizations.weight.original1"
        out[key] = value
    return out


def split_state_dict(
    state: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, int]]:
    """Separate the TTS weights from training-only ``disc.*`` and the embedded ``speaker_encoder.*``."""
    tts: dict[str, torch.Tensor] = {}
    speaker_encoder: dict[str, torch.Tensor] = {}
    dropped = dict.fromkeys(DROPPED_PREFIXES, 0)
    for key, value in state.items():
        if key.startswith("speaker_encoder."):
            speaker_encoder[key[len("speaker_encoder.") :]] = value
            dropped["speaker_encoder."] += 1
        elif key.startswith("disc."):
            dropped["disc."] += 1
        else:
            tts[key] = value
    return _modernise_weight_norm_keys(tts), speaker_encoder, dropped


def read_languages(path: Path | None, config: YourTTSConfig) -> dict[str, int]:
    if path is None:
        if config.languages:
            return {name: i for i, name in enumerate(sorted(config.languages))}
        raise CheckpointError(f"{config.source}: no language_ids.json beside it and no 'languages' list")
    data = read_json(path)
    if not isinstance(data, dict) or not data:
        raise CheckpointError(f"{path}: expected a non-empty JSON object mapping language names to ids")
    for name, idx in data.items():
        if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0:
            raise CheckpointError(
                f"{path}: language '{name}' has id {idx!r}; ids must be non-negative integers"
            )
    ids = sorted(data.values())
    if ids != list(range(len(ids))):
        raise CheckpointError(f"{path}: language ids must be 0..{len(ids) - 1} without gaps, got {ids}")
    return dict(data)


def read_speakers(path: Path | None, dim: int) -> dict[str, Speaker]:
    """Parse a Coqui d-vector file (``clip → {name, embedding}``); speakers are averaged over their clips."""
    if path is None:
        return {}
    data = read_json(path)
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: expected a JSON object mapping clip names to {{name, embedding}}")
    grouped: dict[str, list[tuple[str, np.ndarray]]] = {}
    for clip, entry in data.items():
        if not isinstance(entry, dict) or "name" not in entry or "embedding" not in entry:
            raise CheckpointError(f"{path}: entry '{clip}' must have 'name' and 'embedding'")
        emb = np.asarray(entry["embedding"], dtype=np.float64)
        if emb.shape != (dim,) or not np.all(np.isfinite(emb)):
            raise CheckpointError(
                f"{path}: entry '{clip}' has an embedding of shape {list(emb.shape)}, expected [{dim}] finite numbers"
            )
        grouped.setdefault(str(entry["name"]), []).append((clip, emb))
    return {
        name: Speaker(
            name=name,
            embedding=np.mean([e for _, e in items], axis=0).astype(np.float32),
            clips=tuple(c for c, _ in items),
        )
        for name, items in grouped.items()
    }


def build_model(config: YourTTSConfig, num_languages: int) -> YourTTS:
    return YourTTS(config.model_args, num_languages)


def load_checkpoint(directory: str | Path, *, trust: bool = False) -> Checkpoint:
    """Read a Coqui YourTTS checkpoint directory into an eval-mode :class:`YourTTS` with folded weight norm."""
    directory = Path(directory)
    if not directory.exists():
        raise CheckpointError(f"{directory}: checkpoint directory not found")
    if not directory.is_dir():
        raise CheckpointError(
            f"{directory}: not a directory (pass the checkpoint directory holding config.json)"
        )
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise CheckpointError(f"{directory}: no config.json (is this a Coqui YourTTS checkpoint directory?)")
    config = YourTTSConfig.from_file(config_path)

    model_path = resolve_beside(directory, None, MODEL_FILE_NAMES)
    if model_path is None:
        raise CheckpointError(f"{directory}: no model weights ({' or '.join(MODEL_FILE_NAMES[:2])})")
    languages = read_languages(
        resolve_beside(directory, config.language_ids_file, ["language_ids.json"]), config
    )
    dvec_recorded = config.d_vector_files[0] if config.d_vector_files else None
    speakers = read_speakers(
        resolve_beside(directory, dvec_recorded, ["speakers.json"]), config.model_args.d_vector_dim
    )

    tts_state, se_state, dropped = split_state_dict(
        extract_state_dict(load_torch_file(model_path, trust=trust), model_path)
    )
    model = build_model(config, len(languages))
    load_state_strict(model, tts_state, str(model_path))
    model.prepare_for_inference()
    log.info(
        "loaded %s: %d tensors; dropped %d disc.* and %d speaker_encoder.* keys",
        model_path,
        len(tts_state),
        dropped["disc."],
        dropped["speaker_encoder."],
    )
    return Checkpoint(
        directory=directory,
        config=config,
        model=model,
        languages=languages,
        speakers=speakers,
        dropped_keys=dropped,
        speaker_encoder_state=se_state or None,
        speaker_encoder_config_path=resolve_beside(
            directory, config.speaker_encoder_config_path, ["config_se.json"]
        ),
        speaker_encoder_model_path=resolve_beside(
            directory, config.speaker_encoder_model_path, SE_MODEL_FILE_NAMES
        ),
    )
