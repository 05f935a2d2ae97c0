"""Graph rewrites that remove work or make it quantisable.

:func:`fold_scalar_div`: HiFi-GAN's ``/ num_kernels`` after each stage folded into the next convolution.

:func:`conv_transpose_to_conv`: a 1-D ``ConvTranspose`` with stride ``s``, kernel ``K`` and padding ``p``
where ``K - 2p == s`` (all of HiFi-GAN's upsamplers) is rewritten as its polyphase form. Output sample
``n*s + r`` is ``sum_j x[n + a_r - j] @ W[b_r + j*s]`` with ``a_r = (r + p) // s``, ``b_r = (r + p) % s``:
one ordinary convolution per group of phases that use the same input offsets (two groups for HiFi-GAN,
kernel 2 each, asymmetric padding), their outputs concatenated on channels and interleaved back to time
by Reshape/Transpose/Reshape. Same multiply-adds as the transposed convolution, no col2im scatter, and
ordinary ``Conv`` nodes that INT8 quantisation turns into ``QLinearConv``.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper, numpy_helper

from yourtts_onnx.optimize.graph_tools import (
    NameMaker,
    add_constant,
    attr,
    drop_unused_initializers,
    initializers,
    replace_node,
)


def _phase_groups(kernel: int, stride: int, pad: int) -> list[tuple[int, int, list[int]]]:
    """``[(a, taps, phases)]``: phases r sharing input offsets ``a - taps + 1 .. a``."""
    groups: dict[tuple[int, int], list[int]] = {}
    for r in range(stride):
        a, b = divmod(r + pad, stride)
        taps = math.ceil((kernel - b) / stride)
        groups.setdefault((a, taps), []).append(r)
    return [(a, taps, phases) for (a, taps), phases in groups.items()]


def _rewritable(node: onnx.NodeProto, weight: np.ndarray) -> bool:
    if node.op_type != "ConvTranspose" or weight.ndim != 3:
        return False
    (kernel,) = attr(node, "kernel_shape", [weight.shape[2]])
    (stride,) = attr(node, "strides", [1])
    pads = attr(node, "pads", [0, 0])
    if attr(node, "group", 1) != 1 or list(attr(node, "dilations", [1])) != [1]:
        return False
    if attr(node, "output_padding") not in (None, [0]) or attr(node, "output_shape") is not None:
        return False
    if pads[0] != pads[1] or kernel - 2 * pads[0] != stride or stride < 2:
        return False
    return all(0 <= a <= taps - 1 for a, taps, _ in _phase_groups(kernel, stride, pads[0]))


def _rewrite(
    graph: onnx.GraphProto, node: onnx.NodeProto, weight: np.ndarray, bias: np.ndarray | None, name: NameMaker
) -> list[onnx.NodeProto]:
    c_in, c_out, kernel = weight.shape
    (stride,) = attr(node, "strides")
    pad = attr(node, "pads")[0]
    x = node.input[0]
    nodes: list[onnx.NodeProto] = []
    parts: list[str] = []
    for a, taps, phases in _phase_groups(kernel, stride, pad):
        # Conv weight [len(phases) * c_out, c_in, taps]; tap t reads x[n + a - taps + 1 + t] = W[b + (taps-1-t)*s]
        w = np.zeros((len(phases), c_out, c_in, taps), dtype=weight.dtype)
        for i, r in enumerate(phases):
            b = (r + pad) % stride
            for t in range(taps):
                k = b + (taps - 1 - t) * stride
                if k < kernel:
                    w[i, :, :, t] = weight[:, :, k].T
        w_name = add_constant(graph, name("w"), w.reshape(len(phases) * c_out, c_in, taps))
        inputs = [x, w_name]
        if bias is not None:
            inputs.append(add_constant(graph, name("b"), np.tile(bias, len(phases))))
        out = name("phases")
        nodes.append(
            helper.make_node(
                "Conv",
                inputs,
                [out],
                name=name("Conv"),
                kernel_shape=[taps],
                pads=[taps - 1 - a, a],
            )
        )
        parts.append((phases[0], out))
    parts_sorted = [out for _, out in sorted(parts)]
    stacked = parts_sorted[0]
    if len(parts_sorted) > 1:
        stacked = name("stacked")
        nodes.append(helper.make_node("Concat", parts_sorted, [stacked], name=name("Concat"), axis=1))
    # [B, s*C, N] -> [B, s, C, N] -> [B, C, N, s] -> [B, C, N*s]
    shape4 = add_constant(graph, name("shape4"), np.array([0, stride, c_out, -1], dtype=np.int64))
    shape3 = add_constant(graph, name("shape3"), np.array([0, c_out, -1], dtype=np.int64))
    r4, tr = name("split_phases"), name("interleave")
    nodes += [
        helper.make_node("Reshape", [stacked, shape4], [r4], name=name("Reshape")),
        helper.make_node("Transpose", [r4], [tr], name=name("Transpose"), perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", [tr, shape3], [node.output[0]], name=name("Reshape")),
    ]
    return nodes


def conv_transpose_to_conv(model: onnx.ModelProto) -> int:
    """Rewrite every eligible 1-D ConvTranspose in place; returns how many were rewritten."""
    graph = model.graph
    inits = initializers(graph)
    name = NameMaker(graph, "polyphase")
    done = 0
    for node in [n for n in graph.node if n.op_type == "ConvTranspose"]:
        if node.input[1] not in inits:
            continue
        weight = numpy_helper.to_array(inits[node.input[1]])
        if not _rewritable(node, weight):
            continue
        bias = None
        if len(node.input) > 2 and node.input[2]:
            if node.input[2] not in inits:
                continue
            bias = numpy_helper.to_array(inits[node.input[2]])
        replace_node(graph, node, _rewrite(graph, node, weight, bias, name))
        done += 1
    if done:
        drop_unused_initializers(graph)
    return done


def fold_scalar_div(model: onnx.ModelProto) -> int:
    """Remove ``Div(x, c) -> LeakyRelu -> Conv/ConvTranspose`` divisions by a positive constant ``c`` (HiFi-GAN's
    average of its residual blocks) by scaling the convolutions' weights by ``1/c``: LeakyRelu is positively
    homogeneous, so ``conv(lrelu(x / c)) == (W / c) * lrelu(x) + b``. Returns how many were folded."""
    graph = model.graph
    inits = initializers(graph)
    users: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    rewire: dict[str, str] = {}  # LeakyRelu output -> its new input (the Div's numerator)
    removed: set[str] = set()
    for div in [n for n in graph.node if n.op_type == "Div"]:
        if div.input[1] not in inits:
            continue
        c = numpy_helper.to_array(inits[div.input[1]])
        if c.size != 1 or not float(c.reshape(-1)[0]) > 0:
            continue
        after = users.get(div.output[0], [])
        if len(after) != 1 or after[0].op_type != "LeakyRelu":
            continue
        act = after[0]
        convs = users.get(act.output[0], [])
        if not convs or any(
            n.op_type not in ("Conv", "ConvTranspose") or n.input[0] != act.output[0] for n in convs
        ):
            continue
        weights = [n.input[1] for n in convs]
        if any(w not in inits or len(users.get(w, [])) != 1 for w in weights):
            continue  # shared or computed weights: leave alone
        scale = 1.0 / float(c.reshape(-1)[0])
        for w in weights:
            value = numpy_helper.to_array(inits[w]) * np.float32(scale)
            inits[w].CopyFrom(numpy_helper.from_array(value.astype(np.float32), w))
        rewire[act.output[0]] = div.input[0]
        removed.add(div.output[0])
    if removed:
        kept = []
        for node in graph.node:
            if node.output[0] in removed:
                continue
            if node.output[0] in rewire:
                node.input[0] = rewire[node.output[0]]
            kept.append(node)
        del graph.node[:]
        graph.node.extend(kept)
        drop_unused_initializers(graph)
    return len(removed)
