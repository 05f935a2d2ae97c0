"""Static INT8 quantisation (QDQ, calibrated) of HiFi-GAN inside a graph; the rest stays fp32.

Why only HiFi-GAN: it does ~95% of the decoder's arithmetic and ~90% of the whole model's, and it is
tolerant to 8-bit activations; the text encoder and duration predictor decide the durations (a
rounding change there shifts the whole utterance), and the flow is cheap.

Recipe, chosen by measurement (see the benchmark report): the ``/ num_kernels`` averages folded into the
next convolution and transposed convolutions rewritten as polyphase convolutions (:mod:`.surgery`), so
that every convolution becomes a ``QLinearConv`` and no fp32 op is left between them; weights int8 per
output channel, activations uint8 per tensor with MinMax ranges from calibration windows; Conv,
LeakyRelu, Add, Concat, Reshape and Transpose quantised so that the activations stay 8-bit between
convolutions (fewer Quantize/Dequantize passes). Dynamic quantisation (``ConvInteger``) was slower than
fp32 and is not offered.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from yourtts_onnx.optimize.split_decoder import find_vocoder_input
from yourtts_onnx.optimize.surgery import conv_transpose_to_conv, fold_scalar_div

log = logging.getLogger(__name__)

Feeds = Mapping[str, np.ndarray]
QUANTISED_OPS = ["Conv", "LeakyRelu", "Add", "Concat", "Reshape", "Transpose"]


def descendants(graph: onnx.GraphProto, tensor: str) -> list[str]:
    """Names of the nodes that depend on ``tensor`` (in graph order)."""
    reached = {tensor}
    names: list[str] = []
    for node in graph.node:  # graph order is topological
        if any(i in reached for i in node.input):
            reached.update(node.output)
            names.append(node.name)
    return names


def name_nodes(graph: onnx.GraphProto) -> None:
    seen: set[str] = set()
    for i, node in enumerate(graph.node):
        if not node.name or node.name in seen:
            node.name = f"{node.op_type}_{i}"
        seen.add(node.name)


class _Reader:
    """``onnxruntime.quantization.CalibrationDataReader`` over a fixed list of feeds."""

    def __init__(self, feeds: Iterable[Feeds]) -> None:
        self.items = [dict(f) for f in feeds]
        self._it = iter(self.items)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)

    def rewind(self) -> None:
        self._it = iter(self.items)


def quantize_vocoder(
    model: onnx.ModelProto,
    calibration: Iterable[Feeds],
    *,
    boundary: str | None = None,
    op_types: list[str] | None = None,
    per_channel: bool = True,
    rewrite: bool = True,
) -> onnx.ModelProto:
    """A copy of ``model`` with every node downstream of HiFi-GAN's input quantised to INT8 (QDQ).

    ``boundary``: HiFi-GAN's input tensor (default: found with :func:`find_vocoder_input`, before the
    polyphase rewrite); for a graph that *is* the vocoder, pass its input name. ``calibration``: feeds
    for the graph's inputs (a few windows of real activations). ``op_types``, ``per_channel`` and ``rewrite``
    (the Div fold and polyphase rewrite) exist to compare recipes; the defaults are the shipped one.
    """
    m = onnx.ModelProto()
    m.CopyFrom(model)
    boundary = boundary or find_vocoder_input(m.graph)
    rewritten = 0
    if rewrite:
        fold_scalar_div(m)
        rewritten = conv_transpose_to_conv(m)
    name_nodes(m.graph)
    nodes = descendants(m.graph, boundary)
    log.info(
        "quantising %d nodes after %s (%d transposed convolutions rewritten)", len(nodes), boundary, rewritten
    )
    return _static(m, model, calibration, nodes, op_types or QUANTISED_OPS, per_channel)


def quantize_nodes(
    model: onnx.ModelProto,
    calibration: Iterable[Feeds],
    nodes: list[str],
    *,
    op_types: list[str],
    per_channel: bool = True,
) -> onnx.ModelProto:
    """A copy of ``model`` with the named nodes of ``op_types`` quantised to INT8 (static QDQ, weights int8
    per output channel, activations uint8 per tensor, MinMax ranges from ``calibration``); everything else
    stays fp32. Nodes must be named (:func:`name_nodes`)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    return _static(m, model, calibration, nodes, op_types, per_channel)


def _static(
    m: onnx.ModelProto,
    model: onnx.ModelProto,
    calibration: Iterable[Feeds],
    nodes: list[str],
    op_types: list[str],
    per_channel: bool,
) -> onnx.ModelProto:
    from onnxruntime.quantization import quantize_static

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser's generic "consider pre-processing" advice
    with tempfile.TemporaryDirectory(prefix="yourtts-quant-") as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        onnx.save(m, os.fspath(src))
        try:
            _quantize(quantize_static, src, dst, calibration, nodes, op_types, per_channel)
        finally:
            root.setLevel(level)
        out = onnx.load(os.fspath(dst))
    del out.metadata_props[:]
    for meta in model.metadata_props:
        out.metadata_props.add().CopyFrom(meta)
    return out


def _quantize(
    quantize_static: Any,
    src: Path,
    dst: Path,
    calibration: Iterable[Feeds],
    nodes: list[str],
    op_types: list[str],
    per_channel: bool,
) -> None:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType

    quantize_static(
        os.fspath(src),
        os.fspath(dst),
        _Reader(calibration),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=op_types,
        nodes_to_quantize=nodes,
        per_channel=per_channel,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        extra_options={"CalibTensorRangeSymmetric": False},
    )


def quantize_dynamic_convs(
    model: onnx.ModelProto, *, per_channel: bool, signed_weights: bool
) -> onnx.ModelProto:
    """Dynamic quantisation of every Conv (``ConvInteger``, activations quantised at run time). Not shipped:
    kept to measure it (it was slower than fp32 with int8 weights and barely faster with uint8 weights)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="yourtts-quant-") as tmp:
            src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
            onnx.save(model, os.fspath(src))
            quantize_dynamic(
                os.fspath(src),
                os.fspath(dst),
                op_types_to_quantize=["Conv"],
                per_channel=per_channel,
                weight_type=QuantType.QInt8 if signed_weights else QuantType.QUInt8,
            )
            return onnx.load(os.fspath(dst))
    finally:
        root.setLevel(level)
