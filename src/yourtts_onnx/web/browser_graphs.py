"""The graphs a browser downloads: the streaming set (text encoder, duration predictor, flow, vocoder) and the
speaker encoder, each self-contained (weights inside the ``.onnx``, whatever the bundle's layout), at the
smallest precision that keeps the quality (measured by :mod:`.quality`).

Graphs are read with ``onnx.load`` (which pulls in external weights files, so bundles whose graphs share one
weights file work too). ``flow``/``vocoder`` come from the bundle when it has them, else they are cut out of
``decoder.onnx`` (:func:`yourtts_onnx.optimize.split_decoder.split_decoder`).

Precisions (``--precision``):

* ``int8`` (default): the vocoder (HiFi-GAN, ~95% of the compute and most of the weights) is INT8 — static
  QDQ, calibrated on the bundle's own outputs, as ``yourtts-onnx quantize`` does it; the other graphs store
  fp16 weights (computed in fp32);
* ``fp16``: every graph stores fp16 weights;
* ``fp32``: nothing converted (for parity checks and debugging).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import onnx

from yourtts_onnx.errors import BundleError, ExportError
from yourtts_onnx.optimize.fp16 import weights_to_fp16
from yourtts_onnx.runtime.bundle import (
    GRAPH_FLOW,
    GRAPH_VOCODER,
    Bundle,
    GraphInfo,
    TensorSpec,
)
from yourtts_onnx.runtime.graph_catalog import CATALOG, GRAPH_FILES, Z

PRECISIONS = ("int8", "fp16", "fp32")
#: what the browser downloads to speak, and to clone voices (the catalogue's ``web`` role)
SYNTHESIS_GRAPHS = tuple(name for name, entry in CATALOG.items() if entry.web == "synthesis")
CLONING_GRAPHS = tuple(name for name, entry in CATALOG.items() if entry.web == "cloning")
BROWSER_GRAPHS = (*SYNTHESIS_GRAPHS, *CLONING_GRAPHS)
#: the graph flow + vocoder are cut out of when a bundle has none
SPLIT_SOURCE = next(name for name, entry in CATALOG.items() if entry.web == "split_source")

Progress = Callable[[str], None]


@dataclass
class GraphSet:
    """Serialised graphs by name, with each one's precision label and contract."""

    data: dict[str, bytes] = field(default_factory=dict)
    precision: dict[str, str] = field(default_factory=dict)
    info: dict[str, GraphInfo] = field(default_factory=dict)

    def copy(self) -> GraphSet:
        return GraphSet(dict(self.data), dict(self.precision), dict(self.info))


def _load(bundle: Bundle, name: str) -> onnx.ModelProto:
    path = bundle.graph_path(name)
    try:
        return onnx.load(os.fspath(path))  # external data, if any, is read from the bundle directory
    except Exception as exc:  # onnx raises several unrelated types for bad files
        raise BundleError(f"{path}: cannot load the ONNX graph ({exc})") from None


def _serialise(model: onnx.ModelProto, name: str) -> bytes:
    try:
        return model.SerializeToString()
    except ValueError as exc:  # over 2 GB
        raise ExportError(f"{name}: too large for a self-contained ONNX file ({exc})") from None


def _hidden_channels(flow: onnx.ModelProto) -> int:
    dim = flow.graph.input[0].type.tensor_type.shape.dim[1]
    if not dim.dim_value:
        raise ExportError("flow graph: the latent's channel count is not fixed")
    return int(dim.dim_value)


_DTYPES = {
    onnx.TensorProto.FLOAT: "float32",
    onnx.TensorProto.INT64: "int64",
    onnx.TensorProto.FLOAT16: "float16",
}


def _specs(values: Iterable[onnx.ValueInfoProto]) -> tuple[TensorSpec, ...]:
    specs = []
    for value in values:
        tensor = value.type.tensor_type
        shape = tuple(
            d.dim_value if d.HasField("dim_value") else (d.dim_param or "n") for d in tensor.shape.dim
        )
        specs.append(TensorSpec(value.name, _DTYPES.get(tensor.elem_type, str(tensor.elem_type)), shape))
    return tuple(specs)


