"""A row's ``voice`` → an embedding, on the driver, each distinct voice resolved once per run.

A value is, in this order: a built-in speaker of the bundle; a blend ``name(weight)+name(weight)…`` of
built-in speakers and saved voices; a saved voice (``embed --name``); a voice
profile path (``.json``/``.npy``); else a reference recording to clone (a path, relative to the manifest's
directory). Each distinct recording is read and cloned once per run, here on the driver — rows carry the
embedding to the workers, so recordings need not be visible on other nodes and workers never load the
speaker encoder. Failures are cached too: a bad recording used by 100 rows is read once and reported on each.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from yourtts_onnx.errors import AudioError, InputError, YourTTSError
from yourtts_onnx.runtime.limits import MAX_REFERENCE_BYTES
from yourtts_onnx.runtime.voice_blend import is_blend
from yourtts_onnx.runtime.voice_profiles import VOICE_NAME, looks_like_path
from yourtts_onnx.runtime.voices import Voices

from .keys import array_digest

PROFILE_SUFFIXES = (".json", ".npy")


@dataclass(frozen=True)
class ResolvedVoice:
    """``label``: what the metadata records (the name, or the path as written); ``ref``: the voice's
    identity for seeds (``builtin:NAME``, ``saved:NAME``, ``profile:<sha>``, ``recording:<sha of the file>``)."""

    label: str
    ref: str
    embedding: np.ndarray


class VoiceResolver:
    """Resolves and caches voices for one run. ``base_dir``: where relative recording paths start."""

    def __init__(self, voices: Voices, base_dir: Path, default: str | None = None) -> None:
        self.voices = voices
        self.base_dir = base_dir
        self.default = default
        self._cache: dict[str, tuple[str, Path, ResolvedVoice | YourTTSError]] = {}
        self.cloned = 0  # distinct recordings cloned
        self.clone_seconds = 0.0

    def resolve(self, value: str | None, base_dir: Path | None = None) -> ResolvedVoice:
        """The voice ``value`` names (``None``: the run's default voice). Raises a :class:`YourTTSError`."""
        if value is None:
            if self.default is not None:
                return self.resolve(self.default, Path.cwd())
            return self._builtin_default()
        base = base_dir if base_dir is not None else self.base_dir
        key = self._cache_key(value, base)
        entry = self._cache.get(key)
        if entry is None:
            try:
                result: ResolvedVoice | YourTTSError = self._resolve(value, base)
            except YourTTSError as exc:
                result = exc
            entry = self._cache[key] = (value, base, result)
        first, first_base, cached = entry
        if isinstance(cached, YourTTSError):
            if first == value and first_base == base:
                raise cached
            # the same file written another way in another row: the error names this row's spelling
            text = str(cached).replace(os.fspath(first_base / first), os.fspath(base / value))
            raise type(cached)(text.replace(f"'{first}'", f"'{value}'"))
        return cached if cached.label == value else replace(cached, label=value)

    def _cache_key(self, value: str, base: Path) -> str:
        if value in self.voices.builtin() or not self._is_path(value):
            return value
        return os.fspath((base / value).resolve())

    def _is_path(self, value: str) -> bool:
        return looks_like_path(value) or not VOICE_NAME.match(value) or not self.voices.exists(value)

    def _builtin_default(self) -> ResolvedVoice:
        names = self.voices.builtin_names()
        if not names:
            raise InputError("no voice given and this model has no built-in speakers: give each row a voice")
        return ResolvedVoice(names[0], f"builtin:{names[0]}", self.voices.speaker(names[0]))

    def _resolve(self, value: str, base: Path) -> ResolvedVoice:
        if value in self.voices.builtin():
            return ResolvedVoice(value, f"builtin:{value}", self.voices.speaker(value))
        if is_blend(value) and not (base / value).is_file():
            emb = self.voices.blend(value)
            return ResolvedVoice(value, f"blend:{array_digest(emb)}", emb)
        if not self._is_path(value):
            return ResolvedVoice(value, f"saved:{value}", self.voices.embedding(value))
        path = base / value
        if path.suffix.lower() in PROFILE_SUFFIXES:
            emb = self.voices.embedding(path)
            return ResolvedVoice(value, f"profile:{array_digest(emb)}", emb)
        if not path.is_file():
            builtin = ", ".join(self.voices.builtin_names()) or "none"
            saved = ", ".join(self.voices.saved_names()) or "none"
            what = "does not exist" if not path.exists() else "is not a file"
            raise InputError(
                f"unknown voice '{value}': not a built-in speaker ({builtin}), not a saved voice ({saved}), "
                f"and as a recording '{path}' {what}"
            )
        size = path.stat().st_size
        if size > MAX_REFERENCE_BYTES:  # before a byte is read: a 2 GiB file is not read whole to be refused
            raise AudioError(f"reference recording '{path}' is {size} bytes; at most {MAX_REFERENCE_BYTES}")
        try:
            sha = hashlib.sha256()
            with open(path, "rb") as fh:  # streamed, not read whole
                while block := fh.read(1 << 20):
                    sha.update(block)
            digest = sha.hexdigest()
        except OSError as exc:
            raise AudioError(f"cannot read reference recording '{path}': {exc.strerror or exc}") from None
        t0 = time.perf_counter()
        embedding = self.voices.clone(path).embedding  # by path: errors name the file
        self.clone_seconds += time.perf_counter() - t0
        self.cloned += 1
        return ResolvedVoice(value, f"recording:{digest}", embedding)
