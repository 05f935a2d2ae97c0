"""Derive a new bundle from an fp32 bundle: INT8 or fp16 graphs, written like an export (one shared weights file).

The new bundle is a complete copy (it does not refer to the source), assembled in a temporary sibling
directory and renamed into place. ``config.json`` keeps everything of the source (receptive fields included)
and records the ``precision`` of the bundle and of each graph; ``files`` lists fresh SHA-256 hashes and
sizes, so :meth:`Bundle.open` verifies it like any exported bundle. Every graph of the source is kept,
``model.onnx`` included: its weights are the components' weights, so in the shared weights file it costs
only its structure and a few tensors of its own (INT8 bias and activation scales), and a single-graph host
(or ``export-voice``) can use the derived precision too.

Precisions (bundle-level value → what each graph holds):

* ``fp16``: every graph stores float16 weights read through casts (fp32 arithmetic, half the size), except
  the text encoder's and the duration predictor's (wherever a graph holds them: ``text_encoder``,
  ``duration_predictor``, ``model``), which stay fp32: they decide durations, and on a live (trained)
  duration predictor fp16 weights move ``exp(log w)`` across an integer now and then — one frame more or less
  shifts everything after it (those graphs stay ``fp32``, ``model`` is ``mixed``);
* ``int8``: HiFi-GAN inside ``model``, ``decoder`` and ``vocoder`` is INT8 (QDQ, calibrated; these graphs
  are marked ``mixed``, ``vocoder`` ``int8``); the flow's weights (wherever a graph holds them: ``flow``,
  ``decoder``, ``model``) and the speaker encoder's are stored as fp16 and computed in fp32 (``flow``,
  ``speaker_encoder``: ``fp16``); the text encoder and duration predictor stay fp32, so durations (and
  lengths) equal the fp32 bundle's. The recipe (:mod:`.int8_recipe`; ``config.json``: ``int8_recipe``) says
  what else is quantised: the shipped one adds the flow's WaveNet convolutions (``flow``: ``mixed``); the
  text encoder's fail their gate. The INT8 vocoder also gets a second, channels-last copy for ONNX Runtime's
  CPU provider (``vocoder.ort-cpu.onnx``, ``graphs.vocoder.cpu_file``; :mod:`.cpu_layout`), written only if it
  gives the portable graph's samples;
* ``fp32``: nothing converted; rewrites an older bundle in the current layout (shared weights file,
  ``flow``/``vocoder`` graphs split from ``decoder.onnx`` when it has none).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from yourtts_onnx.errors import ExportError
from yourtts_onnx.export.graph_files import (
    WeightsLayout,
    check_saved_graphs,
    external_files,
    initializers,
    save_graphs,
    set_metadata,
)
from yourtts_onnx.optimize.calibration import make_calibration
from yourtts_onnx.optimize.cpu_layout import CPU_COPY_ATOL, LAYOUT, channels_last_copy, max_difference
from yourtts_onnx.optimize.fp16 import MIN_ELEMENTS, tensor_digest, weights_to_fp16
from yourtts_onnx.optimize.int8_recipe import SHIPPED, Int8Recipe, flow_nodes, op_types, text_encoder_nodes
from yourtts_onnx.optimize.quantize import name_nodes, quantize_nodes, quantize_vocoder
from yourtts_onnx.optimize.split_decoder import split_decoder
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.bundle import (
    CONFIG_NAME,
    GRAPH_DECODER,
    GRAPH_FLOW,
    GRAPH_MODEL,
    GRAPH_TEXT_ENCODER,
    GRAPH_VOCODER,
    Bundle,
    sha256_file,
)
from yourtts_onnx.runtime.graph_catalog import CATALOG, Z_P, Z
from yourtts_onnx.runtime.graph_contract import graph_contracts
from yourtts_onnx.runtime.output_dir import install_output_dir, prepare_output_dir
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session

PRECISIONS = ("fp32", "fp16", "int8")
RECIPE_VERSION = 8  # bump when the conversion changes, so cached derived bundles are rebuilt
#: weights an INT8 bundle stores as fp16 (computed in fp32), by graph, and the part of their initializer names
#: that selects them ("" = all): large, not deciding durations, and cheap at session start. The speaker
#: encoder is loaded only for cloning. Of the flow only its speaker-conditioning layers (12.6 of its 41 MB,
#: run once per window on the embedding): all of the flow as fp16 saved 20 MB more, but folding its Casts
#: cost ~35 ms of every start (full-size model, 2 cores) — first audio matters more than those 20 MB.
INT8_FP16_WEIGHTS: dict[str, str] = {
    name: entry.int8_fp16_select for name, entry in CATALOG.items() if entry.int8 == "fp16_weights"
}
#: graphs whose HiFi-GAN an INT8 bundle quantises inside the graph (labelled ``mixed``) and the graph
#: quantised whole (``int8``)
INT8_HIFIGAN = tuple(name for name, entry in CATALOG.items() if entry.int8 == "hifigan")
INT8_VOCODER = tuple(name for name, entry in CATALOG.items() if entry.int8 == "vocoder")
Progress = Callable[[str], None]


@dataclass
class DeriveResult:
    bundle: Path
    precision: str
    graphs: dict[str, str] = field(default_factory=dict)  # graph → precision
    seconds: float = 0.0
    weights: WeightsLayout | None = None


def _set_graph_metadata(model: onnx.ModelProto, graph: str, precision: str) -> None:
    meta = {p.key: p.value for p in model.metadata_props}
    meta.update(graph=graph, precision=precision)
    set_metadata(model, meta)


def vocoder_feeds(
    flow: onnx.ModelProto, latents: list[tuple[np.ndarray, np.ndarray]]
) -> list[dict[str, np.ndarray]]:
    """Calibration feeds for ``vocoder.onnx``: the flow run on each calibration latent."""
    session = create_session(flow.SerializeToString(), CPU_OPTIONS, name="flow")
    feeds = []
    for z_p, emb in latents:
        lengths = np.array([z_p.shape[2]], dtype=np.int64)
        (z,) = session.run(None, {Z_P: z_p, cat.FRAME_LENGTHS: lengths, cat.SPEAKER_EMBEDDING: emb})
        feeds.append({Z: z, cat.SPEAKER_EMBEDDING: emb})
    return feeds


def _write_config(root: Path, raw: dict[str, Any]) -> None:
    raw["files"] = {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(root.iterdir())
        if p.is_file() and p.name != CONFIG_NAME
    }
    text = json.dumps(raw, indent=2, ensure_ascii=False) + "\n"
    (root / CONFIG_NAME).write_text(text, encoding="utf-8")


def _load_graphs(src: Bundle, raw: dict[str, Any]) -> tuple[dict[str, onnx.ModelProto], set[str]]:
    """Every graph of the source with its weights loaded, and the source's external weights files."""
    models: dict[str, onnx.ModelProto] = {}
    external: set[str] = set()
    for name in raw["graphs"]:
        path = src.graph_path(name)
        external |= set(external_files(onnx.load(os.fspath(path), load_external_data=False)))
        models[name] = onnx.load(os.fspath(path))
    return models, external


