"""Split ``decoder.onnx`` at HiFi-GAN's input into ``flow.onnx`` and ``vocoder.onnx`` (graph surgery).

Every export now writes ``flow.onnx`` and ``vocoder.onnx`` itself (traced from the model); this surgery
gives older bundles, which only have ``decoder.onnx``, the same two graphs (``quantize`` does it).

The flow has a wide receptive field (32 frames each way for YourTTS) but does ~6% of the decoder's work;
HiFi-GAN does the rest with a 7-frame field (``config.json`` records both). Chunked streaming over the two
graphs pays the flow's context only in the cheap graph, so the first window and every seam cost far less
than with the fused decoder.

* ``flow.onnx``: ``z_p [B, C, F]`` (the sampled latent), ``frame_lengths [B]``, ``speaker_embedding [B, D]``
  → ``z [B, C, F]`` (flow reversed, masked);
* ``vocoder.onnx``: ``z [B, C, F]``, ``speaker_embedding [B, D]`` → ``output [B, 1, F * hop]``.

Run back to back they compute exactly what ``decoder.onnx`` computes with ``noise_scale = 0``.
"""

from __future__ import annotations

import onnx
from onnx import utils as onnx_utils

from yourtts_onnx.errors import ExportError
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.graph_catalog import Z_P, Z


def _producers(graph: onnx.GraphProto) -> dict[str, onnx.NodeProto]:
    return {out: node for node in graph.node for out in node.output}


def _ancestors(graph: onnx.GraphProto, tensor: str) -> set[str]:
    """First output names of every node the tensor depends on."""
    producers = _producers(graph)
    seen: set[str] = set()
    stack = [tensor]
    while stack:
        node = producers.get(stack.pop())
        if node is None or node.output[0] in seen:
            continue
        seen.add(node.output[0])
        stack.extend(node.input)
    return seen


def _kernel(node: onnx.NodeProto) -> list[int]:
    for attr in node.attribute:
        if attr.name == "kernel_shape":
            return list(attr.ints)
    return []


def find_latent(graph: onnx.GraphProto) -> str:
    """The tensor ``z_p = m_p + noise``: the output of the ``Add`` that takes ``m_p`` directly."""
    for node in graph.node:
        if node.op_type == "Add" and cat.M_P in node.input:
            return node.output[0]
    raise ExportError("decoder graph: cannot find z_p = m_p + noise (an Add taking m_p)")


def find_vocoder_input(graph: onnx.GraphProto) -> str:
    """The input of HiFi-GAN's ``conv_pre``: the last wide-kernel Conv before the first ConvTranspose."""
    nodes = list(graph.node)
    first_up = next((n for n in nodes if n.op_type == "ConvTranspose"), None)
    if first_up is None:
        raise ExportError("decoder graph: no ConvTranspose, so no HiFi-GAN to split off")
    before = _ancestors(graph, first_up.input[0])
    convs = [n for n in nodes if n.output[0] in before and n.op_type == "Conv" and max(_kernel(n) or [1]) > 1]
    if not convs:
        raise ExportError("decoder graph: cannot find HiFi-GAN's input convolution")
    return convs[-1].input[0]


def _rename(model: onnx.ModelProto, old: str, new: str) -> None:
    g = model.graph
    for node in g.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = new
    for value in (*g.input, *g.output, *g.value_info):
        if value.name == old:
            value.name = new


def _extract(model: onnx.ModelProto, inputs: list[str], outputs: list[str]) -> onnx.ModelProto:
    inferred = onnx.shape_inference.infer_shapes(model)
    extractor = onnx_utils.Extractor(inferred)
    sub = extractor.extract_model(inputs, outputs)
    del sub.graph.value_info[:]
    for meta in model.metadata_props:
        sub.metadata_props.add().CopyFrom(meta)
    sub.producer_name, sub.producer_version = model.producer_name, model.producer_version
    return sub


def _set_symbolic_dims(model: onnx.ModelProto, name: str, dims: list[str]) -> None:
    for value in model.graph.input if name in {v.name for v in model.graph.input} else model.graph.output:
        if value.name == name:
            shape = value.type.tensor_type.shape
            for d, sym in zip(shape.dim, dims, strict=False):
                if sym:
                    d.ClearField("dim_value")
                    d.dim_param = sym


def split_decoder(decoder: onnx.ModelProto) -> tuple[onnx.ModelProto, onnx.ModelProto]:
    """``(flow, vocoder)`` models cut out of a decoder model (weights included, inputs renamed)."""
    model = onnx.ModelProto()
    model.CopyFrom(decoder)
    g = model.graph
    latent = find_latent(g)
    boundary = find_vocoder_input(g)
    # the mask takes its length from Shape(m_p): read it from z_p (same shape) so m_p is not needed
    upstream = _ancestors(g, latent)
    for node in g.node:
        if node.output[0] not in upstream and node.output[0] != latent:
            for i, name in enumerate(node.input):
                if name == cat.M_P:
                    node.input[i] = latent
    flow = _extract(model, [latent, cat.FRAME_LENGTHS, cat.SPEAKER_EMBEDDING], [boundary])
    vocoder = _extract(model, [boundary, cat.SPEAKER_EMBEDDING], [cat.WAVEFORM])
    _rename(flow, latent, Z_P)
    _rename(flow, boundary, Z)
    _rename(vocoder, boundary, Z)
    _set_symbolic_dims(flow, Z_P, ["batch", "", "frames"])
    _set_symbolic_dims(flow, Z, ["batch", "", "frames"])
    _set_symbolic_dims(vocoder, Z, ["batch", "", "frames"])
    for sub in (flow, vocoder):
        onnx.checker.check_model(sub)
    return flow, vocoder
