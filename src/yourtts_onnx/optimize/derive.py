"""Derive a new bundle from an fp32 bundle: INT8 or fp16 graphs, plus the split flow/vocoder graphs.

The new bundle is a complete copy (it does not refer to the source), assembled in a temporary sibling
directory and renamed into place. ``config.json`` keeps everything of the source and records the
``precision`` of the bundle and of each graph; ``files`` lists fresh SHA-256 hashes and sizes, so
:meth:`Bundle.open` verifies it like any exported bundle.

Precisions (bundle-level value → what each graph holds):

* ``fp16``: every graph stores float16 weights read through casts (fp32 arithmetic, half the size);
* ``int8``: HiFi-GAN inside ``model``, ``decoder`` and ``vocoder`` is INT8 (QDQ, calibrated; these graphs
  are marked ``mixed``, ``vocoder`` ``int8``); the text encoder, duration predictor, flow and speaker
  encoder stay fp32;
* ``fp32``: nothing converted (useful with ``streaming_graphs`` alone).

``streaming_graphs`` adds ``flow.onnx`` and ``vocoder.onnx`` (the decoder split at HiFi-GAN's input, see
:mod:`.split_decoder`) for chunked streaming with a small first window.
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
import onnxruntime as ort

from yourtts_onnx.errors import ExportError
from yourtts_onnx.optimize.calibration import make_calibration
from yourtts_onnx.optimize.fp16 import weights_to_fp16
from yourtts_onnx.optimize.quantize import quantize_vocoder
from yourtts_onnx.optimize.split_decoder import split_decoder
from yourtts_onnx.runtime.atomic import replace_dir
from yourtts_onnx.runtime.bundle import (
    CONFIG_NAME,
    GRAPH_DECODER,
    GRAPH_FLOW,
    GRAPH_MODEL,
    GRAPH_VOCODER,
    Bundle,
    sha256_file,
)
from yourtts_onnx.runtime.graph_contract import Z_P, Z, streaming_contracts

PRECISIONS = ("fp32", "fp16", "int8")
RECIPE_VERSION = 2  # bump when the conversion changes, so cached derived bundles are rebuilt
Progress = Callable[[str], None]


@dataclass
class DeriveResult:
    bundle: Path
    precision: str
    graphs: dict[str, str] = field(default_factory=dict)  # graph → precision
    seconds: float = 0.0


def _set_precision_metadata(model: onnx.ModelProto, precision: str) -> None:
    for meta in model.metadata_props:
        if meta.key == "precision":
            meta.value = precision
            return
    entry = model.metadata_props.add()
    entry.key, entry.value = "precision", precision


def _session_from(model: onnx.ModelProto) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def vocoder_feeds(
    flow: onnx.ModelProto, latents: list[tuple[np.ndarray, np.ndarray]]
) -> list[dict[str, np.ndarray]]:
    session = _session_from(flow)
    feeds = []
    for z_p, emb in latents:
        lengths = np.array([z_p.shape[2]], dtype=np.int64)
        (z,) = session.run(None, {Z_P: z_p, "frame_lengths": lengths, "speaker_embedding": emb})
        feeds.append({Z: z, "speaker_embedding": emb})
    return feeds


def _write_config(root: Path, raw: dict[str, Any]) -> None:
    raw["files"] = {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(root.iterdir())
        if p.is_file() and p.name != CONFIG_NAME
    }
    text = json.dumps(raw, indent=2, ensure_ascii=False) + "\n"
    (root / CONFIG_NAME).write_text(text, encoding="utf-8")


def derive_bundle(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    precision: str,
    *,
    streaming_graphs: bool = True,
    progress: Progress = print,
) -> DeriveResult:
    """Write ``out``: ``source`` (an fp32 bundle) converted to ``precision``. Returns what was done."""
    if precision not in PRECISIONS:
        raise ExportError(f"unknown precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    t0 = time.perf_counter()
    src = Bundle.open(source)
    raw = json.loads((src.root / CONFIG_NAME).read_text(encoding="utf-8"))
    if raw.get("precision", "fp32") != "fp32":
        raise ExportError(f"{src.root}: is a {raw.get('precision')} bundle; derive from an fp32 export")
    out = Path(out)
    if out.resolve() == src.root.resolve():
        raise ExportError("the output bundle must be a different directory from the source")
    if out.exists() and not (out / CONFIG_NAME).is_file() and any(out.iterdir()):
        raise ExportError(f"{out}: exists, is not empty and is not a bundle; refusing to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    result = DeriveResult(out, precision)
    try:
        for rel in raw["files"]:
            shutil.copyfile(src.root / rel, tmp / rel)
        graphs: dict[str, onnx.ModelProto] = {}
        if streaming_graphs and src.has_graph(GRAPH_DECODER):
            progress("splitting decoder.onnx into flow.onnx + vocoder.onnx")
            flow, vocoder = split_decoder(onnx.load(os.fspath(src.graph_path(GRAPH_DECODER))))
            graphs[GRAPH_FLOW], graphs[GRAPH_VOCODER] = flow, vocoder
            hidden = int(flow.graph.input[0].type.tensor_type.shape.dim[1].dim_value)
            for name, info in streaming_contracts(hidden, src.config.embedding_dim).items():
                raw["graphs"][name] = info.to_dict()
        labels = {name: "fp32" for name in raw["graphs"]}
        if precision == "int8":
            progress("calibrating on the fp32 graphs")
            cal = make_calibration(src)
            for name, feeds in ((GRAPH_MODEL, cal.model), (GRAPH_DECODER, cal.decoder)):
                if src.has_graph(name):
                    progress(f"quantising HiFi-GAN in {name}.onnx")
                    graphs[name] = quantize_vocoder(onnx.load(os.fspath(src.graph_path(name))), feeds)
                    labels[name] = "mixed"
            if GRAPH_VOCODER in graphs:
                progress("quantising vocoder.onnx")
                feeds = vocoder_feeds(graphs[GRAPH_FLOW], cal.vocoder_latents)
                graphs[GRAPH_VOCODER] = quantize_vocoder(graphs[GRAPH_VOCODER], feeds, boundary=Z)
                labels[GRAPH_VOCODER] = "int8"
        elif precision == "fp16":
            for name in raw["graphs"]:
                model = graphs.get(name) or onnx.load(os.fspath(src.root / raw["graphs"][name]["file"]))
                count = weights_to_fp16(model)
                progress(f"{name}.onnx: {count} weight tensors stored as fp16")
                graphs[name] = model
                labels[name] = "fp16"
        for name, model in graphs.items():
            _set_precision_metadata(model, labels[name])
            onnx.save(model, os.fspath(tmp / raw["graphs"][name]["file"]))
        for name, label in labels.items():
            raw["graphs"][name]["precision"] = label
        raw["precision"] = precision
        _write_config(tmp, raw)
        Bundle.open(tmp)  # the result must verify like any bundle
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.graphs = labels
    result.seconds = time.perf_counter() - t0
    progress(f"wrote {out} ({precision}) in {result.seconds:.1f} s")
    return result
