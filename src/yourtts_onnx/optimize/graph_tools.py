"""Small helpers for editing ONNX graphs in place."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np
import onnx
from onnx import numpy_helper


def attr(node: onnx.NodeProto, name: str, default: object = None) -> object:
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def initializers(graph: onnx.GraphProto) -> dict[str, onnx.TensorProto]:
    return {t.name: t for t in graph.initializer}


def consumers(graph: onnx.GraphProto) -> dict[str, list[onnx.NodeProto]]:
    out: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            out.setdefault(name, []).append(node)
    return out


class NameMaker:
    """Fresh tensor/node names that do not clash with the graph's."""

    def __init__(self, graph: onnx.GraphProto, prefix: str) -> None:
        self.taken = {n.name for n in graph.node} | {t.name for t in graph.initializer}
        self.taken |= {o for n in graph.node for o in n.output} | {v.name for v in graph.input}
        self.prefix = prefix
        self.counter = itertools.count()

    def __call__(self, hint: str) -> str:
        while True:
            name = f"{self.prefix}/{hint}_{next(self.counter)}"
            if name not in self.taken:
                self.taken.add(name)
                return name


def add_constant(graph: onnx.GraphProto, name: str, value: np.ndarray) -> str:
    graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
    return name


def replace_node(graph: onnx.GraphProto, old: onnx.NodeProto, new: Iterable[onnx.NodeProto]) -> None:
    """Put ``new`` where ``old`` was (keeps topological order)."""
    nodes = list(graph.node)
    key = tuple(old.output)
    i = next(k for k, n in enumerate(nodes) if tuple(n.output) == key)
    nodes[i : i + 1] = list(new)
    del graph.node[:]
    graph.node.extend(nodes)


def drop_unused_initializers(graph: onnx.GraphProto) -> int:
    used = {name for node in graph.node for name in node.input}
    used |= {o.name for o in graph.output}
    keep = [t for t in graph.initializer if t.name in used]
    dropped = len(graph.initializer) - len(keep)
    if dropped:
        del graph.initializer[:]
        graph.initializer.extend(keep)
    return dropped
