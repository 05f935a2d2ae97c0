"""Export a Coqui YourTTS checkpoint to a self-describing ONNX bundle, verified against PyTorch.

Each graph is traced, checked, simplified and verified on its own (self-contained) file; then all graphs are
written with their weights in one shared external-data file, ``weights.bin``, each distinct tensor once
(:mod:`.graph_files`), the written files are read back and compared tensor by tensor, and the decoder graphs
are decoded in windows to check the receptive fields recorded in ``config.json`` (:mod:`.field_check`).

The bundle is assembled in a temporary sibling directory and renamed into place at the end, so an
interrupted or failed export leaves nothing behind.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from yourtts_onnx import __version__
from yourtts_onnx.errors import ExportError, VerificationError
from yourtts_onnx.export.checkpoint import Checkpoint, load_checkpoint
from yourtts_onnx.export.field_check import check_receptive_fields
from yourtts_onnx.export.graph_files import WeightsLayout, check_saved_graphs, save_graphs, set_metadata
from yourtts_onnx.export.graphs import ExportSpec, ModelDims, speaker_encoder_spec, tts_specs
from yourtts_onnx.export.onnx_export import (
    check_graph,
    check_opset,
    restore_declared_inputs,
    simplify,
    trace_to_onnx,
)
from yourtts_onnx.export.receptive_fields import check_measured_reach, decoder_receptive_fields
from yourtts_onnx.export.speaker_encoder_loader import load_speaker_encoder
from yourtts_onnx.export.stage_checks import identity_stages
from yourtts_onnx.export.verify import GraphReport, verify_graph
from yourtts_onnx.runtime.bundle import (
    CONFIG_NAME,
    FORMAT_NAME,
    FORMAT_VERSION,
    GRAPH_SPEAKER_ENCODER,
    BundleConfig,
    InferenceDefaults,
    ReceptiveField,
    SpeakersInfo,
    sha256_file,
)
from yourtts_onnx.runtime.graph_catalog import (
    CATALOG,
    COMPONENT_EXPORTS,
    DECODER_STAGES,
    EXPORT_GROUPS,
    SCALES,
)
from yourtts_onnx.runtime.output_dir import install_output_dir, prepare_output_dir
from yourtts_onnx.runtime.speaker_windows import EmbeddingRecipe
from yourtts_onnx.runtime.text import TextFrontendConfig

log = logging.getLogger(__name__)

#: the ``--only`` values: the catalogue's export groups
ONLY_CHOICES = EXPORT_GROUPS
#: what ``--only components`` exports: the model in parts, the decoder both whole and split in two
EXPORTED_COMPONENTS = COMPONENT_EXPORTS
SPEAKERS_FILE = "speakers.npy"
RELEASED_LICENSE_NOTE = (
    "Exported weights keep the licence of the source checkpoint; the released Coqui YourTTS weights are "
    "licensed CC BY-NC-ND 4.0."
)

Progress = Callable[[str], None]


@dataclass
class ExportResult:
    bundle: Path
    graphs: list[str]
    reports: list[GraphReport] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    weights: WeightsLayout | None = None
    receptive_fields: dict[str, ReceptiveField] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)


def model_dims(ckpt: Checkpoint, text: TextFrontendConfig) -> ModelDims:
    args = ckpt.config.model_args
    return ModelDims(
        num_chars=args.num_chars,
        num_languages=len(ckpt.languages),
        embedding_dim=args.d_vector_dim,
        hidden=args.hidden_channels,
        language_dim=args.language_dim,
        pad_id=text.pad_id,
    )


def select_graphs(only: Sequence[str] | None) -> set[str]:
    if not only:
        return set(CATALOG)
    chosen: set[str] = set()
    for item in only:
        if item not in ONLY_CHOICES:
            raise ExportError(f"unknown --only value {item!r}: choose from {', '.join(ONLY_CHOICES)}")
        chosen |= {name for name, entry in CATALOG.items() if entry.export_group == item}
    return chosen


def graph_metadata(
    name: str,
    ckpt: Checkpoint,
    text: TextFrontendConfig,
    opset: int,
    precision: str,
    fields: dict[str, ReceptiveField] | None = None,
) -> dict[str, str]:
    """Key facts stamped into every graph so that a lone .onnx file still describes itself."""
    extra = {"receptive_field": json.dumps(fields[name].to_list())} if fields and name in fields else {}
    return {
        **extra,
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "graph": name,
        "sample_rate": str(ckpt.sample_rate),
        "hop_length": str(ckpt.config.model_args.hop_length),
        "embedding_dim": str(ckpt.config.model_args.d_vector_dim),
        "languages": json.dumps(ckpt.languages, ensure_ascii=False),
        "add_blank": json.dumps(text.add_blank),
        "pad_id": str(text.pad_id),
        "blank_id": json.dumps(text.blank_id),
        SCALES: "[noise_scale, length_scale, noise_scale_dp]",
        "opset": str(opset),
        "precision": precision,
        "producer": f"yourtts-onnx {__version__}",
        "license_note": RELEASED_LICENSE_NOTE,
    }


def _export_one(
    spec: ExportSpec, work: Path, opset: int, *, do_simplify: bool, do_verify: bool, progress: Progress
) -> tuple[onnx.ModelProto, GraphReport | None]:
    """Trace, check, simplify and verify one graph (self-contained files under ``work``); returns the graph
    to ship and its report. A simplified graph that fails verification is replaced by the plain one when
    that one passes."""
    raw = work / f"{spec.name}.raw.onnx"
    trace_to_onnx(spec, raw, opset)
    check_graph(raw)
    restore_declared_inputs(raw, spec)
    chosen = raw
    if do_simplify:
        slim = work / f"{spec.name}.slim.onnx"
        shutil.copyfile(raw, slim)
        if simplify(slim):
            restore_declared_inputs(slim, spec)
            check_graph(slim)
        chosen = slim
    report = verify_graph(spec, chosen) if do_verify else None
    if report is not None and not report.ok and chosen != raw:
        plain = verify_graph(spec, raw)
        if plain.ok:
            progress(f"  {spec.name}: simplification broke parity; keeping the plain graph")
            chosen, report = raw, plain
    return onnx.load(str(chosen)), report


def export_bundle(
    checkpoint_dir: str | Path,
    out: str | Path,
    *,
    opset: int = 17,
    do_simplify: bool = True,
    only: Sequence[str] | None = None,
    verify: bool = True,
    trust: bool = False,
    progress: Progress = print,
) -> ExportResult:
    """Export, check, simplify and verify every selected graph; write the bundle atomically.

    Raises :class:`VerificationError` (and writes nothing) if any graph exceeds its tolerance.
    """
    check_opset(opset)
    wanted = select_graphs(only)
    out = Path(out)
    prepare_output_dir(out, "bundle", ExportError, inputs=[Path(checkpoint_dir)])

    t0 = time.perf_counter()
    ckpt = load_checkpoint(checkpoint_dir, trust=trust)
    chars = ckpt.config.characters.raw
    text = TextFrontendConfig.from_coqui(chars, ckpt.config.add_blank, ckpt.config.text_cleaner)
    dims = model_dims(ckpt, text)
    progress(
        f"loaded {ckpt.directory} ({sum(p.numel() for p in ckpt.model.parameters()) / 1e6:.1f} M parameters; "
        f"dropped {ckpt.dropped_keys['disc.']} disc.* and {ckpt.dropped_keys['speaker_encoder.']} "
        f"speaker_encoder.* keys)"
    )

    stage_warnings = identity_stages(ckpt.model)
    for warning in stage_warnings:
        progress(f"warning: {warning}")
    specs = [s for s in tts_specs(ckpt.model, dims) if s.name in wanted]
    recipe: EmbeddingRecipe | None = None
    if GRAPH_SPEAKER_ENCODER in wanted:
        loaded = load_speaker_encoder(ckpt, trust=trust)
        if loaded is None:
            progress(
                "  speaker_encoder: no config_se.json/model_se.pth and no speaker_encoder.* keys; skipping"
            )
        else:
            encoder, recipe = loaded
            specs.append(speaker_encoder_spec(encoder, dims.embedding_dim))
    if not specs:
        raise ExportError("nothing to export: the selected graphs are not available in this checkpoint")

    # the decoder stages' receptive fields, recorded (and checked) when the bundle has a stage to chunk
    has_stages = any(s.name in DECODER_STAGES for s in specs)
    fields = decoder_receptive_fields(ckpt.model) if has_stages else {}
    result = ExportResult(
        bundle=out, graphs=[s.name for s in specs], receptive_fields=fields, warnings=stage_warnings
    )
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent if str(out.parent) else "."))
    try:
        models: dict[str, onnx.ModelProto] = {}  # .onnx file → graph, weights inside
        work = tmp / ".work"
        work.mkdir()
        for spec in specs:
            start = time.perf_counter()
            progress(f"exporting {spec.contract.file} ...")
            model, report = _export_one(
                spec, work, opset, do_simplify=do_simplify, do_verify=verify, progress=progress
            )
            set_metadata(model, graph_metadata(spec.name, ckpt, text, opset, "fp32", fields))
            models[spec.contract.file] = model
            result.seconds[spec.name] = time.perf_counter() - start
            if report is not None:
                result.reports.append(report)
                status = "ok" if report.ok else "FAILED"
                progress(f"  {spec.name}: {status}, {report.summary()} ({result.seconds[spec.name]:.1f} s)")
        shutil.rmtree(work)
        result.weights = write_graphs(models, tmp, progress)
        if verify and fields:
            report = verify_receptive_fields(
                ckpt, dims, fields, {s.name: tmp / s.contract.file for s in specs}
            )
            result.reports.append(report)
            progress(
                f"  receptive fields {', '.join(f'{k} {v.to_list()}' for k, v in fields.items())}: "
                f"{'ok' if report.ok else 'FAILED'}, windows vs whole max {report.max_abs:.2e}"
            )
        failures = [f for r in result.reports for f in r.failures]
        if failures:
            raise VerificationError(f"{len(failures)} verification failure(s); first: {failures[0]}")

        speakers = sorted(ckpt.speakers)
        if speakers:
            table = np.stack([ckpt.speakers[n].embedding for n in speakers]).astype(np.float32)
            np.save(tmp / SPEAKERS_FILE, table, allow_pickle=False)
        write_config(
            tmp,
            ckpt,
            text,
            specs,
            recipe,
            opset,
            speakers,
            fields=fields,
            verification=verification_record(result.reports, stage_warnings) if verify else None,
        )
        install_output_dir(tmp, out, "bundle", ExportError, inputs=[Path(checkpoint_dir)])
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    progress(f"wrote {out} in {time.perf_counter() - t0:.1f} s")
    return result


def verify_receptive_fields(
    ckpt: Checkpoint, dims: ModelDims, fields: dict[str, ReceptiveField], files: dict[str, Path]
) -> GraphReport:
    """The recorded fields against the torch model (one changed frame), and windowed decoding against whole
    decoding for the decoder graphs in ``files`` (graph → written file)."""
    stage_files = {name: path for name, path in files.items() if name in DECODER_STAGES}
    report = check_receptive_fields(
        stage_files,
        fields,
        channels=dims.hidden,
        embedding_dim=dims.embedding_dim,
        hop=ckpt.config.model_args.hop_length,
    )
    check_measured_reach(report, ckpt.model, fields)
    return report


def write_graphs(models: dict[str, onnx.ModelProto], root: Path, progress: Progress) -> WeightsLayout:
    """Save the graphs with one shared weights file and read every tensor back (an internal error, not a
    tolerance question, if any differs)."""
    layout = save_graphs(models, root)
    problems = check_saved_graphs(models, root)
    if problems:
        raise ExportError(f"writing the shared weights file failed: {problems[0]}")
    progress(
        f"  {layout.file}: {layout.bytes / 1e6:.1f} MB, {layout.distinct} distinct tensors for the graphs' "
        f"{layout.references} ({layout.referenced_bytes / 1e6:.1f} MB referenced)"
    )
    return layout


def write_config(
    root: Path,
    ckpt: Checkpoint,
    text: TextFrontendConfig,
    specs: list[ExportSpec],
    recipe: EmbeddingRecipe | None,
    opset: int,
    speakers: list[str],
    precision: str = "fp32",
    *,
    fields: dict[str, ReceptiveField] | None = None,
    verification: dict[str, Any] | None = None,
) -> BundleConfig:
    files = {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(root.iterdir())
        if p.is_file() and p.name != CONFIG_NAME
    }
    args = ckpt.config.model_args
    config = BundleConfig(
        format_version=FORMAT_VERSION,
        sample_rate=ckpt.sample_rate,
        hop_length=args.hop_length,
        embedding_dim=args.d_vector_dim,
        opset=opset,
        precision=precision,
        text=text.to_dict(),
        languages=dict(sorted(ckpt.languages.items(), key=lambda kv: kv[1])),
        speakers=SpeakersInfo(file=SPEAKERS_FILE if speakers else None, names=tuple(speakers)),
        speaker_encoder=(
            {"graph": GRAPH_SPEAKER_ENCODER, "recipe": recipe.to_dict()} if recipe is not None else None
        ),
        inference=InferenceDefaults(
            noise_scale=args.inference_noise_scale,
            length_scale=args.length_scale,
            noise_scale_dp=args.inference_noise_scale_dp,
        ),
        graphs={s.name: s.contract for s in specs},
        files=files,
        model=_provenance(ckpt),
        receptive_fields=dict(fields or {}),
        verification=verification,
    )
    (root / CONFIG_NAME).write_text(
        json.dumps(config.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return config


def verification_record(reports: Sequence[GraphReport], warnings: Sequence[str]) -> dict[str, Any]:
    """What the export's verification measured, kept in config.json so that ``inspect`` can show it."""
    graphs: dict[str, Any] = {}
    for r in reports:
        entry: dict[str, Any] = {
            "cases": len(r.cases),
            "max_abs": r.max_abs if math.isfinite(r.max_abs) else None,
            "min_snr_db": round(r.min_snr_db, 2) if math.isfinite(r.min_snr_db) else None,
            "judged_against_float64": r.arbitrated,
        }
        durations = r.durations
        if durations is not None:
            entry["durations"] = {
                "tokens": durations.tokens,
                "equal": durations.equal,
                "ties": durations.ties,
            }
        graphs[r.graph] = entry
    return {"graphs": graphs, "warnings": list(warnings)}


def _provenance(ckpt: Checkpoint) -> dict[str, Any]:
    args = ckpt.config.model_args
    return {
        "architecture": "YourTTS (VITS, d-vector + language conditioning)",
        "source_checkpoint": ckpt.directory.resolve().name,
        "hidden_channels": args.hidden_channels,
        "text_encoder_layers": args.num_layers_text_encoder,
        "decoder_channels": args.upsample_initial_channel_decoder,
        "stochastic_duration_predictor": args.use_sdp,
        "license_note": RELEASED_LICENSE_NOTE,
        "exported_by": f"yourtts-onnx {__version__}",
    }
