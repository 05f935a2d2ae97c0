"""fp16 weights, fp32 arithmetic: halve a graph's size on disk without touching its compute.

Every large float32 initializer is stored as float16 and read through a ``Cast`` to float32. ONNX Runtime
folds those casts when it loads the graph, so inference runs the same fp32 kernels as before (the only
change is the weights' rounding to 11 significant bits); inputs and outputs stay float32. Running the
arithmetic itself in fp16 is not offered: the CPU provider has few fp16 kernels and would be slower.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from yourtts_onnx.export.graph_files import tensor_bytes
from yourtts_onnx.optimize.graph_tools import NameMaker

MIN_ELEMENTS = 1024  # small tensors (shapes, scales, biases) are not worth it and stay exact
FP16_MAX = float(np.finfo(np.float16).max)


def tensor_digest(tensor: onnx.TensorProto) -> str:
    """SHA-256 of a tensor's bytes: selects the same weights in several graphs (see ``only``)."""
    return hashlib.sha256(tensor_bytes(tensor)).hexdigest()


def weights_to_fp16(
    model: onnx.ModelProto,
    min_elements: int = MIN_ELEMENTS,
    *,
    only: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> int:
    """Convert in place; returns how many initializers were converted. ``only``: convert just the tensors
    whose :func:`tensor_digest` is in it (e.g. the flow's weights wherever a graph contains them);
    ``exclude``: never convert those (e.g. the weights that decide durations)."""
    graph = model.graph
    name = NameMaker(graph, "fp16")
    casts: list[onnx.NodeProto] = []
    kept: list[onnx.TensorProto] = []
    converted = 0
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < min_elements:
            kept.append(init)
            continue
        if (only is not None or exclude) and (
            (only is not None and tensor_digest(init) not in only) or tensor_digest(init) in exclude
        ):
            kept.append(init)
            continue
        value = numpy_helper.to_array(init)
        if not np.all(np.abs(value) <= FP16_MAX):
            kept.append(init)
            continue
        half = name(init.name.split("/")[-1] or "w")
        kept.append(numpy_helper.from_array(value.astype(np.float16), half))
        casts.append(helper.make_node("Cast", [half], [init.name], name=name("Cast"), to=TensorProto.FLOAT))
        converted += 1
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    # a graph input that shadows a converted initializer would now be wrong: drop such inputs
    produced = {c.output[0] for c in casts}
    inputs = [v for v in graph.input if v.name not in produced]
    del graph.input[:]
    graph.input.extend(inputs)
    return converted
