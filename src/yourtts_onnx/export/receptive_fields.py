"""Receptive fields of the decoder's stages in frames, computed from the layers the model was built with.

Chunked decoding (streaming within a sentence) decodes windows of frames with context on both sides. It is
exact when the context covers the stage's receptive field: output frame ``f`` depends only on input frames
``[f - left, f + right]``. ``config.json`` records the field of each stage (``receptive_fields``) so that a
host can chunk any checkpoint's decoder, not only one with YourTTS's sizes.

The field is computed exactly by carrying an interval of output positions backwards through every layer,
reading each layer's kernel size, dilation, padding and stride from the module itself:

* convolution (kernel ``k``, dilation ``d``, padding ``p``, stride 1): outputs ``[a, b]`` read inputs
  ``[a - p, b - p + d (k - 1)]``;
* transposed convolution (kernel ``k``, stride ``s``, padding ``p``): output ``o`` adds input ``i`` times tap
  ``o + p - i s`` when that lies in ``[0, k)``, so ``[a, b]`` reads ``[ceil((a + p - k + 1) / s), floor((b + p) / s)]``;
* a residual connection or a sum of parallel blocks reads the union of what its branches read; pointwise
  operations (activations, masks, the speaker conditioning, which is constant over time) read nothing more.

The flow is four residual couplings whose WaveNet stacks read through every dilated layer; HiFi-GAN is
``conv_pre``, then per upsampling stage a transposed convolution and parallel residual blocks, then
``conv_post``. A vocoder output frame is the ``hop`` samples ``[f * hop, (f + 1) * hop)``. The decoder
(flow, then vocoder) reads the sum of the two fields.

Export checks the result twice: :func:`measure_reach` changes one input frame of the torch flow and vocoder
(in float64) and finds which output frames change, which must lie within the recorded field (tests check
that they fill it exactly); and :mod:`yourtts_onnx.export.field_check` decodes the exported graphs in
windows. The first is exact but cannot see the decoder's far edge (a product of both stages' far taps, it
rounds away even in float64); the second is what a streaming host does, but with random weights the far taps
matter so little that only a field several frames too small shows seams.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from yourtts_onnx.export.model.decoder import HifiganGenerator, ResBlock1, ResBlock2
from yourtts_onnx.export.model.flow import ResidualCouplingBlock, ResidualCouplingBlocks
from yourtts_onnx.export.model.layers import WaveNet
from yourtts_onnx.export.model.yourtts import YourTTS
from yourtts_onnx.export.verify import CaseResult, GraphReport
from yourtts_onnx.runtime.bundle import GRAPH_DECODER, GRAPH_FLOW, GRAPH_VOCODER, ReceptiveField

Span = tuple[int, int]  # [first, last] positions, inclusive


def _one(value: int | tuple[int, ...]) -> int:
    return value if isinstance(value, int) else int(value[0])


def _hull(*spans: Span) -> Span:
    return min(s[0] for s in spans), max(s[1] for s in spans)


def conv_reads(span: Span, conv: nn.Conv1d) -> Span:
    """Input positions a stride-1 ``Conv1d`` reads for outputs ``span``."""
    if _one(conv.stride) != 1:
        raise ValueError(f"receptive field: strided convolution {conv} is not supported")
    if isinstance(conv.padding, str):
        raise ValueError(f"receptive field: string padding of {conv} is not supported")
    k, d, p = _one(conv.kernel_size), _one(conv.dilation), _one(conv.padding)
    return span[0] - p, span[1] - p + d * (k - 1)


def conv_transpose_reads(span: Span, conv: nn.ConvTranspose1d) -> Span:
    """Input positions a ``ConvTranspose1d`` reads for outputs ``span``."""
    k, s, p = _one(conv.kernel_size), _one(conv.stride), _one(conv.padding)
    if _one(conv.dilation) != 1:
        raise ValueError(f"receptive field: dilated transposed convolution {conv} is not supported")
    return -((-(span[0] + p - k + 1)) // s), (span[1] + p) // s


def wavenet_reads(span: Span, net: WaveNet) -> Span:
    # layer i reads x_i; x_{i+1} = x_i + f(conv_i(x_i)) and the output sums every layer's skip branch,
    # so going backwards each layer's convolution widens what the previous layers must provide
    for conv in reversed(net.in_layers):
        span = _hull(span, conv_reads(span, conv))
    return span


def coupling_reads(span: Span, block: ResidualCouplingBlock) -> Span:
    inner = conv_reads(wavenet_reads(conv_reads(span, block.post), block.enc), block.pre)
    return _hull(span, inner)


def flow_span(flow: ResidualCouplingBlocks) -> Span:
    """Frames of ``z_p`` one frame of ``z`` depends on, relative to that frame (0)."""
    span: Span = (0, 0)
    for block in flow.flows:  # the flow runs its blocks last to first, so backwards they come first to last
        span = coupling_reads(span, block)
    return span


def resblock_reads(span: Span, block: nn.Module) -> Span:
    if isinstance(block, ResBlock1):
        for c1, c2 in reversed(list(zip(block.convs1, block.convs2, strict=True))):
            span = _hull(span, conv_reads(conv_reads(span, c2), c1))
        return span
    if isinstance(block, ResBlock2):
        for conv in reversed(block.convs):
            span = _hull(span, conv_reads(span, conv))
        return span
    raise ValueError(f"receptive field: unknown residual block {type(block).__name__}")


def vocoder_span(generator: HifiganGenerator) -> Span:
    """Frames of ``z`` one output frame (``hop`` samples) depends on, relative to that frame (0)."""
    hop = 1
    for up in generator.ups:
        hop *= _one(up.stride)
    span: Span = conv_reads((0, hop - 1), generator.conv_post)
    k = generator.num_kernels
    for i in reversed(range(generator.num_upsamples)):
        blocks = [generator.resblocks[i * k + j] for j in range(k)]
        span = _hull(*(resblock_reads(span, b) for b in blocks))
        span = conv_transpose_reads(span, generator.ups[i])
    return conv_reads(span, generator.conv_pre)


def _field(span: Span) -> ReceptiveField:
    return ReceptiveField(max(0, -span[0]), max(0, span[1]))


def decoder_receptive_fields(model: YourTTS) -> dict[str, ReceptiveField]:
    """``{"flow", "vocoder", "decoder"}`` → receptive field in frames, each side."""
    flow = _field(flow_span(model.flow))
    vocoder = _field(vocoder_span(model.waveform_decoder))
    return {GRAPH_DECODER: flow + vocoder, GRAPH_FLOW: flow, GRAPH_VOCODER: vocoder}


def _changed_span(before: torch.Tensor, after: torch.Tensor, frames: int) -> tuple[int, int] | None:
    changed = (after - before).abs().reshape(before.shape[0], -1, frames, before.shape[-1] // frames)
    hit = torch.nonzero(changed.amax(dim=(0, 1, 3)) > 0).flatten()
    return (int(hit.min()), int(hit.max())) if hit.numel() else None


def measure_reach(
    model: YourTTS, fields: dict[str, ReceptiveField], margin: int = 8
) -> dict[str, ReceptiveField]:
    """Reach of the flow and the vocoder measured on float64 copies: one input frame changed, the output
    frames that change give ``[left, right]``. Inputs are sized to show a reach up to ``margin`` frames
    beyond ``fields`` on each side; a stage whose change reaches nothing measures ``[0, 0]``."""
    gen = torch.Generator().manual_seed(0)
    channels = model.args.hidden_channels
    g = model.speaker_condition(torch.randn(1, model.args.d_vector_dim, generator=gen, dtype=torch.float64))
    stages = {
        GRAPH_FLOW: copy.deepcopy(model.flow).double(),
        GRAPH_VOCODER: copy.deepcopy(model.waveform_decoder).double(),
    }
    out: dict[str, ReceptiveField] = {}
    with torch.no_grad():
        # keep the vocoder's output off tanh's saturation, where a change could round away (the scale of
        # conv_post's weights does not change which frames are read)
        stages[GRAPH_VOCODER].conv_post.weight.mul_(1e-3)
        for name, module in stages.items():
            field = fields[name]
            at = field.right + margin
            frames = field.left + field.right + 1 + 2 * margin
            x = torch.randn(1, channels, frames, generator=gen, dtype=torch.float64)
            bumped = x.clone()
            bumped[:, :, at] += torch.randn(channels, generator=gen, dtype=torch.float64)
            if name == GRAPH_FLOW:
                mask = torch.ones(1, 1, frames, dtype=torch.float64)
                before, after = module.reverse(x, mask, g=g), module.reverse(bumped, mask, g=g)
            else:
                before, after = module(x, g=g), module(bumped, g=g)
            span = _changed_span(before, after, frames)
            # output frame f reads inputs [f - left, f + right], so input `at` reaches f in [at - right, at + left]
            out[name] = (
                ReceptiveField(max(0, span[1] - at), max(0, at - span[0])) if span else ReceptiveField(0, 0)
            )
    return out


def check_measured_reach(report: GraphReport, model: YourTTS, fields: dict[str, ReceptiveField]) -> None:
    """Add to ``report`` one case per stage of :func:`measure_reach`, and a failure for a stage whose measured
    reach exceeds its recorded field, or a decoder field that is not the sum of the flow's and the vocoder's."""
    for name, reach in measure_reach(model, fields).items():
        recorded = fields[name]
        desc = f"{name} {recorded.to_list()}: one changed frame reaches {reach.to_list()} (torch, float64)"
        report.cases.append(CaseResult(desc, 0.0, math.inf, None))
        if reach.left > recorded.left or reach.right > recorded.right:
            report.failures.append(f"{report.graph} [{desc}]: the recorded receptive field is too small")
    if fields[GRAPH_DECODER] != fields[GRAPH_FLOW] + fields[GRAPH_VOCODER]:
        report.failures.append(
            f"{report.graph}: decoder field {fields[GRAPH_DECODER].to_list()} is not flow + vocoder "
            f"({fields[GRAPH_FLOW].to_list()} + {fields[GRAPH_VOCODER].to_list()})"
        )
