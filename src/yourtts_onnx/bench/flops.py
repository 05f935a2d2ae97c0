"""FLOPs of a graph, counted from the ONNX file with shape inference at concrete input shapes.

Only the dense-algebra operators are counted (they are >99% of the arithmetic): one multiply-add is 2
FLOPs, biases are ignored.

* ``Conv`` / ``ConvInteger`` / ``QLinearConv``: ``2 * N * C_out * (C_in / group) * prod(kernel) * prod(out)``;
* ``ConvTranspose``: ``2 * N * C_in * (C_out / group) * prod(kernel) * prod(in)``;
* ``MatMul`` / ``MatMulInteger`` / ``QLinearMatMul`` / ``Gemm``: ``2 * prod(batch) * M * K * N``.

Quantised graphs are counted by the same rules (one int8 multiply-add is 2 "FLOPs"), so a variant's
GFLOP/s are comparable with fp32's.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import onnx
from onnx import shape_inference

CONV_OPS = {"Conv", "ConvInteger", "QLinearConv", "FusedConv"}
MATMUL_OPS = {"MatMul", "MatMulInteger", "QLinearMatMul", "FusedMatMul", "Gemm"}


@dataclass
class FlopCount:
    total: float = 0.0
    by_op: Counter = field(default_factory=Counter)
    uncounted: int = 0  # dense nodes whose shapes inference could not resolve

    def to_dict(self) -> dict[str, object]:
        return {"total": self.total, "by_op": dict(self.by_op), "uncounted_nodes": self.uncounted}


def _fix_inputs(model: onnx.ModelProto, dims: Mapping[str, int]) -> None:
    """Give every symbolic input dimension a value: ``dims[axis_name]`` (default 1)."""
    for value in model.graph.input:
        for d in value.type.tensor_type.shape.dim:
            if d.dim_param:
                d.dim_value = int(dims.get(d.dim_param, 1))


def _shapes(model: onnx.ModelProto) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    values = (*model.graph.value_info, *model.graph.input, *model.graph.output)
    for v in values:
        dims = v.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            out[v.name] = [d.dim_value for d in dims]
    for init in model.graph.initializer:
        out[init.name] = list(init.dims)
    return out


def _attr(node: onnx.NodeProto, name: str, default: int = 1) -> int:
    for a in node.attribute:
        if a.name == name:
            return int(a.i)
    return default


def _node_flops(node: onnx.NodeProto, shapes: Mapping[str, list[int]]) -> float | None:
    op = node.op_type
    if op in CONV_OPS:
        weight = node.input[3] if op == "QLinearConv" else node.input[1]
        w, y = shapes.get(weight), shapes.get(node.output[0])
        if w is None or y is None:
            return None
        return 2.0 * y[0] * w[0] * w[1] * math.prod(w[2:]) * math.prod(y[2:])
    if op == "ConvTranspose":
        w, x = shapes.get(node.input[1]), shapes.get(node.input[0])
        if w is None or x is None:
            return None
        return 2.0 * x[0] * w[0] * w[1] * math.prod(w[2:]) * math.prod(x[2:])
    if op in MATMUL_OPS:
        a_name = node.input[0]
        b_name = node.input[3] if op == "QLinearMatMul" else node.input[1]
        a, b, y = shapes.get(a_name), shapes.get(b_name), shapes.get(node.output[0])
        if a is None or y is None:
            return None
        k = a[-1] if not (op == "Gemm" and _attr(node, "transA", 0)) else a[0]
        if b is not None and op != "Gemm" and len(b) == 1:
            k = b[0]
        return 2.0 * math.prod(y) * k
    return 0.0


def count_flops(model: onnx.ModelProto | str | Path, dims: Mapping[str, int]) -> FlopCount:
    """FLOPs of one run with the symbolic input axes set to ``dims`` (e.g. ``{"batch": 1, "frames": 250}``)."""
    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    m = onnx.ModelProto()
    m.CopyFrom(model)
    _fix_inputs(m, dims)
    inferred = shape_inference.infer_shapes(m, data_prop=True)
    shapes = _shapes(inferred)
    result = FlopCount()
    for node in inferred.graph.node:
        flops = _node_flops(node, shapes)
        if flops is None:
            result.uncounted += 1
        elif flops:
            result.total += flops
            result.by_op[node.op_type] += flops
    return result
