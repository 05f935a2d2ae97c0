"""Which graphs of an INT8 bundle are quantised beyond HiFi-GAN, and the nodes each choice selects.

HiFi-GAN (``vocoder``, and inside ``decoder``/``model``) is always INT8 (:func:`.quantize.quantize_vocoder`).
A recipe may add, each as static QDQ (int8 weights per output channel, uint8 activations per tensor,
MinMax calibration on the bundle's own activations), quantising only the graph the default (``split``)
backend runs (``flow.onnx``, ``text_encoder.onnx``; ``decoder``/``model`` keep those parts fp32):

* ``flow``: ``"wavenet"`` — the coupling layers' WaveNet convolutions (dilated ``in_layers`` and 1×1
  ``res_skip_layers``; the gated tanh·sigmoid between them stays fp32); ``"all"`` — also each coupling
  layer's ``pre``/``post`` 1×1 convolutions (``post`` writes the shift added to the latent). The
  speaker-conditioning convolution (``cond_layer``) is never quantised (run once per window, fp16 weights).
* ``text_encoder``: ``"convs"`` — the transformer's attention projections (``conv_q/k/v/o``) and FFN
  convolutions (``conv_1/2``); ``"convs+matmul"`` — also the attention score/value MatMuls. The text encoder
  decides durations: a recipe is shipped only when durations stay equal at noise 0 (see
  :mod:`yourtts_onnx.bench.int8_quality`).

The duration predictor is never quantised: it is tiny (a few % of a sentence's time) and a ``ceil`` of its
output decides every frame after it.

Measured on a live full-size checkpoint (``benchmarks/int8_quality/``, ``benchmarks/results/``, issue 22): the
flow recipes pass every gate (0/1028 tokens changed, SNR 36 dB — HiFi-GAN's error dominates — speaker cosine
≥ 0.9988); on a quiet machine ``wavenet`` is 1.14× the HiFi-GAN-only recipe's speed (the flow's share of an
INT8 sentence falls from ~18% to ~7%), ``all`` 1.09× (its extra Quantize/DequantizeLinear pairs around the
1×1 convolutions cost more than they save). The text encoder recipes change durations at noise 0 (7–9 of 1028
tokens): they fail. :data:`SHIPPED` is HiFi-GAN + the flow's WaveNet convolutions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import onnx

FLOW_CHOICES = ("none", "wavenet", "all")
TEXT_ENCODER_CHOICES = ("none", "convs", "convs+matmul")


@dataclass(frozen=True)
class Int8Recipe:
    flow: str = "none"
    text_encoder: str = "none"

    def __post_init__(self) -> None:
        if self.flow not in FLOW_CHOICES:
            raise ValueError(f"unknown flow recipe {self.flow!r}; choose one of {', '.join(FLOW_CHOICES)}")
        if self.text_encoder not in TEXT_ENCODER_CHOICES:
            raise ValueError(
                f"unknown text encoder recipe {self.text_encoder!r}; "
                f"choose one of {', '.join(TEXT_ENCODER_CHOICES)}"
            )

    @property
    def label(self) -> str:
        parts = ["HiFi-GAN"]
        if self.flow != "none":
            parts.append(f"flow {self.flow}")
        if self.text_encoder != "none":
            parts.append(f"text encoder {self.text_encoder}")
        return " + ".join(parts)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


#: the recipe ``yourtts-onnx quantize --precision int8`` ships: what passed every gate on a live full-size
#: checkpoint and pays on a quiet machine (benchmarks/int8_quality/, benchmarks/results/)
SHIPPED = Int8Recipe(flow="wavenet")


def _where(node: onnx.NodeProto) -> str:
    """The node's name and inputs with ``/`` as ``.``: module paths like ``flows.0.enc.in_layers.1``."""
    return " ".join([node.name, *node.input]).replace("/", ".")


def _matching(
    graph: onnx.GraphProto, ops: tuple[str, ...], include: tuple[str, ...], exclude: tuple[str, ...]
) -> list[str]:
    return [
        n.name
        for n in graph.node
        if n.op_type in ops
        and any(k in _where(n) for k in include)
        and not any(k in _where(n) for k in exclude)
    ]


def flow_nodes(graph: onnx.GraphProto, choice: str) -> list[str]:
    """Names of the flow's nodes quantised by ``choice`` (nodes must be named)."""
    if choice == "none":
        return []
    include = ("in_layers.", "res_skip_layers.") + ((".pre", ".post") if choice == "all" else ())
    return _matching(graph, ("Conv",), include, ("cond_layer",))


def text_encoder_nodes(graph: onnx.GraphProto, choice: str) -> list[str]:
    if choice == "none":
        return []
    include = ("conv_q", "conv_k", "conv_v", "conv_o", "conv_1", "conv_2")
    names = _matching(graph, ("Conv",), include, ())
    if choice == "convs+matmul":
        names += _matching(graph, ("MatMul",), ("attn_layers",), ())
    return names


def op_types(choice: str) -> list[str]:
    return ["Conv", "MatMul"] if choice == "convs+matmul" else ["Conv"]
