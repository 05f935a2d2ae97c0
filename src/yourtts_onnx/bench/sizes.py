"""Bundle sizes on disk: every file of each bundle directory, and how much of it each backend loads (its graph
files plus the distinct ranges of the shared weights file its graphs reference)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import onnx

from yourtts_onnx.runtime.backends import BACKENDS
from yourtts_onnx.runtime.bundle import Bundle


def external_ranges(graph: Path) -> set[tuple[str, int, int]]:
    """``(file, offset, length)`` of every external tensor a graph references (the file is not read)."""
    model = onnx.load(graph, load_external_data=False)
    ranges = set()
    for tensor in onnx.external_data_helper._get_all_tensors(model):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            info = {e.key: e.value for e in tensor.external_data}
            ranges.add((info["location"], int(info.get("offset", 0)), int(info.get("length", 0))))
    return ranges


def bundle_sizes(bundles: Mapping[str, Path], made_by: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, root in bundles.items():
        files = {p.name: p.stat().st_size for p in sorted(root.iterdir()) if p.is_file()}
        graphs = Bundle.open(root, integrity="none").config.graphs
        per_backend = {}
        for name, backend in BACKENDS.items():
            if all(g in graphs for g in backend.graphs):
                weights = set().union(*(external_ranges(root / graphs[g].file) for g in backend.graphs))
                per_backend[name] = sum(files.get(graphs[g].file, 0) for g in backend.graphs) + sum(
                    length for _, _, length in weights
                )
        out[label] = {
            "path": str(root),
            "made_by": made_by.get(label, ""),
            "total_bytes": sum(files.values()),
            "files": files,
            "backend_graph_bytes": per_backend,
        }
    return out
