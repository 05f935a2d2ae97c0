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


_ONNX_TYPES = {
    "float32": onnx.TensorProto.FLOAT,
    "float16": onnx.TensorProto.FLOAT16,
    "int64": onnx.TensorProto.INT64,
}


def restore_declared_inputs(path: Path, spec: ExportSpec) -> list[str]:
    """Give the graph every input of its contract, in the contract's order. The exporter (or the simplifier)
    drops an input the computation does not use, e.g. ``dp_noise`` of the plain duration predictor; hosts feed
    the contract's inputs whatever the checkpoint, so such an input is put back (unused). Returns the names
    restored."""
    model = onnx.load(str(path))
    have = {value.name: value for value in model.graph.input}
    missing = [t for t in spec.contract.inputs if t.name not in have]
    initializer_names = {t.name for t in model.graph.initializer}
    extra = [
        n for n in have if n not in {t.name for t in spec.contract.inputs} and n not in initializer_names
    ]
    if extra:
        raise ExportError(
            f"{spec.name}: the traced graph has inputs {extra} that its contract does not declare"
        )
    if not missing and [v.name for v in model.graph.input] == spec.input_names:
        return []
    ordered = []
    for t in spec.contract.inputs:
        if t.name in have:
            ordered.append(have[t.name])
        else:
            ordered.append(onnx.helper.make_tensor_value_info(t.name, _ONNX_TYPES[t.dtype], list(t.shape)))
    ordered += [have[n] for n in have if n in initializer_names]
    del model.graph.input[:]
    model.graph.input.extend(ordered)
    onnx.save(model, str(path))
    return [t.name for t in missing]


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
