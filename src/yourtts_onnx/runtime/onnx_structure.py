"""Reading an ONNX model's structure without its weights: initializers (subgraphs included) and the external
weights files they point into. Used by ``inspect`` on the runtime side and by the export side's writers.

Needs the ``onnx`` package, which the runtime does not depend on: import this module only where ``onnx`` is
installed (``inspect`` imports it lazily and does without when it is not).
"""

from __future__ import annotations

from collections.abc import Iterator

import onnx
from onnx import TensorProto


def _graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    """``graph`` and every subgraph (If/Loop/Scan bodies) inside it."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _graphs(attr.g)
            for sub in attr.graphs:
                yield from _graphs(sub)


def initializers(model: onnx.ModelProto) -> Iterator[TensorProto]:
    """Every initializer of the model, subgraphs included, in graph order."""
    for graph in _graphs(model.graph):
        yield from graph.initializer


def uses_external_data(tensor: TensorProto) -> bool:
    return tensor.HasField("data_location") and tensor.data_location == TensorProto.EXTERNAL


def external_files(model: onnx.ModelProto) -> dict[str, int]:
    """External files a model refers to → bytes of distinct ranges it reads from each (the model's weights
    are not loaded: use ``onnx.load(path, load_external_data=False)``)."""
    ranges: dict[str, set[tuple[int, int]]] = {}
    for tensor in initializers(model):
        if uses_external_data(tensor):
            info = {e.key: e.value for e in tensor.external_data}
            ranges.setdefault(info.get("location", ""), set()).add(
                (int(info.get("offset", 0)), int(info.get("length", 0)))
            )
    return {location: sum(length for _, length in spans) for location, spans in ranges.items()}
