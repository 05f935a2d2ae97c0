"""One module per CLI sub-command: ``register(subparsers)`` adds its parser, ``run(args)`` does the work.

Modules here must not import torch, onnx or onnxruntime at import time; import inside ``run``.
"""
