""":class:`Voices`, the one voice service: built-in speakers, saved voices, cloning, and writing voice profiles.

Every front end (Python API, CLI, HTTP service, Wyoming, batch jobs) asks :class:`Voices` for a speaker
embedding, so a name means the same voice everywhere:

* a **built-in speaker** of the bundle (``speakers.npy``, named in ``config.json``);
* a **saved voice**: a profile ``NAME.json`` + ``NAME.npy`` in the voices directory (:mod:`~.voice_profiles`);
* a **profile path** (``.json``/``.npy``);
* **recordings** to clone from, through ``speaker_encoder.onnx`` (loaded on first use);
* a **blend** of any of the first three, ``name(weight)+name(weight)…`` (:mod:`~.voice_blend`).

Built-in names win over saved ones of the same name. Thread-safe: the encoder is loaded once under a lock;
writing and deleting profiles are serialised.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime.audio import AudioSource
from yourtts_onnx.runtime.bundle import GRAPH_SPEAKER_ENCODER, Bundle
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.runtime.session import SessionOptions, create_session
from yourtts_onnx.runtime.speaker_encoder import Cloned, SpeakerEncoder, recipe_from_bundle
from yourtts_onnx.runtime.voice_blend import blend_embeddings, is_blend, parse_blend
from yourtts_onnx.runtime.voice_profiles import (
    VoiceProfile,
    check_voice_name,
    list_profiles,
    load_profile,
    load_profile_file,
    looks_like_path,
    now_utc,
    profile_names,
    profile_paths,
    save_profile,
    voices_dir,
)

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


class Voices:
    """Voices of one bundle, and saved voices in ``directory`` (default: :func:`~.voices.voices_dir`)."""

    def __init__(
        self,
        bundle: Bundle,
        directory: str | os.PathLike[str] | None = None,
        session_options: SessionOptions | None = None,
        encoder: SpeakerEncoder | None = None,
    ) -> None:
        self.bundle = bundle
        self.dim = bundle.config.embedding_dim
        self._directory = directory
        self._session_options = session_options
        self._builtin: dict[str, np.ndarray] | None = None
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        self._write_lock = threading.Lock()

    @property
    def directory(self) -> Path:
        """The saved voices' directory (given, else ``$YOURTTS_ONNX_VOICES`` etc. at the time of asking)."""
        return voices_dir(self._directory)

    # -- built-in speakers --------------------------------------------------------------------------

    def builtin(self) -> dict[str, np.ndarray]:
        """Built-in speaker name → embedding, in the bundle's order (loaded on first use)."""
        if self._builtin is None:
            self._builtin = self.bundle.speaker_embeddings()
        return self._builtin

    def builtin_names(self) -> list[str]:
        return list(self.bundle.config.speakers.names)

    def speaker(self, name: str) -> np.ndarray:
        """A built-in speaker's embedding; the error lists the built-in speakers."""
        table = self.builtin()
        if name not in table:
            raise InputError(f"unknown speaker '{name}' (built-in speakers: {', '.join(table) or 'none'})")
        return table[name]

    # -- saved voices -------------------------------------------------------------------------------

    def saved_names(self) -> list[str]:
        """Names of the saved voices (profiles whose JSON is present, readable or not)."""
        return [n for n in profile_names(self.directory) if n not in self.builtin()]

    def saved(self) -> list[VoiceProfile]:
        """Every readable saved voice; damaged ones are logged and skipped."""
        builtin = self.builtin()
        return [p for p in list_profiles(self.directory) if _profile_id(p) not in builtin]

    def profile(self, name: str) -> VoiceProfile:
        """A saved voice by name or by profile path."""
        return load_profile(name, self.directory)

    def exists(self, name: str) -> bool:
        if name in self.builtin():
            return True
        try:
            json_path, npy_path = profile_paths(name, self.directory)
        except InputError:
            return False
        return json_path.is_file() or npy_path.is_file()

    # -- embeddings ---------------------------------------------------------------------------------

    def check_embedding(self, embedding: np.ndarray, what: str = "embedding") -> np.ndarray:
        emb = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if emb.shape != (self.dim,):
            raise InputError(f"{what} must have {self.dim} values, got {emb.shape[0]}")
        if not np.all(np.isfinite(emb)) or not np.any(emb):
            raise InputError(f"{what} must be finite and not all zero")
        return emb

    def embedding(self, voice: str | os.PathLike[str]) -> np.ndarray:
        """A built-in speaker, a saved voice, a profile path, or a blend of those; the error lists what
        exists."""
        table = self.builtin()
        if isinstance(voice, str) and voice in table:
            return table[voice]
        if is_blend(voice) and not Path(voice).is_file():  # a file named "a+b.json" stays a path
            return self.blend(str(voice))
        if isinstance(voice, os.PathLike) or looks_like_path(voice):
            return self.check_embedding(load_profile_file(voice).embedding, f"voice '{voice}'")
        if voice in profile_names(self.directory):
            return self.check_embedding(self.profile(voice).embedding, f"voice '{voice}'")
        saved = ", ".join(self.saved_names()) or "none"
        raise InputError(
            f"unknown voice '{voice}' (built-in speakers: {', '.join(table) or 'none'}; saved voices: {saved})"
        )

    def blend(self, expression: str) -> np.ndarray:
        """The weighted mean of the embeddings of ``"name(weight)+name(weight)…"`` (:mod:`~.voice_blend`)."""
        terms = parse_blend(expression)

        def term_embedding(name: str) -> np.ndarray:
            try:
                return self.embedding(name)
            except InputError as exc:
                raise InputError(f"voice blend '{expression}': {exc}") from None

        return self.check_embedding(blend_embeddings(terms, term_embedding), f"voice blend '{expression}'")

    def default_embedding(self) -> np.ndarray:
        table = self.builtin()
        if not table:
            raise InputError("this model has no built-in speakers: give a voice, speaker_wav or embedding")
        return next(iter(table.values()))

    def resolve(self, options: SynthesisOptions, progress: Progress | None = None) -> np.ndarray:
        """The embedding ``options`` asks for (its voice, recordings or embedding; else the default)."""
        if options.embedding is not None:
            return self.check_embedding(np.asarray(options.embedding))
        if options.speaker_wav is not None:
            return self.clone(options.speaker_wav, progress).embedding  # type: ignore[arg-type]
        if options.voice is not None:
            return self.embedding(options.voice)
        return self.default_embedding()

    # -- cloning ------------------------------------------------------------------------------------

    @property
    def can_clone(self) -> bool:
        return self._encoder is not None or (
            self.bundle.has_graph(GRAPH_SPEAKER_ENCODER) and self.bundle.config.speaker_encoder is not None
        )

    def encoder(self) -> SpeakerEncoder:
        """The speaker encoder, loaded on first use."""
        with self._encoder_lock:
            if self._encoder is None:
                if not self.can_clone:
                    raise BundleError(
                        f"{self.bundle.root}: this bundle has no speaker encoder, so it cannot clone voices "
                        "from audio; use a built-in speaker or a saved voice"
                    )
                session = create_session(
                    self.bundle.graph_path(GRAPH_SPEAKER_ENCODER),
                    self._session_options,
                    sha256=self.bundle.file_sha256(GRAPH_SPEAKER_ENCODER),
                )
                recipe = recipe_from_bundle(self.bundle.config.speaker_encoder, str(self.bundle.root))
                self._encoder = SpeakerEncoder(session, recipe, self.dim)
            return self._encoder

    def clone(self, sources: AudioSource | Sequence[AudioSource], progress: Progress | None = None) -> Cloned:
        """Embedding of one or more recordings (averaged), with what a profile records about them."""
        return self.encoder().clone(sources, progress)

    def embed(self, sources: AudioSource | Sequence[AudioSource]) -> np.ndarray:
        return self.clone(sources).embedding

    # -- writing ------------------------------------------------------------------------------------

    def save(
        self,
        name: str,
        voice: Cloned | AudioSource | Sequence[AudioSource],
        *,
        label: str | None = None,
        overwrite: bool = False,
        progress: Progress | None = None,
    ) -> VoiceProfile:
        """Save a voice profile named ``name``: from a :class:`Cloned` result, or cloned from recordings."""
        check_voice_name(name)
        if name in self.builtin():
            raise InputError(f"'{name}' is a built-in speaker of the model; choose another name")
        if not overwrite and self.exists(name):
            raise InputError(f"voice '{name}' already exists; choose another name or overwrite it")
        cloned = voice if isinstance(voice, Cloned) else self.clone(voice, progress)
        profile = VoiceProfile(
            name=name,
            embedding=self.check_embedding(cloned.embedding),
            sources=cloned.clips,
            created=now_utc(),
            recipe=self.encoder().recipe.to_dict() if self.can_clone else {},
            speaker_encoder_sha256=self.bundle.file_sha256(GRAPH_SPEAKER_ENCODER),
            label=label,
        )
        return self._store(profile, overwrite)

    def save_blend(
        self, name: str, expression: str, *, label: str | None = None, overwrite: bool = False
    ) -> VoiceProfile:
        """Save the blend ``expression`` as the voice ``name`` (its embedding; the expression is recorded)."""
        return self.save_embedding(
            name, self.blend(expression), label=label, blend=expression.strip(), overwrite=overwrite
        )

    def save_embedding(
        self,
        name: str,
        embedding: np.ndarray,
        *,
        label: str | None = None,
        blend: str | None = None,
        overwrite: bool = False,
    ) -> VoiceProfile:
        """Save an embedding (e.g. a blend's) as the voice ``name``."""
        check_voice_name(name)
        if name in self.builtin():
            raise InputError(f"'{name}' is a built-in speaker of the model; choose another name")
        profile = VoiceProfile(
            name=name,
            embedding=self.check_embedding(embedding),
            created=now_utc(),
            label=label,
            blend=blend,
        )
        return self._store(profile, overwrite)

    def _store(self, profile: VoiceProfile, overwrite: bool) -> VoiceProfile:
        """Write ``profile`` under the write lock (refusing an existing name unless ``overwrite``); returns it
        with its path."""
        with self._write_lock:
            if not overwrite and self.exists(profile.name):
                raise InputError(
                    f"voice '{profile.name}' already exists; choose another name or overwrite it"
                )
            path = save_profile(profile, self.directory, overwrite=True)
        return dataclasses.replace(profile, path=path)

    def delete(self, name: str) -> None:
        """Remove a saved voice, readable or damaged (its JSON first, so it stops being listed at once)."""
        if name in self.builtin():
            raise InputError(f"'{name}' is a built-in speaker of the model; it cannot be deleted")
        json_path, npy_path = profile_paths(name, self.directory)
        with self._write_lock:
            if not json_path.exists() and not npy_path.exists():
                raise InputError(
                    f"unknown voice '{name}' (saved voices: {', '.join(self.saved_names()) or 'none'})"
                )
            for path in (json_path, npy_path):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


def _profile_id(profile: VoiceProfile) -> str:
    return profile.path.stem if isinstance(profile.path, Path) else profile.name