def _add_split_graphs(models: dict[str, onnx.ModelProto], raw: dict[str, Any], src: Bundle) -> bool:
    """An older bundle without ``flow``/``vocoder``: cut them out of ``decoder.onnx``."""
    if GRAPH_DECODER not in models or (GRAPH_FLOW in models and GRAPH_VOCODER in models):
        return False
    flow, vocoder = split_decoder(models[GRAPH_DECODER])
    models[GRAPH_FLOW], models[GRAPH_VOCODER] = flow, vocoder
    hidden = int(flow.graph.input[0].type.tensor_type.shape.dim[1].dim_value)
    contracts = graph_contracts(src.config.embedding_dim, hidden, 0)
    for name in (GRAPH_FLOW, GRAPH_VOCODER):
        raw["graphs"][name] = contracts[name].to_dict()
    return True


def _int8(
    src: Bundle,
    models: dict[str, onnx.ModelProto],
    labels: dict[str, str],
    progress: Progress,
    cpu_copies: dict[str, tuple[str, onnx.ModelProto]],
    recipe: Int8Recipe = SHIPPED,
) -> None:
    progress("calibrating on the fp32 graphs")
    cal = make_calibration(src)
    if recipe.flow != "none" and GRAPH_FLOW in models:
        name_nodes(models[GRAPH_FLOW].graph)
        nodes = flow_nodes(models[GRAPH_FLOW].graph, recipe.flow)
        progress(f"quantising {len(nodes)} convolutions of flow.onnx ({recipe.flow})")
        feeds = [
            {
                Z_P: z_p,
                cat.FRAME_LENGTHS: np.array([z_p.shape[2]], dtype=np.int64),
                cat.SPEAKER_EMBEDDING: emb,
            }
            for z_p, emb in cal.vocoder_latents
        ]
        models[GRAPH_FLOW] = quantize_nodes(models[GRAPH_FLOW], feeds, nodes, op_types=["Conv"])
        labels[GRAPH_FLOW] = "mixed"
    if recipe.text_encoder != "none" and GRAPH_TEXT_ENCODER in models:
        name_nodes(models[GRAPH_TEXT_ENCODER].graph)
        nodes = text_encoder_nodes(models[GRAPH_TEXT_ENCODER].graph, recipe.text_encoder)
        progress(f"quantising {len(nodes)} nodes of text_encoder.onnx ({recipe.text_encoder})")
        feeds = [{k: f[k] for k in (cat.INPUT_IDS, cat.INPUT_LENGTHS, cat.LANGUAGE_ID)} for f in cal.model]
        models[GRAPH_TEXT_ENCODER] = quantize_nodes(
            models[GRAPH_TEXT_ENCODER], feeds, nodes, op_types=op_types(recipe.text_encoder)
        )
        labels[GRAPH_TEXT_ENCODER] = "mixed"
    calibration_feeds = {GRAPH_MODEL: cal.model, GRAPH_DECODER: cal.decoder}
    for name in INT8_HIFIGAN:
        if name in models:
            feeds = calibration_feeds[name]
            progress(f"quantising HiFi-GAN in {name}.onnx")
            models[name] = quantize_vocoder(models[name], feeds)
            labels[name] = "mixed"
    for name in INT8_VOCODER:  # calibrated on the flow's output
        if name in models and GRAPH_FLOW in models:
            progress(f"quantising {name}.onnx")
            feeds = vocoder_feeds(models[GRAPH_FLOW], cal.vocoder_latents)
            models[name] = quantize_vocoder(models[name], feeds, boundary=Z)
            labels[name] = "int8"
            file = CATALOG[name].int8_cpu_file
            copy = _cpu_copy(models[name], name, file, feeds, progress) if file else None
            if file and copy is not None:
                cpu_copies[name] = (file, copy)
    for owner, selects in INT8_FP16_WEIGHTS.items():
        if owner not in models:
            continue
        digests = {
            tensor_digest(t)
            for t in initializers(models[owner])
            if t.data_type == onnx.TensorProto.FLOAT
            and int(np.prod(t.dims)) >= MIN_ELEMENTS
            and selects in t.name
        }
        for name, model in models.items():
            count = weights_to_fp16(model, only=digests)
            if count:
                progress(f"{name}.onnx: {count} weight tensors of {owner} stored as fp16")
        if labels[owner] == "fp32":
            labels[owner] = "fp16" if not selects else "mixed"


