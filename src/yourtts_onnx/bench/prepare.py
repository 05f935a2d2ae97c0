"""The checkpoint and bundles a benchmark needs, built once and cached in a work directory.

* checkpoint: the one given, else a random Coqui-format checkpoint of the chosen size;
* fp32 bundle: the one given, else an export of the checkpoint (verification is skipped: the benchmark
  measures the ONNX/PyTorch difference itself);
* derived bundles (``int8``, ``fp16``): :func:`yourtts_onnx.optimize.derive.derive_bundle`, redone when the
  fp32 bundle changes (a stamp file records the source's config hash).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from yourtts_onnx.runtime.bundle import CONFIG_NAME, sha256_file

Progress = Callable[[str], None]


@dataclass
class Prepared:
    checkpoint: Path | None
    bundles: dict[str, Path]  # precision → bundle directory
    seconds: dict[str, float] = field(default_factory=dict)  # build step → seconds (0 when cached)


def _stamp(work: Path, name: str) -> Path:
    return work / f"{name}.source-sha256"


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
    if checkpoint is None and bundle is None:
        checkpoint = work / f"checkpoint-{size}"
        if not (checkpoint / "config.json").is_file():
            from yourtts_onnx.export.random_checkpoint import write_random_checkpoint

            progress(f"writing a random {size} checkpoint to {checkpoint}")
            t0 = time.perf_counter()
            write_random_checkpoint(checkpoint, size=size)
            seconds["checkpoint"] = time.perf_counter() - t0
    if bundle is None:
        assert checkpoint is not None
        bundle = work / f"bundle-{checkpoint.name}-fp32"
        stamp = _stamp(work, bundle.name)
        ckpt_hash = sha256_file(checkpoint / "config.json") + ":" + str((checkpoint / "model_file.pth").stat().st_mtime)
        if not (bundle / CONFIG_NAME).is_file() or not stamp.is_file() or stamp.read_text() != ckpt_hash:
            from yourtts_onnx.export.bundle_writer import export_bundle

            progress(f"exporting {checkpoint} to {bundle}")
            t0 = time.perf_counter()
            export_bundle(checkpoint, bundle, verify=False, progress=progress)
            seconds["export"] = time.perf_counter() - t0
            stamp.write_text(ckpt_hash)
    bundles = {"fp32": bundle}
    from yourtts_onnx.optimize.derive import RECIPE_VERSION

    source_hash = f"{sha256_file(bundle / CONFIG_NAME)}:recipe-{RECIPE_VERSION}"
    for precision in precisions:
        out = work / f"{bundle.name.removesuffix('-fp32')}-{precision}"
        stamp = _stamp(work, out.name)
        if not (out / CONFIG_NAME).is_file() or not stamp.is_file() or stamp.read_text() != source_hash:
            from yourtts_onnx.optimize.derive import derive_bundle

            progress(f"deriving the {precision} bundle {out}")
            t0 = time.perf_counter()
            derive_bundle(bundle, out, precision, progress=progress)
            seconds[f"derive_{precision}"] = time.perf_counter() - t0
            stamp.write_text(source_hash)
        bundles[precision] = out
    # the fp32 bundle itself gets the streaming graphs in a sibling (it must stay as exported)
    split = work / f"{bundle.name.removesuffix('-fp32')}-fp32-split"
    stamp = _stamp(work, split.name)
    if not (split / CONFIG_NAME).is_file() or not stamp.is_file() or stamp.read_text() != source_hash:
        from yourtts_onnx.optimize.derive import derive_bundle

        t0 = time.perf_counter()
        derive_bundle(bundle, split, "fp32", progress=progress)
        seconds["derive_fp32_split"] = time.perf_counter() - t0
        stamp.write_text(source_hash)
    bundles["fp32-split"] = split
    return Prepared(checkpoint, bundles, seconds)
