"""Torch-free runtime: ONNX Runtime, numpy, soundfile and soxr only (never torch, directly or not).

Main entry point: :class:`Synthesizer` (``Synthesizer.from_bundle(path).synthesize(text) -> Audio``).

The names below are imported lazily (PEP 562), so ``import yourtts_onnx.runtime.bundle`` or the text
frontend do not load onnxruntime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "Audio": "waveform",
    "Backend": "backends",
    "BatchOutput": "backends",
    "Bundle": "bundle",
    "BundleConfig": "bundle",
    "ChunkSchedule": "chunked_decoding",
    "ClipInfo": "speaker_encoder",
    "Cloned": "speaker_encoder",
    "Plan": "planner",
    "Planner": "planner",
    "Scales": "planner",
    "SessionOptions": "session",
    "SpeakerEncoder": "speaker_encoder",
    "SynthesisOptions": "options",
    "Synthesizer": "synthesizer",
    "Utterance": "utterances",
    "VoiceProfile": "voice_profiles",
    "Voices": "voices",
    "Word": "words",
    "default_voices_dir": "voice_profiles",
    "list_profiles": "voice_profiles",
    "load_profile": "voice_profiles",
}

__all__ = [
    "Audio",
    "Backend",
    "BatchOutput",
    "Bundle",
    "BundleConfig",
    "ChunkSchedule",
    "ClipInfo",
    "Cloned",
    "Plan",
    "Planner",
    "Scales",
    "SessionOptions",
    "SpeakerEncoder",
    "SynthesisOptions",
    "Synthesizer",
    "Utterance",
    "VoiceProfile",
    "Voices",
    "Word",
    "default_voices_dir",
    "list_profiles",
    "load_profile",
]

if TYPE_CHECKING:
    from yourtts_onnx.runtime.backends import Backend, BatchOutput
    from yourtts_onnx.runtime.bundle import Bundle, BundleConfig
    from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule
    from yourtts_onnx.runtime.options import SynthesisOptions
    from yourtts_onnx.runtime.planner import Plan, Planner, Scales
    from yourtts_onnx.runtime.session import SessionOptions
    from yourtts_onnx.runtime.speaker_encoder import ClipInfo, Cloned, SpeakerEncoder
    from yourtts_onnx.runtime.synthesizer import Synthesizer
    from yourtts_onnx.runtime.utterances import Utterance
    from yourtts_onnx.runtime.voice_profiles import (
        VoiceProfile,
        default_voices_dir,
        list_profiles,
        load_profile,
    )
    from yourtts_onnx.runtime.voices import Voices
    from yourtts_onnx.runtime.waveform import Audio
    from yourtts_onnx.runtime.words import Word


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'yourtts_onnx.runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"yourtts_onnx.runtime.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