def contract_of(model: onnx.ModelProto, file: str, description: str) -> GraphInfo:
    """The I/O contract a graph declares itself (for the graphs cut out of ``decoder.onnx`` here)."""
    return GraphInfo(file, _specs(model.graph.input), _specs(model.graph.output), description)


def load_fp32_set(bundle: Bundle, progress: Progress) -> tuple[GraphSet, dict[str, onnx.ModelProto]]:
    """The browser graphs of an fp32 bundle, serialised self-contained; also the models (for conversion)."""
    if bundle.config.precision != "fp32":
        raise ExportError(
            f"{bundle.root}: is a {bundle.config.precision} bundle; web-export converts from an fp32 export"
        )
    split = (GRAPH_FLOW, GRAPH_VOCODER)
    direct = [name for name in BROWSER_GRAPHS if name not in split]
    has_split = all(bundle.has_graph(name) for name in split)
    needed = direct if has_split else [*direct, SPLIT_SOURCE]
    missing = [g for g in needed if not bundle.has_graph(g)]
    if missing:
        raise BundleError(
            f"{bundle.root}: the browser build needs the graph(s) {', '.join(missing)}; "
            f"the bundle has {', '.join(sorted(bundle.config.graphs))}"
        )
    models: dict[str, onnx.ModelProto] = {}
    for name in direct:
        models[name] = _load(bundle, name)
    info = {name: bundle.config.graphs[name] for name in models}
    if has_split:
        models[GRAPH_FLOW], models[GRAPH_VOCODER] = _load(bundle, GRAPH_FLOW), _load(bundle, GRAPH_VOCODER)
        info[GRAPH_FLOW], info[GRAPH_VOCODER] = (
            bundle.config.graphs[GRAPH_FLOW],
            bundle.config.graphs[GRAPH_VOCODER],
        )
    else:
        from yourtts_onnx.optimize.split_decoder import split_decoder

        progress(f"splitting {GRAPH_FILES[SPLIT_SOURCE]} into flow + vocoder")
        models[GRAPH_FLOW], models[GRAPH_VOCODER] = split_decoder(_load(bundle, SPLIT_SOURCE))
        _hidden_channels(models[GRAPH_FLOW])
        for name in split:
            info[name] = contract_of(models[name], GRAPH_FILES[name], CATALOG[name].description)
    out = GraphSet()
    for name in BROWSER_GRAPHS:
        out.data[name] = _serialise(models[name], name)
        out.precision[name] = "fp32"
        out.info[name] = GraphInfo(
            file=GRAPH_FILES[name],
            inputs=info[name].inputs,
            outputs=info[name].outputs,
            description=info[name].description,
            precision="fp32",
        )
    return out, models


def fp16_graph(model: onnx.ModelProto) -> bytes:
    """``model`` with its large weights stored as fp16 (read through casts; fp32 arithmetic)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    weights_to_fp16(m)
    return m.SerializeToString()


def int8_vocoder(
    bundle: Bundle, flow: onnx.ModelProto, vocoder: onnx.ModelProto, progress: Progress
) -> bytes:
    """HiFi-GAN quantised to INT8 (static QDQ), calibrated on latents the bundle's own graphs produce."""
    from yourtts_onnx.optimize.calibration import make_calibration
    from yourtts_onnx.optimize.derive import vocoder_feeds
    from yourtts_onnx.optimize.quantize import quantize_vocoder

    progress("calibrating the vocoder on the bundle's own outputs")
    calibration = make_calibration(bundle)
    feeds = vocoder_feeds(flow, calibration.vocoder_latents)
    progress("quantising the vocoder to INT8")
    return quantize_vocoder(vocoder, feeds, boundary=Z).SerializeToString()


def with_precision(graphs: GraphSet, name: str, data: bytes, precision: str) -> None:
    """Replace graph ``name`` in place, keeping its contract and recording its precision."""
    graphs.data[name] = data
    graphs.precision[name] = precision
    old = graphs.info[name]
    graphs.info[name] = GraphInfo(old.file, old.inputs, old.outputs, old.description, precision)
