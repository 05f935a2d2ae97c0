"""Transitional: :class:`~yourtts_onnx.runtime.voices.Voices` moved to :mod:`yourtts_onnx.runtime.voices`.

Kept only while ``runtime/synthesizer.py`` imports it from here; remove this module when it imports
``yourtts_onnx.runtime.voices``."""

from yourtts_onnx.runtime.voices import Voices

__all__ = ["Voices"]
