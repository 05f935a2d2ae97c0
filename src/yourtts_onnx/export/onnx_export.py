"""Trace one :class:`ExportSpec` to an ONNX file: export, check, optionally simplify, stamp metadata."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from yourtts_onnx.errors import ExportError
from yourtts_onnx.export.graphs import ExportSpec

log = logging.getLogger(__name__)

SUPPORTED_OPSETS = range(17, 22)


def check_opset(opset: int) -> int:
    if opset not in SUPPORTED_OPSETS:
        raise ExportError(
            f"unsupported --opset {opset}: choose {SUPPORTED_OPSETS.start}..{SUPPORTED_OPSETS.stop - 1} "
            "(LayerNormalization needs 17)"
        )
    return opset


def trace_to_onnx(spec: ExportSpec, path: Path, opset: int) -> None:
    module = spec.build().eval()
    dummy = spec.dummy()
    args = tuple(torch.from_numpy(np.ascontiguousarray(dummy[name])) for name in spec.input_names)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python ints are expected and harmless here
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=spec.input_names,
            output_names=spec.output_names,
            dynamic_axes=spec.dynamic_axes,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )


def check_graph(path: Path) -> onnx.ModelProto:
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except onnx.checker.ValidationError as exc:
        raise ExportError(
            f"{path.name}: onnx.checker rejected the graph: {str(exc).splitlines()[0]}"
        ) from None
    return onnx.load(str(path))


def simplify(path: Path) -> bool:
    """Simplify in place with onnxslim when it is installed. Returns whether the file changed."""
    try:
        import onnxslim
    except ImportError:
        log.info("onnxslim not installed; skipping simplification")
        return False
    try:
        slim = onnxslim.slim(str(path))
    except Exception as exc:  # a simplifier failure must not fail the export: keep the plain graph
        log.warning("onnxslim failed on %s (%s); keeping the unsimplified graph", path.name, exc)
        return False
    onnx.save(slim, str(path))
    return True


def stamp_metadata(path: Path, metadata: dict[str, str]) -> None:
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in sorted(metadata.items()):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.producer_name = "yourtts-onnx"
    onnx.save(model, str(path))


def declared_dynamic_axes(path: Path) -> dict[str, dict[int, str]]:
    """Named (symbolic) axes of each graph input and output, as written in the ONNX file."""
    model = onnx.load(str(path), load_external_data=False)
    out: dict[str, dict[int, str]] = {}
    for value in (*model.graph.input, *model.graph.output):
        dims = value.type.tensor_type.shape.dim
        named = {i: d.dim_param for i, d in enumerate(dims) if d.dim_param}
        if named:
            out[value.name] = named
    return out
