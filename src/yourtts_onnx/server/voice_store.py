"""The server's view of the voice service: ids for HTTP clients over :class:`~yourtts_onnx.runtime.voices.Voices`.

Saved voices are the runtime's voice profiles (``ID.npy`` + ``ID.json``), so ``yourtts-onnx synth --voice ID``
uses them too; the human-readable name a client gives is the profile's ``label``. Ids the server creates
match :data:`VOICE_ID` (lower-case, no dots); lookups also accept the names the CLI saves
(:data:`LOOKUP_ID`). Neither can hold a path separator or start with a dot, so no id can name a file
outside the directory.

A name is looked up as a built-in speaker, then a saved voice, then an alias of the voice map
(:mod:`~.voice_map`: OpenAI's ``alloy``, ``ash``, ... by default); ``name(weight)+name(weight)…`` is a
blend of any of those (:mod:`~yourtts_onnx.runtime.voice_blend`). A saved voice that cannot be read (a
truncated JSON, a pickled, NaN or integer ``.npy``) is listed as ``damaged``, can be deleted, and using it
is a server fault (500) whose message names no path; so is a voices directory the server cannot write.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.speaker_encoder import ClipInfo, Cloned
from yourtts_onnx.runtime.voice_blend import blend_embeddings, is_blend, parse_blend
from yourtts_onnx.runtime.voice_profiles import VOICE_NAME, VoiceProfile
from yourtts_onnx.runtime.voices import Voices
from yourtts_onnx.server.errors import ServerFault

VOICE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LOOKUP_ID = VOICE_NAME  # the names the CLI saves


class VoiceNotFoundError(InputError):
    """No built-in speaker or saved voice by that id; the message lists what exists."""


class VoiceExistsError(InputError):
    """A voice with that id exists already."""


class BuiltinVoiceError(InputError):
    """Built-in speakers (and aliases of the voice map) cannot be changed or deleted."""


class VoiceDamagedError(ServerFault):
    """A saved voice whose files cannot be read."""


class VoiceStorageError(ServerFault):
    """The voices directory cannot be written."""


@dataclass(frozen=True)
class VoiceRecord:
    id: str
    name: str
    builtin: bool
    embedding: np.ndarray | None  # None: a damaged saved voice, or an alias whose target is missing
    created: str | None = None
    sources: tuple[ClipInfo, ...] = ()
    alias_of: str | None = None
    damaged: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "builtin": self.builtin,
            "created": self.created,
            "sources": [
                {"sha256": c.sha256, "duration": c.duration, "sample_rate": c.sample_rate}
                for c in self.sources
            ],
        }
        if self.alias_of is not None:
            out["alias_of"] = self.alias_of
        if self.damaged:
            out["damaged"] = True
        return out


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
    """Built-in speakers (read-only), saved voices and aliases, addressed by id."""

    def __init__(self, voices: Voices, aliases: Mapping[str, str] | None = None) -> None:
        self.voices = voices
        self.aliases = dict(aliases or {})

    @property
    def directory(self):  # type: ignore[no-untyped-def]
        return self.voices.directory

    def builtin_ids(self) -> list[str]:
        return self.voices.builtin_names()

    def saved_ids(self) -> list[str]:
        return [n for n in self.voices.saved_names() if LOOKUP_ID.match(n)]

    def alias_ids(self) -> list[str]:
        """Aliases not shadowed by a built-in speaker or saved voice of the same name."""
        taken = set(self.builtin_ids()) | set(self.saved_ids())
        return [a for a in self.aliases if a not in taken]

    def list(self) -> list[VoiceRecord]:
        """Built-in speakers, saved voices (damaged ones flagged), then aliases."""
        builtin = self.voices.builtin()
        out = [VoiceRecord(id=name, name=name, builtin=True, embedding=emb) for name, emb in builtin.items()]
        readable = {}
        for profile in self.voices.saved():
            voice_id = profile.path.stem if profile.path is not None else profile.name
            if LOOKUP_ID.match(voice_id) and self._usable(profile):
                readable[voice_id] = _record(profile, voice_id)
        for voice_id in self.saved_ids():
            out.append(readable.get(voice_id) or _damaged(voice_id))
        for alias in self.alias_ids():
            out.append(self._alias_record(alias))
        return out

    def not_found(self, voice_id: str) -> VoiceNotFoundError:
        builtin = ", ".join(self.builtin_ids()) or "none"
        saved = ", ".join(self.saved_ids()) or "none"
        aliases = ", ".join(self.alias_ids()) or "none"
        return VoiceNotFoundError(
            f"unknown voice '{voice_id}' (built-in: {builtin}; saved: {saved}; aliases: {aliases})"
        )

    def get(self, voice_id: str, *, blends: bool = True) -> VoiceRecord:
        """A voice by id, or (``blends``) a blend; :class:`VoiceNotFoundError`, :class:`InputError` (a
        malformed blend), or :class:`VoiceDamagedError` (a server fault)."""
        builtin = self.voices.builtin()
        if voice_id in builtin:
            return VoiceRecord(id=voice_id, name=voice_id, builtin=True, embedding=builtin[voice_id])
        if blends and is_blend(voice_id):
            return self._blend(voice_id)
        if isinstance(voice_id, str) and LOOKUP_ID.match(voice_id) and voice_id in self.voices.saved_names():
            return self._saved(voice_id)
        if voice_id in self.aliases:
            record = self._alias_record(voice_id)
            if record.embedding is None:
                if record.alias_of in self.saved_ids():
                    self._saved(record.alias_of)  # raises VoiceDamagedError
                raise VoiceNotFoundError(
                    f"voice '{voice_id}' is an alias of '{record.alias_of}', which does not exist "
                    "(check the server's voice map)"
                )
            return record
        raise self.not_found(voice_id)

    def _save_failed(self, voice_id: str, exc: InputError) -> Exception:
        """The error for a profile that could not be written: taken meanwhile, or an unwritable directory."""
        if self.exists(voice_id) and (self.directory / f"{voice_id}.json").is_file():
            return VoiceExistsError(str(exc))
        return VoiceStorageError(
            f"cannot save voice '{voice_id}': {exc}",
            "the voice cannot be saved: the server's voices directory is not writable",
            "voices_dir_unwritable",
        )

    def _blend_embedding(self, expression: str) -> np.ndarray:
        embedding = blend_embeddings(parse_blend(expression), self.embedding)
        return self.voices.check_embedding(embedding, f"voice blend '{expression}'")

    def _blend(self, expression: str) -> VoiceRecord:
        embedding = self._blend_embedding(expression)
        return VoiceRecord(id=expression, name=expression, builtin=False, embedding=embedding)

    def known(self, voice: str) -> bool:
        """Whether ``voice`` names a voice of this server (a blend counts: its terms are checked on use)."""
        return self.exists(voice) or voice in self.aliases or is_blend(voice)

    def save_blend(self, voice_id: str, name: str, expression: str) -> VoiceRecord:
        """Save a blend as a voice; its terms may be built-in speakers, saved voices or aliases."""
        check_voice_id(voice_id)
        if self.exists(voice_id):
            raise VoiceExistsError(f"voice '{voice_id}' already exists; choose another id or delete it first")
        embedding = self._blend_embedding(expression)
        try:
            profile = self.voices.save_embedding(voice_id, embedding, label=name, blend=expression.strip())
        except InputError as exc:
            raise self._save_failed(voice_id, exc) from None
        return _record(profile, voice_id)

    def record(self, voice_id: str) -> VoiceRecord:
        """Like :meth:`get` (stored voices only, not blends), but a damaged saved voice is returned flagged
        instead of raising."""
        try:
            return self.get(voice_id, blends=False)
        except VoiceDamagedError:
            return _damaged(voice_id)

    def embedding(self, voice_id: str) -> np.ndarray:
        record = self.get(voice_id)
        if record.embedding is None:  # get() raises for voices without one; kept for type checkers
            raise self.not_found(voice_id)
        return record.embedding

    def _usable(self, profile: VoiceProfile) -> bool:
        try:
            self.voices.check_embedding(profile.embedding)
        except InputError:
            return False
        return True

    def _saved(self, voice_id: str) -> VoiceRecord:
        try:
            profile = self.voices.profile(voice_id)
            self.voices.check_embedding(profile.embedding, f"voice '{voice_id}'")
        except InputError as exc:
            raise VoiceDamagedError(
                f"saved voice '{voice_id}' is damaged: {exc}",
                f"saved voice '{voice_id}' is damaged and cannot be used; delete it and save it again",
                "voice_damaged",
            ) from None
        return _record(profile, voice_id)

    def _alias_record(self, alias: str) -> VoiceRecord:
        """An alias and the embedding of its target (a built-in speaker or saved voice; aliases do not chain)."""
        target = self.aliases[alias]
        builtin = self.voices.builtin()
        embedding = None
        if target in builtin:
            embedding = builtin[target]
        elif LOOKUP_ID.match(target) and target in self.voices.saved_names():
            with contextlib.suppress(VoiceDamagedError):
                embedding = self._saved(target).embedding
        return VoiceRecord(id=alias, name=alias, builtin=True, embedding=embedding, alias_of=target)

    def exists(self, voice_id: str) -> bool:
        """Whether a built-in speaker or saved voice (readable or not) has this id (aliases do not count:
        a saved voice may take an alias's name and then wins)."""
        return (
            isinstance(voice_id, str)
            and LOOKUP_ID.match(voice_id) is not None
            and self.voices.exists(voice_id)
        )

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
        """Save a cloned voice; :class:`VoiceExistsError` when the id is taken (built-in or saved),
        :class:`VoiceStorageError` when the voices directory cannot be written (nothing is left behind)."""
        check_voice_id(voice_id)
        if self.exists(voice_id):
            raise VoiceExistsError(f"voice '{voice_id}' already exists; choose another id or delete it first")
        try:
            profile = self.voices.save(voice_id, cloned, label=name)
        except InputError as exc:
            raise self._save_failed(voice_id, exc) from None
        return _record(profile, voice_id)

    def delete(self, voice_id: str) -> None:
        """Remove a saved voice, readable or damaged."""
        if voice_id in self.voices.builtin():
            raise BuiltinVoiceError(f"'{voice_id}' is a built-in speaker of the model; it cannot be deleted")
        if not self.exists(voice_id):
            if voice_id in self.aliases:
                raise BuiltinVoiceError(
                    f"'{voice_id}' is an alias of the server's voice map; change the map to remove it"
                )
            raise self.not_found(voice_id)
        try:
            self.voices.delete(voice_id)
        except OSError as exc:
            raise VoiceStorageError(
                f"cannot delete voice '{voice_id}': {exc}",
                f"voice '{voice_id}' cannot be deleted: the server's voices directory is not writable",
                "voices_dir_unwritable",
            ) from None


def _damaged(voice_id: str) -> VoiceRecord:
    return VoiceRecord(id=voice_id, name=voice_id, builtin=False, embedding=None, damaged=True)
