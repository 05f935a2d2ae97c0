"""Voices the server knows: the bundle's built-in speakers and cloned voices saved in a directory.

Saved voices are the runtime's voice profiles (``ID.npy`` + ``ID.json``, written atomically by
:func:`yourtts_onnx.runtime.voices.save_profile`), so ``yourtts-onnx synth --voice ID`` uses them too.
The human-readable name the client gave lives beside them in ``.server/ID.json`` (written first, so a
listed voice always has it; a missing one falls back to the id).

Ids the server creates match :data:`VOICE_ID` (lower-case, no dots); lookups also accept the names the
CLI saves (:data:`LOOKUP_ID`). Neither can hold a path separator or start with a dot, so no id can name
a file outside the directory.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.atomic import atomic_write_bytes
from yourtts_onnx.runtime.speaker_encoder import ClipInfo, Cloned
from yourtts_onnx.runtime.voices import VoiceProfile, list_profiles, load_profile_file, now_utc, save_profile

VOICE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LOOKUP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LABELS_DIR = ".server"
MAX_NAME_CHARS = 100


class VoiceNotFoundError(InputError):
    """No built-in speaker or saved voice by that id; the message lists what exists."""


class VoiceExistsError(InputError):
    """A voice with that id exists already."""


class BuiltinVoiceError(InputError):
    """Built-in speakers cannot be changed or deleted."""


@dataclass(frozen=True)
class VoiceRecord:
    id: str
    name: str
    builtin: bool
    embedding: np.ndarray
    created: str | None = None
    sources: tuple[ClipInfo, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "builtin": self.builtin,
            "created": self.created,
            "sources": [
                {"sha256": c.sha256, "duration": c.duration, "sample_rate": c.sample_rate}
                for c in self.sources
            ],
        }


def check_voice_id(voice_id: str) -> str:
    if not isinstance(voice_id, str) or not VOICE_ID.match(voice_id):
        raise InputError(
            f"invalid voice id {voice_id!r}: use 1-64 lower-case letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    return voice_id


def slugify(name: str) -> str:
    """A voice id from a name: ASCII, lower-case, runs of other characters as one '-'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9_]+", "-", ascii_name).strip("-_")
    return slug[:48] or "voice"


class VoiceStore:
    """Built-in speakers (read-only) and saved voices in ``directory``."""

    def __init__(self, directory: Path, builtin: Callable[[], Mapping[str, np.ndarray]]) -> None:
        self.directory = Path(directory)
        self._builtin = builtin
        self._lock = threading.Lock()

    # -- reading ----------------------------------------------------------------------------------

    def builtin_ids(self) -> list[str]:
        return list(self._builtin())

    def saved_ids(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        builtin = set(self._builtin())
        return sorted(
            p.stem for p in self.directory.glob("*.json") if LOOKUP_ID.match(p.stem) and p.stem not in builtin
        )

    def _label(self, voice_id: str) -> str:
        try:
            meta = json.loads((self.directory / LABELS_DIR / f"{voice_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return voice_id
        name = meta.get("name") if isinstance(meta, dict) else None
        return name if isinstance(name, str) and name else voice_id

    def _record(self, profile: VoiceProfile, voice_id: str) -> VoiceRecord:
        return VoiceRecord(
            id=voice_id,
            name=self._label(voice_id),
            builtin=False,
            embedding=profile.embedding,
            created=profile.created or None,
            sources=tuple(profile.sources),
        )

    def list(self) -> list[VoiceRecord]:
        builtin = self._builtin()
        out = [VoiceRecord(id=name, name=name, builtin=True, embedding=emb) for name, emb in builtin.items()]
        for profile in list_profiles(self.directory):
            voice_id = profile.path.stem if profile.path is not None else profile.name
            if LOOKUP_ID.match(voice_id) and voice_id not in builtin:
                out.append(self._record(profile, voice_id))
        return out

    def not_found(self, voice_id: str) -> VoiceNotFoundError:
        builtin = ", ".join(self.builtin_ids()) or "none"
        saved = ", ".join(self.saved_ids()) or "none"
        return VoiceNotFoundError(f"unknown voice '{voice_id}' (built-in: {builtin}; saved: {saved})")

    def get(self, voice_id: str) -> VoiceRecord:
        builtin = self._builtin()
        if voice_id in builtin:
            return VoiceRecord(id=voice_id, name=voice_id, builtin=True, embedding=builtin[voice_id])
        if not isinstance(voice_id, str) or not LOOKUP_ID.match(voice_id):
            raise self.not_found(voice_id)
        path = self.directory / f"{voice_id}.json"
        if not path.is_file():
            raise self.not_found(voice_id)
        return self._record(load_profile_file(path), voice_id)

    def exists(self, voice_id: str) -> bool:
        return voice_id in self._builtin() or (
            LOOKUP_ID.match(voice_id) is not None and (self.directory / f"{voice_id}.json").is_file()
        )

    # -- writing ----------------------------------------------------------------------------------

    def new_id(self, name: str) -> str:
        """An id for ``name`` that no voice has yet: its slug, else the slug and a random suffix."""
        base = slugify(name)
        if not self.exists(base):
            return base
        while True:
            candidate = f"{base}-{secrets.token_hex(3)}"
            if not self.exists(candidate):
                return candidate

    def create(
        self,
        voice_id: str,
        name: str,
        cloned: Cloned,
        *,
        recipe: Mapping[str, Any],
        speaker_encoder_sha256: str | None,
    ) -> VoiceRecord:
        """Save a cloned voice; :class:`VoiceExistsError` when the id is taken (built-in or saved)."""
        check_voice_id(voice_id)
        with self._lock:
            if self.exists(voice_id):
                raise VoiceExistsError(
                    f"voice '{voice_id}' already exists; choose another id or delete it first"
                )
            try:
                (self.directory / LABELS_DIR).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(
                    f"cannot create voices directory '{self.directory}': {exc.strerror or exc}"
                ) from exc
            label = json.dumps({"id": voice_id, "name": name}, ensure_ascii=False).encode("utf-8")
            atomic_write_bytes(self.directory / LABELS_DIR / f"{voice_id}.json", label)
            profile = VoiceProfile(
                name=voice_id,
                embedding=np.asarray(cloned.embedding, dtype=np.float32),
                sources=cloned.clips,
                created=now_utc(),
                recipe=dict(recipe),
                speaker_encoder_sha256=speaker_encoder_sha256,
            )
            save_profile(profile, self.directory)
        return self.get(voice_id)

    def delete(self, voice_id: str) -> None:
        """Remove a saved voice (its JSON first, so it stops being listed at once)."""
        if voice_id in self._builtin():
            raise BuiltinVoiceError(f"'{voice_id}' is a built-in speaker of the model; it cannot be deleted")
        with self._lock:
            self.get(voice_id)  # raises VoiceNotFoundError
            for path in (
                self.directory / f"{voice_id}.json",
                self.directory / f"{voice_id}.npy",
                self.directory / LABELS_DIR / f"{voice_id}.json",
            ):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
