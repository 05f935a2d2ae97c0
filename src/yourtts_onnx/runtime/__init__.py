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
    "BatchOutput": "vits_graph",
    "Bundle": "bundle",
    "BundleConfig": "bundle",
    "ChunkSchedule": "chunked_decoding",
    "ClipInfo": "speaker_encoder",
    "Cloned": "speaker_encoder",
    "DEFAULT_BATCH_SIZE": "synthesizer",
    "DEFAULT_MAX_TOKENS": "utterances",
    "DEFAULT_SENTENCE_PAUSE": "synthesizer",
    "Scales": "synthesizer",
    "SessionOptions": "session",
    "SpeakerEncoder": "speaker_encoder",
    "Synthesizer": "synthesizer",
    "Utterance": "utterances",
    "VoiceProfile": "voices",
    "default_voices_dir": "voices",
    "list_profiles": "voices",
    "load_profile": "voices",
}

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_SENTENCE_PAUSE",
    "Audio",
    "BatchOutput",
    "Bundle",
    "BundleConfig",
    "ChunkSchedule",
    "ClipInfo",
    "Cloned",
    "Scales",
    "SessionOptions",
    "SpeakerEncoder",
    "Synthesizer",
    "Utterance",
    "VoiceProfile",
    "default_voices_dir",
    "list_profiles",
    "load_profile",
]

if TYPE_CHECKING:
    from yourtts_onnx.runtime.bundle import Bundle, BundleConfig
    from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule
    from yourtts_onnx.runtime.session import SessionOptions
    from yourtts_onnx.runtime.speaker_encoder import ClipInfo, Cloned, SpeakerEncoder
    from yourtts_onnx.runtime.synthesizer import (
        DEFAULT_BATCH_SIZE,
        DEFAULT_SENTENCE_PAUSE,
        Scales,
        Synthesizer,
    )
    from yourtts_onnx.runtime.utterances import DEFAULT_MAX_TOKENS, Utterance
    from yourtts_onnx.runtime.vits_graph import BatchOutput
    from yourtts_onnx.runtime.voices import VoiceProfile, default_voices_dir, list_profiles, load_profile
    from yourtts_onnx.runtime.waveform import Audio


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'yourtts_onnx.runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"yourtts_onnx.runtime.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