def _cpu_copy(
    model: onnx.ModelProto, name: str, file: str, feeds: list[dict[str, np.ndarray]], progress: Progress
) -> onnx.ModelProto | None:
    """The graph's channels-last copy ``file`` for ONNX Runtime's CPU provider (:mod:`.cpu_layout`) if it
    gives the portable graph's samples on the calibration feeds; else ``None`` (and says why)."""
    try:
        copy = channels_last_copy(model, name)
    except ExportError as exc:
        progress(f"not writing {file}: {exc}")
        return None
    diff = max_difference(model, copy.model, feeds, name)
    if not diff <= CPU_COPY_ATOL:
        progress(f"not writing {file}: it differs from {name}.onnx by {diff:.3g} (allowed {CPU_COPY_ATOL:g})")
        return None
    progress(
        f"{file}: {name}.onnx channels-last for ONNX Runtime's CPU provider ({copy.transposes_before} -> "
        f"{copy.transposes_after} transposes; max difference {diff:.3g} on {len(feeds)} calibration latents)"
    )
    return copy.model


#: graphs whose weights decide durations: kept fp32 by every recipe, so durations equal the fp32 bundle's
DURATION_GRAPHS = tuple(name for name, entry in CATALOG.items() if entry.fp16 == "keep")


def _fp16(models: dict[str, onnx.ModelProto], labels: dict[str, str], progress: Progress) -> None:
    keep = {
        tensor_digest(t) for name in DURATION_GRAPHS if name in models for t in initializers(models[name])
    }
    for name, model in models.items():
        count = weights_to_fp16(model, exclude=keep)
        progress(f"{name}.onnx: {count} weight tensors stored as fp16")
        if name in DURATION_GRAPHS:
            labels[name] = "fp32"
        else:
            labels[name] = "mixed" if name == GRAPH_MODEL and keep else "fp16"


