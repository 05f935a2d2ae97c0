"""Saved voices on disk (voice profiles): a speaker embedding cloned once, stored as files, and used by name
afterwards. The voice service over them is :class:`~yourtts_onnx.runtime.voices.Voices`.

A voice profile is two files in a voices directory:

* ``NAME.npy`` — the float32 ``[dim]`` embedding (``numpy.save`` format);
* ``NAME.json`` — ``{"format": "yourtts-onnx-voice", "format_version": 1, "name", "embedding": "NAME.npy",
  "dim", "created" (ISO-8601 UTC), "sources": [{"source", "sha256", "duration", "sample_rate"}],
  "recipe" (the EmbeddingRecipe used), "speaker_encoder_sha256" (of the graph that made it, or null),
  "label" (a display name, or null), "blend" (only for a saved blend: its expression)}``.

Both are written atomically, the JSON last, so a listed profile is always complete. The voices directory
is, in order: the ``voices_dir`` argument, ``$YOURTTS_ONNX_VOICES``, ``$XDG_DATA_HOME/yourtts-onnx/voices``,
``~/.local/share/yourtts-onnx/voices``. A profile is given by name (looked up there) or by the path of its
``.json`` (or of a bare ``.npy`` embedding).
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.atomic import atomic_write_bytes, check_writable
from yourtts_onnx.runtime.limits import MAX_EMBEDDING_DIM, MAX_PROFILE_BYTES
from yourtts_onnx.runtime.npy import read_float_npy
from yourtts_onnx.runtime.speaker_encoder import ClipInfo

logger = logging.getLogger(__name__)

VOICE_FORMAT = "yourtts-onnx-voice"
VOICE_FORMAT_VERSION = 1
ENV_VOICES = "YOURTTS_ONNX_VOICES"
#: A voice name: it can hold no path separator and cannot start with a dot, so it never leaves the directory.
VOICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def default_voices_dir() -> Path:
    """``$YOURTTS_ONNX_VOICES``, else ``$XDG_DATA_HOME/yourtts-onnx/voices`` (``~/.local/share`` by default)."""
    env = os.environ.get(ENV_VOICES)
    if env:
        return Path(env).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data_home) / "yourtts-onnx" / "voices"


def voices_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    return Path(directory).expanduser() if directory is not None else default_voices_dir()


def check_voice_name(name: str) -> str:
    if not isinstance(name, str) or not VOICE_NAME.match(name) or name.endswith((".json", ".npy")):
        raise InputError(
            f"invalid voice name {name!r}: use 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class VoiceProfile:
    """A saved voice: its embedding and where it came from."""

    name: str
    embedding: np.ndarray
    sources: tuple[ClipInfo, ...] = ()
    created: str = ""
    recipe: Mapping[str, Any] = field(default_factory=dict)
    speaker_encoder_sha256: str | None = None
    path: Path | None = None  # the JSON (or bare .npy) it was loaded from
    label: str | None = None  # a display name (the HTTP service's "name"); the file name is the id
    blend: str | None = None  # the blend expression it was mixed from ("a(2)+b(1)"), if any

    @property
    def dim(self) -> int:
        return int(self.embedding.shape[0])

    def metadata(self) -> dict[str, Any]:
        return {
            "format": VOICE_FORMAT,
            "format_version": VOICE_FORMAT_VERSION,
            "name": self.name,
            "embedding": f"{self.name}.npy",
            "dim": self.dim,
            "created": self.created,
            "sources": [c.to_dict() for c in self.sources],
            "recipe": dict(self.recipe),
            "speaker_encoder_sha256": self.speaker_encoder_sha256,
            "label": self.label,
            **({"blend": self.blend} if self.blend is not None else {}),
        }


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def profile_paths(name: str, directory: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    root = voices_dir(directory)
    check_voice_name(name)
    return root / f"{name}.json", root / f"{name}.npy"


def save_profile(
    profile: VoiceProfile, directory: str | os.PathLike[str] | None = None, *, overwrite: bool = False
) -> Path:
    """Write ``NAME.npy`` then ``NAME.json`` atomically into the voices directory; returns the JSON path."""
    json_path, npy_path = profile_paths(profile.name, directory)
    if json_path.exists() and not overwrite:
        raise InputError(
            f"voice '{profile.name}' already exists at {json_path}; choose another name or overwrite it"
        )
    emb = np.asarray(profile.embedding, dtype=np.float32)
    if emb.ndim != 1 or emb.size == 0 or not np.all(np.isfinite(emb)):
        raise InputError(
            f"voice '{profile.name}': the embedding must be a finite 1-D vector, got shape {emb.shape}"
        )
    try:
        json_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create voices directory '{json_path.parent}': {exc.strerror or exc}"
        ) from exc
    check_writable(json_path)
    buf = io.BytesIO()
    np.save(buf, emb, allow_pickle=False)
    existed = json_path.exists()
    atomic_write_bytes(npy_path, buf.getvalue())
    text = json.dumps(profile.metadata(), indent=2, ensure_ascii=False) + "\n"
    try:
        atomic_write_bytes(json_path, text.encode("utf-8"))
    except BaseException:
        if not existed:  # no orphan embedding without its profile
            npy_path.unlink(missing_ok=True)
        raise
    return json_path


def _load_npy(path: Path) -> np.ndarray:
    try:  # the header is checked (dtype, size) before anything is allocated
        emb = read_float_npy(path, max_elements=MAX_EMBEDDING_DIM)
    except ValueError as exc:
        raise InputError(f"voice embedding '{path}' cannot be read: {exc}") from None
    emb = np.asarray(emb, dtype=np.float32).reshape(-1) if emb.ndim == 2 and emb.shape[0] == 1 else emb
    if (
        emb.ndim != 1
        or emb.size == 0
        or not np.issubdtype(emb.dtype, np.floating)
        or not np.all(np.isfinite(emb))
    ):
        raise InputError(
            f"voice embedding '{path}' must hold a finite 1-D float vector, got shape {emb.shape}"
        )
    return np.asarray(emb, dtype=np.float32)


def load_profile_file(path: str | os.PathLike[str]) -> VoiceProfile:
    """Load a profile from its ``.json`` (or a bare ``.npy`` embedding, which has no metadata)."""
    p = Path(path)
    if p.suffix == ".npy" and not p.with_suffix(".json").is_file():
        if not p.is_file():
            raise InputError(f"voice file '{p}' not found")
        return VoiceProfile(name=p.stem, embedding=_load_npy(p), path=p)
    if p.suffix == ".npy":
        p = p.with_suffix(".json")
    if not p.is_file():
        raise InputError(f"voice file '{p}' not found")
    size = p.stat().st_size
    if size > MAX_PROFILE_BYTES:
        raise InputError(f"voice profile '{p}' is {size} bytes; at most {MAX_PROFILE_BYTES}")
    try:
        meta = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"voice profile '{p}' cannot be read: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != VOICE_FORMAT:
        raise InputError(
            f"voice profile '{p}' is not a yourtts-onnx voice (field 'format' is not '{VOICE_FORMAT}')"
        )
    version = meta.get("format_version")
    if not isinstance(version, int) or version > VOICE_FORMAT_VERSION:
        raise InputError(
            f"voice profile '{p}' has format_version {version!r}; this version reads {VOICE_FORMAT_VERSION}"
        )
    emb_name = meta.get("embedding")
    if not isinstance(emb_name, str) or os.path.basename(emb_name) != emb_name:
        raise InputError(f"voice profile '{p}': field 'embedding' must name a file beside it")
    emb = _load_npy(p.parent / emb_name)
    sources = []
    for s in meta.get("sources") or []:
        if isinstance(s, dict):
            sources.append(
                ClipInfo(
                    str(s.get("source", "")),
                    str(s.get("sha256", "")),
                    float(s.get("duration", 0.0)),
                    int(s.get("sample_rate", 0)),
                )
            )
    return VoiceProfile(
        name=str(meta.get("name") or p.stem),
        embedding=emb,
        sources=tuple(sources),
        created=str(meta.get("created", "")),
        recipe=dict(meta.get("recipe") or {}),
        speaker_encoder_sha256=meta.get("speaker_encoder_sha256"),
        path=p,
        label=meta["label"] if isinstance(meta.get("label"), str) and meta["label"] else None,
        blend=meta["blend"] if isinstance(meta.get("blend"), str) and meta["blend"] else None,
    )


def list_profiles(directory: str | os.PathLike[str] | None = None) -> list[VoiceProfile]:
    """Every readable profile in the voices directory, by name; unreadable ones are logged and skipped."""
    root = voices_dir(directory)
    if not root.is_dir():
        return []
    out = []
    for json_path in sorted(root.glob("*.json")):
        try:
            out.append(load_profile_file(json_path))
        except InputError as exc:
            logger.warning("skipping %s", exc)
    return out


def profile_names(directory: str | os.PathLike[str] | None = None) -> list[str]:
    root = voices_dir(directory)
    return sorted(p.stem for p in root.glob("*.json")) if root.is_dir() else []


def looks_like_path(voice: str | os.PathLike[str]) -> bool:
    s = os.fspath(voice)
    return os.sep in s or (os.altsep is not None and os.altsep in s) or s.endswith((".json", ".npy"))


def load_profile(
    voice: str | os.PathLike[str], directory: str | os.PathLike[str] | None = None
) -> VoiceProfile:
    """A profile by name (in the voices directory) or by path; the error lists the saved voices."""
    if isinstance(voice, os.PathLike) or looks_like_path(voice):
        return load_profile_file(voice)
    json_path = voices_dir(directory) / f"{voice}.json"
    if VOICE_NAME.match(voice) and json_path.is_file():
        return load_profile_file(json_path)
    names = profile_names(directory)
    listed = ", ".join(names) if names else "none"
    raise InputError(f"unknown voice '{voice}' (saved voices in {voices_dir(directory)}: {listed})")
