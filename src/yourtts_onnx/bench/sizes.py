"""Bundle sizes on disk: every file of each bundle directory, and which of them each backend loads."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from yourtts_onnx.runtime.backends import BACKENDS
from yourtts_onnx.runtime.bundle import Bundle


def bundle_sizes(bundles: Mapping[str, Path], made_by: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, root in bundles.items():
        files = {p.name: p.stat().st_size for p in sorted(root.iterdir()) if p.is_file()}
        graphs = Bundle.open(root, integrity="none").config.graphs
        per_backend = {}
        for name, backend in BACKENDS.items():
            if all(g in graphs for g in backend.graphs):
                per_backend[name] = sum(files.get(graphs[g].file, 0) for g in backend.graphs)
        out[label] = {
            "path": str(root),
            "made_by": made_by.get(label, ""),
            "total_bytes": sum(files.values()),
            "files": files,
            "backend_graph_bytes": per_backend,
        }
    return out