def derive_bundle(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    precision: str,
    *,
    progress: Progress = print,
    recipe: Int8Recipe | None = None,
) -> DeriveResult:
    """Write ``out``: ``source`` (an fp32 bundle) converted to ``precision``. Returns what was done.
    ``recipe``: what an INT8 bundle quantises beyond HiFi-GAN (default: :data:`.int8_recipe.SHIPPED`)."""
    if precision not in PRECISIONS:
        raise ExportError(f"unknown precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    t0 = time.perf_counter()
    src = Bundle.open(source)
    raw = json.loads((src.root / CONFIG_NAME).read_text(encoding="utf-8"))
    if raw.get("precision", "fp32") != "fp32":
        raise ExportError(f"{src.root}: is a {raw.get('precision')} bundle; derive from an fp32 export")
    out = Path(out)
    parent = prepare_output_dir(out, "bundle", ExportError, inputs=[src.root])
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    result = DeriveResult(out, precision)
    try:
        models, external = _load_graphs(src, raw)
        if _add_split_graphs(models, raw, src):
            progress("split decoder.onnx into flow.onnx + vocoder.onnx")
        labels = {name: "fp32" for name in models}
        cpu_copies: dict[str, tuple[str, onnx.ModelProto]] = {}
        if precision == "int8":
            _int8(src, models, labels, progress, cpu_copies, recipe or SHIPPED)
            raw["int8_recipe"] = (recipe or SHIPPED).to_dict()
        elif precision == "fp16":
            _fp16(models, labels, progress)
        for name, model in models.items():
            _set_graph_metadata(model, name, labels[name])
        graph_files = {raw["graphs"][name]["file"] for name in models}
        for rel in raw["files"]:
            if rel not in graph_files and rel not in external:
                shutil.copyfile(src.root / rel, tmp / rel)
        written = {raw["graphs"][name]["file"]: model for name, model in models.items()}
        for name, (file, copy) in cpu_copies.items():
            _set_graph_metadata(copy, name, labels[name])
            set_metadata(copy, {**{p.key: p.value for p in copy.metadata_props}, "layout": LAYOUT})
            written[file] = copy
            raw["graphs"][name]["cpu_file"] = file
        result.weights = save_graphs(written, tmp)
        problems = check_saved_graphs(written, tmp)
        if problems:
            raise ExportError(f"writing the shared weights file failed: {problems[0]}")
        for name, label in labels.items():
            raw["graphs"][name]["precision"] = label
        raw["precision"] = precision
        _write_config(tmp, raw)
        Bundle.open(tmp)  # the result must verify like any bundle
        install_output_dir(tmp, out, "bundle", ExportError, inputs=[src.root])
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.graphs = labels
    result.seconds = time.perf_counter() - t0
    progress(
        f"wrote {out} ({precision}, {result.weights.bytes / 1e6:.1f} MB of weights) in {result.seconds:.1f} s"
    )
    return result
