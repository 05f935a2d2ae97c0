"""The ``info`` event: one TTS program with the catalog's voices (built anew for every ``describe``)."""

from __future__ import annotations

from typing import Any

from wyoming.info import Attribution, Info, TtsProgram, TtsVoice, TtsVoiceSpeaker

from yourtts_onnx import __version__
from yourtts_onnx.wyoming.catalog import BUILTIN, LANGUAGE, VoiceCatalog, VoiceEntry

PROGRAM_NAME = "yourtts-onnx"
WEIGHTS_LICENCE = "CC BY-NC-ND 4.0"
COQUI_URL = "https://github.com/idiap/coqui-ai-TTS"
PROJECT_URL = "https://pypi.org/project/yourtts-onnx/"


def coqui_attribution() -> Attribution:
    """Who made the model: Coqui's YourTTS, and the licence of its released weights."""
    return Attribution(name=f"Coqui YourTTS (released weights: {WEIGHTS_LICENCE})", url=COQUI_URL)


def program_description(model: dict[str, Any]) -> str:
    note = str(model.get("license_note") or "").strip()
    text = "YourTTS on ONNX Runtime: multilingual speech with built-in and cloned voices"
    return f"{text}. {note}" if note else text


def voice(entry: VoiceEntry) -> TtsVoice:
    if entry.kind in (BUILTIN, LANGUAGE):
        attribution = coqui_attribution()
    else:  # a voice cloned on this server: made by its owner from their recordings
        attribution = Attribution(name="cloned with yourtts-onnx", url=PROJECT_URL)
    speakers = None if entry.speakers is None else [TtsVoiceSpeaker(name=s) for s in entry.speakers]
    return TtsVoice(
        name=entry.name,
        description=entry.description,
        attribution=attribution,
        installed=True,
        version=None,
        languages=list(entry.languages),
        speakers=speakers,
    )


def build_info(catalog: VoiceCatalog, *, model: dict[str, Any], streaming: bool) -> Info:
    """``info`` for a ``describe``: the program and every voice the catalog holds now."""
    program = TtsProgram(
        name=PROGRAM_NAME,
        description=program_description(model),
        attribution=coqui_attribution(),
        installed=True,
        version=__version__,
        voices=[voice(entry) for entry in catalog.entries()],
        supports_synthesize_streaming=streaming,
    )
    return Info(tts=[program])
