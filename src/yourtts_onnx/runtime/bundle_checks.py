"""Sanity checks on a bundle's ``config.json`` beyond its types: sizes, nesting, value ranges, file names.

:meth:`~.bundle.Bundle.open` runs these before anything uses the values, so a damaged or hostile config
(``sample_rate: 0``, ``hop_length: -1``, JSON nested 100 000 deep, a graph file ``../../etc/passwd``) is
refused at once with a :class:`BundleError` naming the field, instead of failing later inside synthesis or
the HTTP service. The limits live in :mod:`~.limits`.
"""

from __future__ import annotations

import math
from pathlib import Path, PurePosixPath
from typing import Any

from yourtts_onnx.errors import BundleError
from yourtts_onnx.runtime.limits import (
    MAX_CONFIG_BYTES,
    MAX_CONFIG_DEPTH,
    MAX_EMBEDDING_DIM,
    MAX_HOP_LENGTH,
    MAX_LENGTH_SCALE,
    MAX_NOISE_SCALE,
    MAX_REFERENCE_SECONDS,
    MAX_SAMPLE_RATE,
    MIN_LENGTH_SCALE,
    MIN_SAMPLE_RATE,
)

MAX_RECIPE_WINDOWS = 1000


def read_config_text(path: Path) -> str:
    """``config.json``'s text, refusing files over :data:`MAX_CONFIG_BYTES` before reading them."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BundleError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise BundleError(f"{path}: not a regular file")
    if size > MAX_CONFIG_BYTES:
        raise BundleError(
            f"{path}: {size} bytes, more than the {MAX_CONFIG_BYTES >> 20} MB a config may have"
        )
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot read ({exc.strerror or exc})") from None


def check_depth(value: Any, where: str, limit: int = MAX_CONFIG_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                raise BundleError(f"{where}: JSON nested deeper than {limit} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def int_in_range(value: int, low: int, high: int, where: str, field: str) -> int:
    if not low <= value <= high:
        raise BundleError(f"{where}: '{field}' must be from {low} to {high}, got {value}")
    return value


def number_in_range(value: float, low: float, high: float, where: str, field: str) -> float:
    if not math.isfinite(value) or not low <= value <= high:
        raise BundleError(
            f"{where}: '{field}' must be a finite number from {low:g} to {high:g}, got {value!r}"
        )
    return value


def check_audio(sample_rate: int, hop_length: int, where: str) -> None:
    int_in_range(sample_rate, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, where, "audio.sample_rate")
    int_in_range(hop_length, 1, min(MAX_HOP_LENGTH, sample_rate), where, "audio.hop_length")


def check_embedding_dim(dim: int, where: str) -> None:
    int_in_range(dim, 1, MAX_EMBEDDING_DIM, where, "speaker_embedding.dim")


def check_inference(noise_scale: float, length_scale: float, noise_scale_dp: float, where: str) -> None:
    number_in_range(noise_scale, 0.0, MAX_NOISE_SCALE, where, "inference.noise_scale")
    number_in_range(length_scale, MIN_LENGTH_SCALE, MAX_LENGTH_SCALE, where, "inference.length_scale")
    number_in_range(noise_scale_dp, 0.0, MAX_NOISE_SCALE, where, "inference.noise_scale_dp")


def check_languages(languages: dict[str, Any], where: str) -> None:
    for name, lang_id in languages.items():
        if not name.strip():
            raise BundleError(f"{where}: 'languages' has an empty name")
        if lang_id < 0:
            raise BundleError(f"{where}: language '{name}' has a negative id ({lang_id})")


def check_relative_file(name: str, where: str, field: str) -> str:
    """A file name inside the bundle directory: relative, no '..', not empty."""
    path = PurePosixPath(name.replace("\\", "/"))
    if not name or path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise BundleError(f"{where}: '{field}' must name a file inside the bundle, got {name!r}")
    return name


def check_recipe(recipe: Any, where: str) -> None:
    """The speaker encoder's windowing recipe: rates, window sizes and counts that fit in memory."""
    if not isinstance(recipe, dict):
        return  # the recipe parser names a missing or malformed recipe when cloning is first used
    rate = recipe.get("sample_rate")
    if isinstance(rate, int) and not isinstance(rate, bool):
        int_in_range(rate, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, where, "speaker_encoder.recipe.sample_rate")
        window = recipe.get("window_samples")
        if isinstance(window, int) and not isinstance(window, bool):
            longest = int(MAX_REFERENCE_SECONDS * rate)
            int_in_range(window, 1, longest, where, "speaker_encoder.recipe.window_samples")
    windows = recipe.get("num_windows")
    if isinstance(windows, int) and not isinstance(windows, bool):
        int_in_range(windows, 1, MAX_RECIPE_WINDOWS, where, "speaker_encoder.recipe.num_windows")
    for field in ("trim_frame_length", "trim_hop_length"):
        value = recipe.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            int_in_range(value, 1, MAX_HOP_LENGTH, where, f"speaker_encoder.recipe.{field}")
    for field, low, high in (("db_level", -99.0, 0.0), ("trim_db", 0.0, 200.0), ("min_seconds", 0.0, 60.0)):
        value = recipe.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number_in_range(float(value), low, high, where, f"speaker_encoder.recipe.{field}")
