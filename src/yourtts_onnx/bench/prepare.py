"""The checkpoint and bundles a benchmark needs, built once and cached in a work directory, the way a user
makes them:

* checkpoint: the one given, else a random Coqui-format checkpoint of the chosen size;
* ``fp32``: the bundle given, else ``yourtts-onnx export`` of the checkpoint (its verification is skipped:
  the benchmark measures the PyTorch/ONNX difference itself);
* ``int8``, ``fp16``: ``yourtts-onnx quantize --precision int8|fp16`` of the fp32 bundle
  (:func:`yourtts_onnx.optimize.derive.derive_bundle`);
* ``fp32-split``: ``quantize --precision fp32`` (the fp32 graphs plus ``flow.onnx`` + ``vocoder.onnx``), made
  only when the fp32 export lacks the split graphs (exports before the bundle format that ships them).

Derived bundles are redone when the fp32 bundle or the derivation recipe changes (a stamp file records the
source's config hash and the recipe version).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from yourtts_onnx.runtime.bundle import CONFIG_NAME, GRAPH_FLOW, GRAPH_VOCODER, Bundle, sha256_file

Progress = Callable[[str], None]

FP32 = "fp32"
FP32_SPLIT = "fp32-split"


@dataclass
class Prepared:
    checkpoint: Path | None
    bundles: dict[str, Path]  # label → bundle directory
    made_by: dict[str, str]  # label → the command that makes it
    seconds: dict[str, float] = field(default_factory=dict)  # build step → seconds (absent when cached)


def _stamp(work: Path, name: str) -> Path:
    return work / f"{name}.source-sha256"


def _fresh(out: Path, stamp: Path, key: str) -> bool:
    return (out / CONFIG_NAME).is_file() and stamp.is_file() and stamp.read_text() == key


def _export(work: Path, checkpoint: Path, progress: Progress, seconds: dict[str, float]) -> Path:
    bundle = work / f"bundle-{checkpoint.name}-fp32"
    stamp = _stamp(work, bundle.name)
    key = sha256_file(checkpoint / "config.json") + ":" + str((checkpoint / "model_file.pth").stat().st_mtime)
    if not _fresh(bundle, stamp, key):
        from yourtts_onnx.export.bundle_writer import export_bundle

        progress(f"exporting {checkpoint} to {bundle}")
        t0 = time.perf_counter()
        export_bundle(checkpoint, bundle, verify=False, progress=progress)
        seconds["export"] = time.perf_counter() - t0
        stamp.write_text(key)
    return bundle


def has_split_graphs(bundle: Path) -> bool:
    graphs = Bundle.open(bundle, integrity="none").config.graphs
    return GRAPH_FLOW in graphs and GRAPH_VOCODER in graphs


def prepare(
    work: Path,
    *,
    size: str,
    checkpoint: Path | None = None,
    bundle: Path | None = None,
    precisions: Sequence[str] = ("int8", "fp16"),
    progress: Progress = print,
) -> Prepared:
    work.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    if bundle is None:
        if checkpoint is None:
            checkpoint = work / f"checkpoint-{size}"
            if not (checkpoint / "config.json").is_file():
                from yourtts_onnx.export.random_checkpoint import write_random_checkpoint

                progress(f"writing a random {size} checkpoint to {checkpoint}")
                t0 = time.perf_counter()
                write_random_checkpoint(checkpoint, size=size)
                seconds["checkpoint"] = time.perf_counter() - t0
        bundle = _export(work, checkpoint, progress, seconds)
    bundles = {FP32: bundle}
    made_by = {FP32: "yourtts-onnx export" if bundle.parent == work else "given (--bundle)"}
    from yourtts_onnx.optimize.derive import RECIPE_VERSION, derive_bundle

    source_key = f"{sha256_file(bundle / CONFIG_NAME)}:recipe-{RECIPE_VERSION}"
    base = bundle.name.removesuffix("-fp32")
    derived = [(p, p) for p in precisions]
    if not has_split_graphs(bundle):
        derived.append((FP32_SPLIT, FP32))
    for label, precision in derived:
        out = work / f"{base}-{label}"
        stamp = _stamp(work, out.name)
        if not _fresh(out, stamp, source_key):
            progress(f"deriving the {label} bundle {out}")
            t0 = time.perf_counter()
            derive_bundle(bundle, out, precision, progress=progress)
            seconds[f"derive_{label}"] = time.perf_counter() - t0
            stamp.write_text(source_key)
        bundles[label] = out
        made_by[label] = f"yourtts-onnx quantize --precision {precision}"
    return Prepared(checkpoint, bundles, made_by, seconds)
