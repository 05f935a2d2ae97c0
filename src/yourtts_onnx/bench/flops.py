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
from typing import Any

import onnx
from onnx import shape_inference

from yourtts_onnx.runtime.bundle import (
    GRAPH_DECODER,
    GRAPH_DURATION_PREDICTOR,
    GRAPH_FLOW,
    GRAPH_SPEAKER_ENCODER,
    GRAPH_TEXT_ENCODER,
    GRAPH_VOCODER,
    Bundle,
)

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


def _inferred(
    model: onnx.ModelProto | str | Path, dims: Mapping[str, int]
) -> tuple[onnx.ModelProto, dict[str, list[int]]]:
    """A copy of ``model`` with the symbolic input axes set to ``dims``, shapes inferred, and its shapes."""
    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    m = onnx.ModelProto()
    m.CopyFrom(model)
    _fix_inputs(m, dims)
    inferred = shape_inference.infer_shapes(m, data_prop=True)
    return inferred, _shapes(inferred)


def count_flops(model: onnx.ModelProto | str | Path, dims: Mapping[str, int]) -> FlopCount:
    """FLOPs of one run with the symbolic input axes set to ``dims`` (e.g. ``{"batch": 1, "frames": 250}``)."""
    inferred, shapes = _inferred(model, dims)
    result = FlopCount()
    for node in inferred.graph.node:
        flops = _node_flops(node, shapes)
        if flops is None:
            result.uncounted += 1
        elif flops:
            result.total += flops
            result.by_op[node.op_type] += flops
    return result


def per_node(
    model: onnx.ModelProto | str | Path, dims: Mapping[str, int]
) -> dict[str, tuple[float, list[int]]]:
    """Each dense node's FLOPs and weight shape (``[]`` when unknown), by node name, at ``dims``."""
    inferred, shapes = _inferred(model, dims)
    out: dict[str, tuple[float, list[int]]] = {}
    for node in inferred.graph.node:
        if node.op_type in CONV_OPS or node.op_type == "ConvTranspose":
            weight = node.input[3] if node.op_type == "QLinearConv" else node.input[1]
            out[node.name] = (_node_flops(node, shapes) or 0.0, shapes.get(weight, []))
    return out


def _entry(count: FlopCount, basis: str, per_s: float) -> dict[str, Any]:
    return {
        "gflop": count.total / 1e9,
        "basis": basis,
        "gflop_per_audio_s": count.total / 1e9 / per_s,
        "by_op": dict(count.by_op),
        "uncounted": count.uncounted,
    }


def synthesis_flops(bundle: Bundle, tokens: int, audio_s: float, frames: int) -> dict[str, Any]:
    """GFLOP per second of audio of each synthesis graph of an fp32 bundle: the text encoder and duration
    predictor for a sentence of ``tokens`` ids that gives ``audio_s`` seconds, the decoder (``decoder.onnx``,
    else ``flow.onnx`` + ``vocoder.onnx``) for ``frames`` frames; the speaker encoder for 1 s of audio."""
    cfg = bundle.config
    sentence = f"{tokens} ids -> {audio_s:.2f} s of audio"
    per: dict[str, Any] = {}
    for graph in (GRAPH_TEXT_ENCODER, GRAPH_DURATION_PREDICTOR):
        per[graph] = _entry(
            count_flops(bundle.graph_path(graph), {"batch": 1, "tokens": tokens}), sentence, audio_s
        )
    dec_s = frames * cfg.hop_length / cfg.sample_rate
    decoding = [GRAPH_DECODER] if bundle.has_graph(GRAPH_DECODER) else [GRAPH_FLOW, GRAPH_VOCODER]
    dec = FlopCount()
    for graph in decoding:
        part = count_flops(bundle.graph_path(graph), {"batch": 1, "frames": frames})
        dec.total += part.total
        dec.by_op.update(part.by_op)
        dec.uncounted += part.uncounted
    per["decoder"] = _entry(dec, f"{' + '.join(decoding)}, {frames} frames = {dec_s:.2f} s of audio", dec_s)
    if bundle.has_graph(GRAPH_SPEAKER_ENCODER):
        se = count_flops(
            bundle.graph_path(GRAPH_SPEAKER_ENCODER), {"batch": 1, "audio_samples": cfg.sample_rate}
        )
        per[GRAPH_SPEAKER_ENCODER] = _entry(se, "1 s of reference audio (cloning only)", 1.0)
    total = sum(
        per[g]["gflop_per_audio_s"] for g in (GRAPH_TEXT_ENCODER, GRAPH_DURATION_PREDICTOR, "decoder")
    )
    per["synthesis_total_gflop_per_audio_s"] = total
    per["decoder_share"] = per["decoder"]["gflop_per_audio_s"] / total
    return per
