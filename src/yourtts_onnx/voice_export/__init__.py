"""Single-voice exports of a bundle for other ONNX hosts: Piper and sherpa-onnx.

Needs the ``onnx`` package (the ``export`` extra) for the graph surgery; nothing here imports torch.
"""

from .exporter import FORMATS, MANIFEST, ResolvedVoice, VoiceExportResult, export_voice, resolve_voice

__all__ = ["FORMATS", "MANIFEST", "ResolvedVoice", "VoiceExportResult", "export_voice", "resolve_voice"]
