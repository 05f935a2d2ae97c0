"""Write a static site that runs a bundle in the browser: ``web_export(bundle, out, precision)``.

Layout of ``SITE/`` (deployable on any static host; the headers below make onnxruntime-web multi-threaded)::

    index.html, style.css, *.mjs   the page, its Web Worker and the window.yourtts API   (from web/site)
    lib/*.mjs                      the bundle contract in JavaScript, shared with examples/node   (from js/)
    ort/                           onnxruntime-web's ES modules and WASM binaries (WASM and WebGPU builds)
    model/                         a valid bundle: config.json, the browser graphs, speakers.npy
    site.json                      what was built: precision and quality per graph, sizes, versions, licence
    _headers                       COOP/COEP for hosts that read it (Netlify, Cloudflare Pages)

``model/config.json`` is the bundle's, listing only the browser graphs (with fresh hashes and sizes, which the
page uses for its progress bar and cache keys) and the receptive fields the streaming windows need. Python
can open ``model/`` as a bundle (the tests compare the browser with it).

The directory is assembled in a temporary sibling and renamed into place; an existing site written by this
command (proven by its owner file, runtime/output_dir.py) is replaced, anything else is refused, and so is a
site holding files the command did not write, or one that would contain, or lie inside, the bundle.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yourtts_onnx import __version__
from yourtts_onnx.errors import AudioError, ExportError, InputError
from yourtts_onnx.runtime.bundle import (
    CONFIG_NAME,
    GRAPH_FLOW,
    GRAPH_SPEAKER_ENCODER,
    GRAPH_VOCODER,
    Bundle,
    ReceptiveField,
    sha256_file,
)
from yourtts_onnx.runtime.graph_catalog import CATALOG
from yourtts_onnx.runtime.output_dir import install_output_dir, prepare_output_dir
from yourtts_onnx.web.assets import WebAssets, find_assets
from yourtts_onnx.web.browser_graphs import (
    BROWSER_GRAPHS,
    PRECISIONS,
    SYNTHESIS_GRAPHS,
    GraphSet,
    fp16_graph,
    int8_vocoder,
    load_fp32_set,
    with_precision,
)
from yourtts_onnx.web.quality import Quality, measure
from yourtts_onnx.web.receptive_fields import measure_receptive_fields

log = logging.getLogger(__name__)

SITE_MANIFEST = "site.json"
SITE_FORMAT = "yourtts-onnx-site"
MODEL_DIR = "model"
LICENCE_NOTE = (
    "The page and JavaScript are MPL-2.0; onnxruntime-web is MIT (Microsoft). The model files under model/ keep "
    "the licence of the checkpoint they were exported from: the released Coqui YourTTS weights are licensed "
    "CC BY-NC-ND 4.0 (non-commercial, no derivatives), and so is a site built from them."
)
HEADERS = """/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
"""

Progress = Callable[[str], None]


@dataclass
class SiteResult:
    site: Path
    precision: str
    graphs: dict[str, str] = field(default_factory=dict)  # graph -> precision
    quality: dict[str, Quality] = field(default_factory=dict)
    download_bytes: dict[str, int] = field(default_factory=dict)  # "model", "wasm", "webgpu", "page"
    receptive_fields: dict[str, ReceptiveField] = field(default_factory=dict)
    fields_measured: bool = False
    seconds: float = 0.0


def _convert(
    bundle: Bundle, fp32: GraphSet, models: dict[str, Any], precision: str, progress: Progress
) -> GraphSet:
    out = fp32.copy()
    if precision == "fp32":
        return out
    for name in BROWSER_GRAPHS:
        if precision == "int8" and CATALOG[name].int8 == "vocoder":  # the catalogue's INT8 recipe
            with_precision(
                out, name, int8_vocoder(bundle, models[GRAPH_FLOW], models[name], progress), "int8"
            )
        else:
            with_precision(out, name, fp16_graph(models[name]), "fp16")
    return out


def _gate(
    bundle: Bundle, fp32: GraphSet, converted: GraphSet, progress: Progress
) -> tuple[GraphSet, dict[str, Quality]]:
    """Measure every conversion; one that loses quality is undone (fp32 for that graph), loudly."""
    if converted.data == fp32.data:
        return converted, {}
    progress("measuring the converted graphs against fp32")
    try:
        quality = measure(
            fp32.data, converted.data, converted.precision, bundle.config, bundle.speaker_embeddings()
        )
    except AudioError as exc:  # a model whose test sentences are too short to embed
        raise ExportError(f"cannot measure the speaker encoder's quality: {exc}") from None
    kept = converted.copy()
    for name, q in quality.items():
        progress(f"  {q.describe()}")
        if name in BROWSER_GRAPHS and not q.passes:
            progress(f"  {name}: {q.precision} loses quality; keeping it fp32")
            kept.data[name], kept.precision[name], kept.info[name] = fp32.data[name], "fp32", fp32.info[name]
    return kept, quality


def _receptive_fields(
    bundle: Bundle, graphs: GraphSet, progress: Progress
) -> tuple[dict[str, ReceptiveField], bool]:
    fields = bundle.config.receptive_fields
    if GRAPH_FLOW in fields and GRAPH_VOCODER in fields:
        return dict(fields), False
    flow_info = graphs.info[GRAPH_FLOW]
    channels = flow_info.inputs[0].shape[1]
    if not isinstance(channels, int):
        raise ExportError("flow graph: the latent's channel count is not fixed")
    measured = measure_receptive_fields(
        graphs.data[GRAPH_FLOW],
        graphs.data[GRAPH_VOCODER],
        channels=channels,
        embedding_dim=bundle.config.embedding_dim,
        hop=bundle.config.hop_length,
    )
    progress(
        f"warning: {bundle.root}/config.json records no receptive_fields (a bundle from before they were "
        f"recorded); measured them on the graphs: flow {measured[GRAPH_FLOW].to_list()}, vocoder "
        f"{measured[GRAPH_VOCODER].to_list()} (a development fallback: export the checkpoint again to get the exact ones)"
    )
    return measured, True


def _model_config(bundle: Bundle, graphs: GraphSet, fields: dict[str, ReceptiveField]) -> dict[str, Any]:
    raw = json.loads((bundle.root / CONFIG_NAME).read_text(encoding="utf-8"))
    raw["graphs"] = {name: graphs.info[name].to_dict() for name in BROWSER_GRAPHS}
    raw["receptive_fields"] = {k: v.to_list() for k, v in fields.items()}
    labels = set(graphs.precision.values())
    raw["precision"] = labels.pop() if len(labels) == 1 else "mixed"
    return raw


def _write_model(root: Path, bundle: Bundle, graphs: GraphSet, raw: dict[str, Any]) -> int:
    root.mkdir()
    for name in BROWSER_GRAPHS:
        (root / graphs.info[name].file).write_bytes(graphs.data[name])
    speakers = bundle.config.speakers.file
    if speakers:
        shutil.copyfile(bundle.root / speakers, root / speakers)
    raw["files"] = {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(root.iterdir())
        if p.is_file()
    }
    (root / CONFIG_NAME).write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    Bundle.open(root, integrity="full")  # the browser's model directory is a valid bundle
    return sum(v["bytes"] for v in raw["files"].values()) + (root / CONFIG_NAME).stat().st_size


def _copy_assets(tmp: Path, assets: WebAssets) -> dict[str, int]:
    page = 0
    for src in assets.page_files():
        shutil.copyfile(src, tmp / src.name)
        page += src.stat().st_size
    (tmp / "lib").mkdir()
    for src in assets.js_modules():
        shutil.copyfile(src, tmp / "lib" / src.name)
        page += src.stat().st_size
    ort = tmp / "ort"
    ort.mkdir()
    sizes = {"wasm": 0, "webgpu": 0}
    for src in assets.ort_files():
        shutil.copyfile(src, ort / src.name)
        sizes["webgpu" if "asyncify" in src.name or "webgpu" in src.name else "wasm"] += src.stat().st_size
    (ort / "README.txt").write_text(
        f"onnxruntime-web {assets.ort_version} (MIT licence, Copyright (c) Microsoft Corporation), copied from "
        "the npm package's dist/ by yourtts-onnx web-export.\n",
        encoding="utf-8",
    )
    (tmp / "_headers").write_text(HEADERS, encoding="utf-8")
    return {"page": page, **sizes}


def web_export(
    bundle_path: str | Path,
    out: str | Path,
    precision: str = "int8",
    *,
    web_dir: Path | None = None,
    ort_dir: Path | None = None,
    progress: Progress = print,
) -> SiteResult:
    """Write the static site for ``bundle_path`` into ``out`` (replaced atomically)."""
    if precision not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    t0 = time.perf_counter()
    assets = find_assets(web_dir, ort_dir)
    bundle = Bundle.open(bundle_path)
    out = Path(out)
    if GRAPH_SPEAKER_ENCODER not in bundle.config.graphs:
        raise InputError(f"{bundle.root}: the bundle has no speaker encoder; the page clones voices with it")
    inputs = [
        bundle.root,
        assets.site,
        assets.js,
        assets.ort_dist,
    ]  # the out directory may touch none of them
    parent = prepare_output_dir(out, "site", inputs=inputs)
    fp32, models = load_fp32_set(bundle, progress)
    converted = _convert(bundle, fp32, models, precision, progress)
    graphs, quality = _gate(bundle, fp32, converted, progress)
    fields, measured = _receptive_fields(bundle, fp32, progress)
    result = SiteResult(
        out, precision, dict(graphs.precision), quality, receptive_fields=fields, fields_measured=measured
    )
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        result.download_bytes = _copy_assets(tmp, assets)
        raw = _model_config(bundle, graphs, fields)
        result.download_bytes["model"] = _write_model(tmp / MODEL_DIR, bundle, graphs, raw)
        manifest = {
            "format": SITE_FORMAT,
            "format_version": 1,
            "built_by": f"yourtts-onnx {__version__}",
            "precision": precision,
            "graphs": {
                name: {"precision": graphs.precision[name], "bytes": len(graphs.data[name])}
                for name in BROWSER_GRAPHS
            },
            "synthesis_graphs": list(SYNTHESIS_GRAPHS),
            "quality": {name: q.to_dict() for name, q in quality.items()},
            "receptive_fields": {"measured": measured, **{k: v.to_list() for k, v in fields.items()}},
            "download_bytes": result.download_bytes,
            "onnxruntime_web": assets.ort_version,
            "licence": LICENCE_NOTE,
            "model_licence_note": bundle.config.model.get("license_note", ""),
        }
        (tmp / SITE_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        install_output_dir(tmp, out, "site", inputs=inputs)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.seconds = time.perf_counter() - t0
    mb = 1024 * 1024
    sizes = result.download_bytes
    progress(
        f"wrote {out} in {result.seconds:.1f} s: model {sizes['model'] / mb:.1f} MB + onnxruntime-web "
        f"{sizes['wasm'] / mb:.1f} MB (WASM) or {sizes['webgpu'] / mb:.1f} MB (WebGPU) + page {sizes['page'] / 1024:.0f} kB"
    )
    return result
