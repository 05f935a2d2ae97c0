"""Benchmark suite: speed (RTF, time to first audio, new process → first audio byte), memory, size, FLOPs and
quality, measured in one run with the same inputs and threads, every synthesis through the public path: the
:class:`~yourtts_onnx.runtime.synthesizer.Synthesizer` per bundle × backend, and the ``yourtts-onnx`` CLI in
new processes. Graph-level figures (the decoder alone, INT8 recipes) use sessions from
:func:`~yourtts_onnx.runtime.session.create_session`; PyTorch is our own model.

Entry point: ``yourtts-onnx bench`` (:mod:`yourtts_onnx.commands.bench`) → :func:`suite.run_suite` →
:func:`report.write_all`.
"""
