"""The server's view of the voice service: ids for HTTP clients over :class:`~yourtts_onnx.runtime.voice_service.Voices`.

Saved voices are the runtime's voice profiles (``ID.npy`` + ``ID.json``), so ``yourtts-onnx synth --voice ID``
uses them too; the human-readable name a client gives is the profile's ``label``. Ids the server creates
match :data:`VOICE_ID` (lower-case, no dots); lookups also accept the names the CLI saves
(:data:`LOOKUP_ID`). Neither can hold a path separator or start with a dot, so no id can name a file
outside the directory.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.speaker_encoder import ClipInfo, Cloned
from yourtts_onnx.runtime.voice_service import Voices
from yourtts_onnx.runtime.voices import VOICE_NAME, VoiceProfile

VOICE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LOOKUP_ID = VOICE_NAME  # the names the CLI saves
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


def _record(profile: VoiceProfile, voice_id: str) -> VoiceRecord:
    return VoiceRecord(
        id=voice_id,
        name=profile.label or voice_id,
        builtin=False,
        embedding=profile.embedding,
        created=profile.created or None,
        sources=tuple(profile.sources),
    )


class VoiceStore:
    """Built-in speakers (read-only) and saved voices, addressed by id."""

    def __init__(self, voices: Voices) -> None:
        self.voices = voices

    @property
    def directory(self):  # type: ignore[no-untyped-def]
        return self.voices.directory

    def builtin_ids(self) -> list[str]:
        return self.voices.builtin_names()

    def saved_ids(self) -> list[str]:
        return [n for n in self.voices.saved_names() if LOOKUP_ID.match(n)]

    def list(self) -> list[VoiceRecord]:
        builtin = self.voices.builtin()
        out = [VoiceRecord(id=name, name=name, builtin=True, embedding=emb) for name, emb in builtin.items()]
        for profile in self.voices.saved():
            voice_id = profile.path.stem if profile.path is not None else profile.name
            if LOOKUP_ID.match(voice_id):
                out.append(_record(profile, voice_id))
        return out

    def not_found(self, voice_id: str) -> VoiceNotFoundError:
        builtin = ", ".join(self.builtin_ids()) or "none"
        saved = ", ".join(self.saved_ids()) or "none"
        return VoiceNotFoundError(f"unknown voice '{voice_id}' (built-in: {builtin}; saved: {saved})")

    def get(self, voice_id: str) -> VoiceRecord:
        builtin = self.voices.builtin()
        if voice_id in builtin:
            return VoiceRecord(id=voice_id, name=voice_id, builtin=True, embedding=builtin[voice_id])
        if not isinstance(voice_id, str) or not LOOKUP_ID.match(voice_id) or voice_id not in self.voices.saved_names():
            raise self.not_found(voice_id)
        return _record(self.voices.profile(voice_id), voice_id)

    def exists(self, voice_id: str) -> bool:
        return isinstance(voice_id, str) and LOOKUP_ID.match(voice_id) is not None and self.voices.exists(voice_id)

    def new_id(self, name: str) -> str:
        """An id for ``name`` that no voice has yet: its slug, else the slug and a random suffix."""
        base = slugify(name)
        if not self.exists(base):
            return base
        while True:
            candidate = f"{base}-{secrets.token_hex(3)}"
            if not self.exists(candidate):
                return candidate

    def create(self, voice_id: str, name: str, cloned: Cloned) -> VoiceRecord:
        """Save a cloned voice; :class:`VoiceExistsError` when the id is taken (built-in or saved)."""
        check_voice_id(voice_id)
        if self.exists(voice_id):
            raise VoiceExistsError(f"voice '{voice_id}' already exists; choose another id or delete it first")
        try:
            profile = self.voices.save(voice_id, cloned, label=name)
        except InputError as exc:
            if self.exists(voice_id):
                raise VoiceExistsError(str(exc)) from None
            raise
        return _record(profile, voice_id)

    def delete(self, voice_id: str) -> None:
        """Remove a saved voice, readable or damaged."""
        if voice_id in self.voices.builtin():
            raise BuiltinVoiceError(f"'{voice_id}' is a built-in speaker of the model; it cannot be deleted")
        if not self.exists(voice_id):
            raise self.not_found(voice_id)
        self.voices.delete(voice_id)
