"""The voices a Wyoming client sees, and what the voice fields of a request select.

Three kinds of voice are offered (re-read on every call, so saved voices added or removed while the server
runs appear and disappear):

* one voice per **built-in speaker** of the bundle, and one per **saved (cloned) voice**, each listing every
  language of the bundle. Chosen by name alone, it speaks the request's ``language`` field when there is
  one, else the server's default language;
* one multi-speaker voice per **language** (``yourtts-en``, ``yourtts-fr_FR``, ``yourtts-pt_BR``), listing
  the built-in speakers and saved voices as its speakers, as wyoming-piper lists a multi-speaker Piper
  voice. Chosen by name, it fixes the language; its ``speaker`` picks the voice (default: the server's).
  This is how a client that sends only a voice name (Home Assistant does) gets a language other than the
  default one.

Languages are written as Home Assistant writes them (``en``, ``fr_FR``, ``pt_BR``); a request may spell
them any way :func:`~yourtts_onnx.runtime.languages.resolve_language` accepts (``fr``, ``fr-FR``, ...).
Built-in names win over language voices, and both over saved voices of the same name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.languages import resolve_language
from yourtts_onnx.runtime.voice_blend import is_blend
from yourtts_onnx.runtime.voices import Voices

LANGUAGE_VOICE_PREFIX = "yourtts-"
BUILTIN, SAVED, LANGUAGE = "builtin", "saved", "language"


class UnknownVoiceError(InputError):
    """A voice or speaker that is neither built in nor saved."""


class UnknownLanguageError(InputError):
    """A language the bundle does not speak."""


def _language(requested: str | None, languages: Mapping[str, int]) -> str:
    try:
        return resolve_language(requested, languages)[0]
    except InputError as exc:
        raise UnknownLanguageError(str(exc)) from None


def ha_language(name: str) -> str:
    """A bundle language written as Home Assistant writes languages: ``fr-fr`` → ``fr_FR``, ``en`` → ``en``."""
    primary, *subtags = re.split(r"[-_]", name.strip())
    out = [primary.lower()]
    for tag in subtags:
        if len(tag) == 2 and tag.isalpha():
            out.append(tag.upper())  # region
        elif len(tag) == 4 and tag.isalpha():
            out.append(tag.title())  # script
        else:
            out.append(tag)
    return "_".join(out)


@dataclass(frozen=True)
class VoiceEntry:
    """One voice of the ``info`` event."""

    name: str
    kind: str  # BUILTIN, SAVED or LANGUAGE
    description: str
    languages: tuple[str, ...]  # as Home Assistant writes them
    speakers: tuple[str, ...] | None = None  # language voices: every voice name


@dataclass(frozen=True)
class Selection:
    """What a request asked for, resolved: a voice (built-in or saved) and a bundle language."""

    voice: str
    language: str
    embedding: np.ndarray


class VoiceCatalog:
    """The voices of one bundle and voices directory, named for Wyoming clients."""

    def __init__(
        self,
        voices: Voices,
        languages: Mapping[str, int],
        *,
        default_voice: str | None = None,
        default_language: str | None = None,
    ) -> None:
        self.voices = voices
        self.bundle_languages = dict(languages)
        self.default_language = _language(default_language, self.bundle_languages)
        self._language_voices = {self.language_voice(name): name for name in self.bundle_languages}
        if default_voice is not None:
            self._check_voice(default_voice)
        self.default_voice = default_voice

    # -- listing --------------------------------------------------------------------------------------

    def languages(self) -> tuple[str, ...]:
        """The bundle's languages as Home Assistant writes them, in the bundle's order."""
        return tuple(ha_language(name) for name in self.bundle_languages)

    def language_voice(self, language: str) -> str:
        """The multi-speaker voice name of a bundle language."""
        return f"{LANGUAGE_VOICE_PREFIX}{ha_language(language)}"

    def entries(self) -> list[VoiceEntry]:
        """Every voice, read now: built-in speakers, saved voices, then one voice per language."""
        builtin = self.voices.builtin_names()
        taken = set(builtin) | set(self._language_voices)
        saved = [(name, label, kind) for name, label, kind in self._saved() if name not in taken]
        languages = self.languages()
        entries = [VoiceEntry(name, BUILTIN, f"{name} (built-in speaker)", languages) for name in builtin]
        entries += [
            VoiceEntry(name, SAVED, f"{label or name} ({kind})", languages) for name, label, kind in saved
        ]
        speakers = (*builtin, *(name for name, _, _ in saved))
        for voice_name, language in self._language_voices.items():
            description = f"YourTTS {ha_language(language)}: every speaker and cloned voice"
            entries.append(VoiceEntry(voice_name, LANGUAGE, description, (ha_language(language),), speakers))
        return entries

    def _saved(self) -> list[tuple[str, str | None, str]]:
        """``(name, label, kind)`` of each saved voice; kind: "cloned voice" or "blended voice"."""
        out = []
        for profile in self.voices.saved():
            name = profile.path.stem if profile.path is not None else profile.name
            out.append((name, profile.label, "blended voice" if profile.blend else "cloned voice"))
        return sorted(out, key=lambda item: item[0])

    def voice_names(self) -> list[str]:
        return [entry.name for entry in self.entries()]

    # -- selecting ------------------------------------------------------------------------------------

    def select(
        self, name: str | None = None, language: str | None = None, speaker: str | None = None
    ) -> Selection:
        """The voice and language of a request's ``voice`` fields (each optional); errors name what exists."""
        name = _clean(name, "voice name")
        speaker = _clean(speaker, "speaker")
        language = _clean(language, "language")
        if name is not None and name not in self.voices.builtin_names():
            bundle_language = self._language_voices.get(name)
            if bundle_language is not None:  # a language voice: its speaker is the voice
                return self._selection(speaker, language or bundle_language)
        if name is not None and speaker is not None and speaker != name:
            raise UnknownVoiceError(
                f"voice '{name}' has no speakers; speakers belong to the language voices "
                f"({', '.join(self._language_voices)})"
            )
        return self._selection(name or speaker, language)

    def _selection(self, voice: str | None, language: str | None) -> Selection:
        name = _language(language or self.default_language, self.bundle_languages)
        voice = voice if voice is not None else self.default_voice
        if voice is None:
            builtin = self.voices.builtin_names()
            if not builtin:
                raise InputError("this model has no built-in speakers: name a saved voice")
            voice = builtin[0]
        self._check_voice(voice)
        return Selection(voice, name, self.voices.embedding(voice))

    def _check_voice(self, voice: str) -> None:
        if voice in self.voices.builtin_names() or voice in self.voices.saved_names():
            return
        if is_blend(voice):  # its terms are checked when the blend is mixed
            return
        raise UnknownVoiceError(
            f"unknown voice '{voice}' (voices: {', '.join(self.voice_names()) or 'none'})"
        )


def _clean(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"the {what} must be a string, got {type(value).__name__}")
    return value.strip() or None
