"""The I/O contract of every graph in a bundle (``config.json``'s ``graphs``), built from the catalogue.

:mod:`.graph_catalog` declares each graph with symbolic widths; this module resolves them for one model's
widths into the :class:`GraphInfo` records a bundle's ``config.json`` holds (the exporter writes them, the
runtime reads them back).
"""

from __future__ import annotations

from yourtts_onnx.runtime.bundle import GraphInfo, TensorSpec
from yourtts_onnx.runtime.graph_catalog import CATALOG, GraphEntry, ModelWidths, Tensor


def _spec(tensor: Tensor, widths: ModelWidths) -> TensorSpec:
    shape = tuple(widths.resolve(d) for d in tensor.shape)
    return TensorSpec(tensor.name, tensor.dtype, shape, tensor.description)


def contract_of(entry: GraphEntry, widths: ModelWidths) -> GraphInfo:
    """The contract of one catalogue entry for a model with the given widths."""
    return GraphInfo(
        file=entry.file,
        description=entry.description,
        inputs=tuple(_spec(t, widths) for t in entry.inputs),
        outputs=tuple(_spec(t, widths) for t in entry.outputs),
    )


def graph_contracts(embedding_dim: int, hidden: int, language_dim: int) -> dict[str, GraphInfo]:
    """The contract of every graph for a model with the given widths."""
    widths = ModelWidths(embedding_dim, hidden, language_dim)
    return {name: contract_of(entry, widths) for name, entry in CATALOG.items()}
