"""An INT8 graph's second copy for ONNX Runtime's CPU provider: channels-last from its input to its output.

ONNX Runtime's CPU provider runs a QDQ INT8 convolution as ``com.microsoft:QLinearConv`` in NHWC
(channels-last) but leaves the ops around it (``QLinearAdd`` of the residual connections,
``QLinearLeakyRelu``) in NCHW, so the optimised HiFi-GAN pays a ``Transpose`` before and after nearly every
convolution: 55 in the full-size vocoder, 16% of its kernel time (``benchmarks/vocoder_profile``). Its
transpose optimiser does not sink them through the residual adds (the skip input is NCHW too), so the
layout is fixed here, once, when an INT8 bundle is made:

1. ONNX Runtime optimises the portable INT8 graph at level ``all`` on the CPU provider and saves the result
   (:func:`~yourtts_onnx.runtime.session.create_session` with ``save_optimized``);
2. :func:`strip_layout_transposes` removes every ``[0, 2, 1]`` transpose between integer ops: the
   elementwise ops do not care about layout as long as both inputs share it, and the convolutions and
   concatenations are already channels-last; the polyphase upsamplers' interleave (``[B, T, s*C]`` →
   ``[B, T*s, C]``) becomes one ``Reshape``. Only the transposes after the input's ``QuantizeLinear`` and
   before the output's ``DequantizeLinear`` stay;
3. the derive step (:mod:`.derive`) runs both graphs on the calibration latents and ships the copy only if it
   gives the portable graph's samples (``CPU_COPY_ATOL``); else it says why and the bundle goes without.

The copy uses ONNX Runtime's contrib operators, so it is written beside the portable ``vocoder.onnx``
(``config.json``: ``graphs.vocoder.cpu_file``), never instead of it: the browser, CUDA and other runtimes read
the portable graph; the runtime loads the copy only when every session is on the CPU provider
(:func:`yourtts_onnx.runtime.backends.load_graph`). Export side: needs ``onnx``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from yourtts_onnx.errors import ExportError
from yourtts_onnx.optimize.graph_tools import attr, consumers, initializers
from yourtts_onnx.runtime.session import CPU, SessionOptions, create_session

#: the copy must give the portable graph's samples: the integer kernels are the same, only the layout moves
#: (measured: bit-identical, 0.0)
CPU_COPY_ATOL = 1e-6
#: operator domains the saved copy may use: standard ONNX and ONNX Runtime's portable contrib ops (not the
#: machine-specific ``com.microsoft.nchwc`` blocked layouts, whose block size depends on the CPU)
ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "com.microsoft"})
_TO_CHANNELS_FIRST = [0, 2, 1]
#: the copy's ``layout`` metadata entry
LAYOUT = "channels-last (ONNX Runtime CPU provider, com.microsoft integer ops)"

OPTIMISE_OPTIONS = SessionOptions(threads=1, providers=[CPU], graph_optimization="all")


@dataclass(frozen=True)
class CpuCopy:
    """The rewritten graph and what the rewrite did."""

    model: onnx.ModelProto
    transposes_before: int
    transposes_after: int


def strip_layout_transposes(model: onnx.ModelProto) -> int:
    """Remove, in place, the layout transposes of a graph ONNX Runtime optimised for its CPU provider;
    returns the nodes removed. The result is checked by running it (see the module doc), not trusted."""
    g = model.graph
    inits = initializers(g)
    producer = {o: n for n in g.node for o in n.output}
    users = consumers(g)
    remove: set[int] = set()
    rename: dict[str, str] = {}
    replace: dict[int, onnx.NodeProto] = {}
    for n in g.node:
        if n.op_type != "Transpose" or attr(n, "perm") != _TO_CHANNELS_FIRST:
            continue
        src = producer.get(n.input[0])
        readers = users.get(n.output[0], [])
        # the boundaries stay: after the graph input's QuantizeLinear, before the output's DequantizeLinear
        if (
            src is None
            or src.op_type == "QuantizeLinear"
            or any(r.op_type == "DequantizeLinear" for r in readers)
        ):
            continue
        if src.op_type == "QLinearConcat":
            # a polyphase upsampler's interleave: Transpose → Reshape [B, s, C, T] → Transpose → Reshape
            # [B, C, T*s]; channels-last, [B, T, s*C] → [B, T*s, C] is one Reshape
            chain = _interleave_chain(n, users)
            if chain is None:
                raise ExportError(f"unexpected nodes after the channels-last concatenation {src.name!r}")
            first_reshape, transpose, last_reshape = chain
            channels = int(numpy_helper.to_array(inits[last_reshape.input[1]])[1])
            shape_name = f"{last_reshape.name}_channels_last_shape"
            g.initializer.append(numpy_helper.from_array(np.array([0, -1, channels], np.int64), shape_name))
            replace[id(last_reshape)] = helper.make_node(
                "Reshape",
                [n.input[0], shape_name],
                [last_reshape.output[0]],
                name=f"{last_reshape.name}_nhwc",
            )
            remove.update(id(x) for x in (n, first_reshape, transpose, last_reshape))
            continue
        remove.add(id(n))
        rename[n.output[0]] = n.input[0]
    nodes: list[onnx.NodeProto] = []
    for n in g.node:
        if id(n) in replace:
            nodes.append(replace[id(n)])
        if id(n) in remove:
            continue
        for i, name in enumerate(n.input):
            while name in rename:
                name = rename[name]
            n.input[i] = name
        nodes.append(n)
    removed = len(remove)
    del g.node[:]
    g.node.extend(nodes)
    del g.value_info[:]  # shapes inferred for the channels-first layout no longer hold
    return removed


def _interleave_chain(
    first: onnx.NodeProto, users: dict[str, list[onnx.NodeProto]]
) -> tuple[onnx.NodeProto, onnx.NodeProto, onnx.NodeProto] | None:
    ops: list[onnx.NodeProto] = []
    x = first.output[0]
    for want in ("Reshape", "Transpose", "Reshape"):
        readers = users.get(x, [])
        if len(readers) != 1 or readers[0].op_type != want:
            return None
        ops.append(readers[0])
        x = readers[0].output[0]
    return ops[0], ops[1], ops[2]


def _domains(model: onnx.ModelProto) -> set[str]:
    return {n.domain for n in model.graph.node}


def channels_last_copy(model: onnx.ModelProto, name: str) -> CpuCopy:
    """ONNX Runtime's CPU-optimised ``model`` (weights loaded), channels-last end to end."""
    with tempfile.TemporaryDirectory(prefix="yourtts-cpu-copy-") as tmp:
        saved = Path(tmp) / f"{name}.onnx"
        create_session(model.SerializeToString(), OPTIMISE_OPTIONS, name=f"{name}.onnx", save_optimized=saved)
        optimised = onnx.load(str(saved))
    odd = _domains(optimised) - ALLOWED_DOMAINS
    if odd:
        raise ExportError(
            f"{name}: ONNX Runtime's optimised graph uses machine-specific operators ({sorted(odd)})"
        )
    before = sum(n.op_type == "Transpose" for n in optimised.graph.node)
    strip_layout_transposes(optimised)
    after = sum(n.op_type == "Transpose" for n in optimised.graph.node)
    return CpuCopy(optimised, before, after)


def max_difference(
    portable: onnx.ModelProto, copy: onnx.ModelProto, feeds: Sequence[dict[str, np.ndarray]], name: str
) -> float:
    """Largest absolute difference between the two graphs' first outputs over ``feeds`` (CPU, one thread)."""
    options = SessionOptions(threads=1, providers=[CPU])
    a = create_session(portable.SerializeToString(), options, name=f"{name}.onnx")
    b = create_session(copy.SerializeToString(), options, name=f"{name} copy")  # as the runtime loads it
    worst = 0.0
    for feed in feeds:
        (x,) = a.run([a.get_outputs()[0].name], feed)
        (y,) = b.run([b.get_outputs()[0].name], feed)
        if x.shape != y.shape:
            return float("inf")
        worst = max(worst, float(np.max(np.abs(x.astype(np.float64) - y))))
    return worst
