"""Post-export optimisation of a bundle's graphs: INT8 quantisation, fp16 weights, decoder split for
streaming, and writing the result as a new valid bundle. Needs ``onnx`` (the ``export`` extra), not torch.

Entry point: ``yourtts-onnx quantize`` (:mod:`yourtts_onnx.commands.quantize`) → :func:`derive.derive_bundle`.
"""
