"""YourTTS in ONNX: export Coqui YourTTS checkpoints and run them with ONNX Runtime alone.

The top-level package imports nothing heavy. The torch-free runtime lives in
:mod:`yourtts_onnx.runtime`; everything that needs torch lives in :mod:`yourtts_onnx.export`.
"""

__version__ = "0.1.0"
