"""Graph surgery on a bundle's ``model.onnx``: bake one voice in, optionally compose NFD marks first.

The end-to-end graph takes ``input, input_lengths, scales, speaker_embedding, language_id``. A single-voice
graph keeps ``input, input_lengths, scales`` (the order Piper and sherpa-onnx feed them) and computes the
other two as constants expanded to the batch size, so any batch still works.

With a :class:`~.charmap.Composition`, ids ``>= vocab_size`` are combining marks: a small preprocessing
subgraph replaces ``letter, blank, mark, blank`` by the precomposed ``letter', blank`` (per batch row,
using a stable sort to compact the kept tokens) before the original graph sees the ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from yourtts_onnx.errors import ExportError, require
from yourtts_onnx.runtime import graph_catalog as cat

from .charmap import Composition

if TYPE_CHECKING:  # pragma: no cover
    import onnx

IDS, LENGTHS, SCALES = cat.INPUT_IDS, cat.INPUT_LENGTHS, cat.SCALES
SPEAKER, LANGUAGE = cat.SPEAKER_EMBEDDING, cat.LANGUAGE_ID
PREFIX = "yourtts_voice__"


def _onnx() -> Any:
    return require("onnx", "export")


def _rename_inputs(graph: onnx.GraphProto, renames: Mapping[str, str]) -> None:
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
        for attr in node.attribute:  # subgraphs (If/Loop) may read graph inputs too
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                _rename_inputs(sub, renames)
    for out in graph.output:
        if out.name in renames:
            raise ExportError(
                f"model.onnx: graph input '{out.name}' is also a graph output; cannot rewire it"
            )


def _voice_nodes(embedding: np.ndarray, language_id: int, batch_of: str) -> tuple[list[Any], list[Any]]:
    """Nodes producing ``speaker_embedding [B, dim]`` and ``language_id [B]`` from constants."""
    onnx = _onnx()
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    p = PREFIX
    inits = [
        numpy_helper.from_array(np.asarray(embedding, dtype=np.float32).reshape(1, -1), f"{p}embedding"),
        numpy_helper.from_array(np.array([language_id], dtype=np.int64), f"{p}language"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), f"{p}zero"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), f"{p}one"),
    ]
    nodes = [
        helper.make_node("Shape", [batch_of], [f"{p}ids_shape"], name=f"{p}shape"),
        helper.make_node("Slice", [f"{p}ids_shape", f"{p}zero", f"{p}one"], [f"{p}batch"], name=f"{p}batch"),
        helper.make_node("Concat", [f"{p}batch", f"{p}one"], [f"{p}emb_shape"], axis=0, name=f"{p}emb_shape"),
        helper.make_node("Expand", [f"{p}embedding", f"{p}emb_shape"], [SPEAKER], name=f"{p}speaker"),
        helper.make_node("Expand", [f"{p}language", f"{p}batch"], [LANGUAGE], name=f"{p}language"),
    ]
    return nodes, inits


def _composition_nodes(
    comp: Composition,
    vocab_size: int,
    pad_id: int,
    ids_in: str,
    lengths_in: str,
    ids_out: str,
    lengths_out: str,
) -> tuple[list[Any], list[Any]]:
    """``letter, blank, mark, blank`` → ``composed, blank``; other tokens pass through (see module doc)."""
    onnx = _onnx()
    helper, numpy_helper, tp = onnx.helper, onnx.numpy_helper, onnx.TensorProto
    p = PREFIX + "nfd_"
    n_marks = len(comp.marks)
    k = vocab_size + n_marks
    table = np.repeat(np.arange(k, dtype=np.int64)[:, None], n_marks, axis=1)  # default: the base unchanged
    for (base, mark), composed in comp.pairs.items():
        table[base, mark] = composed

    def c(name: str, value: Any, dtype: Any = np.int64) -> Any:
        return numpy_helper.from_array(np.asarray(value, dtype=dtype), p + name)

    inits = [
        c("table", table.reshape(-1)),
        c("vocab", vocab_size),
        c("n_marks", n_marks),
        c("max_mark", n_marks - 1),
        c("zero_s", 0),
        c("max_id", k - 1),
        c("pad2", [0, 0, 0, 2]),
        c("pad_value", 0),
        c("s1", [1]),
        c("s2", [2]),
        c("e_m1", [-1]),
        c("e_max", [np.iinfo(np.int64).max]),
        c("axis1", [1]),
        c("one_s", 1),
        c("pad_id", pad_id),
        c("big", 1 << 30, np.float32),
        c("i0", [0]),
    ]
    n = helper.make_node
    x = ids_in
    nodes = [
        # shifted views: x[t + 1] and x[t + 2], zero past the end
        n("Pad", [x, p + "pad2", p + "pad_value"], [p + "xp"], mode="constant"),
        n("Slice", [p + "xp", p + "s1", p + "e_m1", p + "axis1"], [p + "x1"]),
        n("Slice", [p + "xp", p + "s2", p + "e_max", p + "axis1"], [p + "x2"]),
        n("GreaterOrEqual", [x, p + "vocab"], [p + "is_mark"]),
        n("GreaterOrEqual", [p + "x1", p + "vocab"], [p + "next_is_mark"]),
        n("GreaterOrEqual", [p + "x2", p + "vocab"], [p + "next2_is_mark"]),
        # composed id of (x[t], mark x[t + 2])
        n("Sub", [p + "x2", p + "vocab"], [p + "m_raw"]),
        n("Clip", [p + "m_raw", p + "zero_s", p + "max_mark"], [p + "m"]),
        n("Clip", [x, p + "zero_s", p + "max_id"], [p + "base"]),
        n("Mul", [p + "base", p + "n_marks"], [p + "row"]),
        n("Add", [p + "row", p + "m"], [p + "flat"]),
        n("Gather", [p + "table", p + "flat"], [p + "composed"], axis=0),
        n("Where", [p + "next2_is_mark", p + "composed", x], [p + "y"]),
        # keep = valid & !is_mark & !next_is_mark
        n("Shape", [x], [p + "shape"]),
        n("Gather", [p + "shape", p + "one_s"], [p + "T"], axis=0),
        n("Range", [p + "zero_s", p + "T", p + "one_s"], [p + "pos"]),
        n("Unsqueeze", [lengths_in, p + "axis1"], [p + "len_col"]),
        n("Less", [p + "pos", p + "len_col"], [p + "valid"]),
        n("Or", [p + "is_mark", p + "next_is_mark"], [p + "drop_mark"]),
        n("Not", [p + "drop_mark"], [p + "not_mark"]),
        n("And", [p + "valid", p + "not_mark"], [p + "keep"]),
        n("Cast", [p + "keep"], [p + "keep_i"], to=tp.INT64),
        n("ReduceSum", [p + "keep_i", p + "axis1"], [lengths_out], keepdims=0),
        # stable compaction: sort by (dropped, position)
        n("Not", [p + "keep"], [p + "dropped"]),
        n("Cast", [p + "dropped"], [p + "dropped_f"], to=tp.FLOAT),
        n("Cast", [p + "pos"], [p + "pos_f"], to=tp.FLOAT),
        n("Mul", [p + "dropped_f", p + "big"], [p + "penalty"]),
        n("Add", [p + "penalty", p + "pos_f"], [p + "key"]),
        n("Reshape", [p + "T", p + "s1"], [p + "T1"]),
        n("TopK", [p + "key", p + "T1"], [p + "key_sorted", p + "order"], axis=1, largest=0, sorted=1),
        n("GatherElements", [p + "y", p + "order"], [p + "y_sorted"], axis=1),
        n("Unsqueeze", [lengths_out, p + "axis1"], [p + "new_len_col"]),
        n("Less", [p + "pos", p + "new_len_col"], [p + "new_valid"]),
        n("Where", [p + "new_valid", p + "y_sorted", p + "pad_id"], [p + "y_padded"]),
        # drop the columns no row needs any more
        n("ReduceMax", [lengths_out], [p + "max_len"], keepdims=1),
        n("Slice", [p + "y_padded", p + "i0", p + "max_len", p + "axis1"], [ids_out]),
    ]
    return nodes, inits


def bake_voice(
    model: onnx.ModelProto,
    embedding: np.ndarray,
    language_id: int,
    *,
    composition: Composition | None = None,
    vocab_size: int = 0,
    pad_id: int = 0,
    metadata: Mapping[str, str] | None = None,
) -> onnx.ModelProto:
    """Return a copy of the end-to-end ``model`` with the voice and language as constants.

    Raises:
        ExportError: the graph does not have the expected inputs.
    """
    onnx = _onnx()
    from yourtts_onnx.export.graph_files import initializers, stamp_producer, uses_external_data

    if any(uses_external_data(t) for t in initializers(model)):
        raise ExportError("model.onnx was loaded without its weights: a single-voice graph must hold them")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    stamp_producer(out)
    graph = out.graph
    names = [i.name for i in graph.input]
    expected = list(cat.graph_entry(cat.GRAPH_MODEL).input_names)
    if sorted(names) != sorted(expected):
        raise ExportError(f"model.onnx has inputs {names}; expected {expected} (the end-to-end graph)")
    float_types = {i.name: i.type.tensor_type.elem_type for i in graph.input}
    float_types.update({o.name: o.type.tensor_type.elem_type for o in graph.output})
    not_fp32 = [
        n
        for n in (SCALES, SPEAKER, cat.WAVEFORM)
        if float_types.get(n, onnx.TensorProto.FLOAT) != onnx.TensorProto.FLOAT
    ]
    if not_fp32:
        raise ExportError(
            f"model.onnx has non-float32 {', '.join(not_fp32)}: export-voice needs an fp32 bundle "
            "(Piper and sherpa-onnx feed and read float32)"
        )
    dim = _static_dim(graph, SPEAKER)
    if dim is not None and embedding.shape != (dim,):
        raise ExportError(f"the voice embedding has shape {list(embedding.shape)}; model.onnx needs [{dim}]")

    keep = {i.name: i for i in graph.input if i.name in (IDS, LENGTHS, SCALES)}
    new_nodes: list[Any] = []
    new_inits: list[Any] = []
    if composition is not None and composition.marks:
        ids_inner, lengths_inner = PREFIX + "ids", PREFIX + "lengths"
        _rename_inputs(graph, {IDS: ids_inner, LENGTHS: lengths_inner})
        nodes, inits = _composition_nodes(
            composition, vocab_size, pad_id, IDS, LENGTHS, ids_inner, lengths_inner
        )
        new_nodes += nodes
        new_inits += inits
        # The outer ids no longer have the inner graph's token count: give their axis its own name, or ONNX
        # Runtime would assume the two are equal when planning memory.
        for dim in keep[IDS].type.tensor_type.shape.dim:
            if dim.HasField("dim_param") and dim.dim_param != "batch":
                dim.dim_param = "host_tokens"
    nodes, inits = _voice_nodes(embedding, language_id, IDS)
    new_nodes += nodes
    new_inits += inits

    original = list(graph.node)
    del graph.node[:]
    graph.node.extend(new_nodes + original)
    graph.initializer.extend(new_inits)
    del graph.input[:]
    graph.input.extend([keep[IDS], keep[LENGTHS], keep[SCALES]])

    if metadata:
        props = {p.key: p.value for p in out.metadata_props}
        props.update(metadata)
        del out.metadata_props[:]
        for key, value in props.items():
            out.metadata_props.add(key=key, value=str(value))
    try:
        onnx.checker.check_model(out)
    except Exception as exc:  # onnx raises ValidationError and friends
        raise ExportError(f"the single-voice graph is invalid: {str(exc).splitlines()[0]}") from exc
    return out


def _static_dim(graph: onnx.GraphProto, name: str) -> int | None:
    for value in graph.input:
        if value.name == name:
            dims = value.type.tensor_type.shape.dim
            if len(dims) == 2 and dims[1].HasField("dim_value"):
                return int(dims[1].dim_value)
    return None
