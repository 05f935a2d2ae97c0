"""Benchmark suite: speed (RTF, time to first audio, cold start), memory, size, FLOPs and quality of
PyTorch, ONNX fp32 and optimised ONNX variants, measured in one run with the same inputs and threads.

Entry point: ``yourtts-onnx bench`` (:mod:`yourtts_onnx.commands.bench`) → :func:`suite.run_suite`.
"""
