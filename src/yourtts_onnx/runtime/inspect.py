"""Describe a bundle or a single .onnx file: inputs/outputs, opset, metadata, size, parameter count.

Uses ONNX Runtime for the I/O signature and metadata. The ``onnx`` package, when installed, adds
the opset, the parameter count and the external weights (it is not a runtime dependency): a bundle's
graphs keep their weights in a shared external-data file (``weights.bin``), read from beside the ``.onnx``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from yourtts_onnx.errors import BundleError
from yourtts_onnx.runtime.bundle import CONFIG_NAME, Bundle
from yourtts_onnx.runtime.graph_catalog import GRAPH_FILES, GRAPH_SPEAKER_ENCODER
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session

_ORT_TYPES = {"tensor(float)": "float32", "tensor(int64)": "int64", "tensor(float16)": "float16"}


@dataclass
class TensorInfo:
    name: str
    dtype: str
    shape: list[int | str | None]


@dataclass
class GraphSummary:
    file: str
    bytes: int
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    metadata: dict[str, str]
    opset: int | None = None
    parameters: int | None = None
    # external-data files → bytes of weights this graph reads from each (None: onnx not installed)
    external: dict[str, int] | None = None


@dataclass
class BundleSummary:
    root: str
    sample_rate: int
    languages: list[str]
    speakers: list[str]
    precision: str
    can_clone: bool
    total_bytes: int
    graphs: dict[str, GraphSummary] = field(default_factory=dict)
    # config.json's record of the export's verification against PyTorch (None: exported without it)
    verification: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _OnnxDetails:
    opset: int | None = None
    parameters: int | None = None
    external: dict[str, int] | None = None


def _onnx_details(path: Path) -> _OnnxDetails:
    """Opset, parameter count and external weights, read without loading the weights (needs ``onnx``)."""
    try:
        import onnx
    except ImportError:
        return _OnnxDetails()
    from yourtts_onnx.runtime.onnx_structure import external_files, initializers

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf raises DecodeError and friends for a file that is not a model
        raise BundleError(f"{path}: not a loadable ONNX model ({str(exc).splitlines()[0][:200]})") from None
    external = external_files(model)
    for name in external:
        if not (path.parent / name).is_file():
            raise BundleError(
                f"{path}: its weights are in '{name}', which is missing beside it "
                "(a bundle's graphs share that file; keep it next to the .onnx files)"
            )
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    params = 0
    for tensor in initializers(model):
        count = 1
        for d in tensor.dims:
            count *= int(d)
        params += count
    return _OnnxDetails(opset, params, external)


def summarize_graph(path: Path) -> GraphSummary:
    if not path.is_file():
        raise BundleError(f"{path}: file not found")
    details = _onnx_details(path)
    try:
        session = create_session(path, CPU_OPTIONS)
    except BundleError as exc:
        raise BundleError(f"{path}: not a loadable ONNX model ({str(exc)[:300]})") from None

    def info(values: list[Any]) -> list[TensorInfo]:
        return [TensorInfo(v.name, _ORT_TYPES.get(v.type, v.type), list(v.shape)) for v in values]

    return GraphSummary(
        file=path.name,
        bytes=path.stat().st_size,
        inputs=info(session.get_inputs()),
        outputs=info(session.get_outputs()),
        metadata=dict(session.get_modelmeta().custom_metadata_map),
        opset=details.opset,
        parameters=details.parameters,
        external=details.external,
    )


def summarize_bundle(path: str | Path) -> BundleSummary:
    bundle = Bundle.open(path, verify_hashes=False)
    cfg = bundle.config
    summary = BundleSummary(
        root=str(bundle.root),
        sample_rate=cfg.sample_rate,
        languages=list(cfg.languages),
        speakers=list(cfg.speakers.names),
        precision=cfg.precision,
        can_clone=cfg.speaker_encoder is not None and bundle.has_graph(cfg.speaker_encoder.get("graph", "")),
        total_bytes=sum(p.stat().st_size for p in bundle.root.iterdir() if p.is_file()),
        verification=cfg.verification,
    )
    for name in cfg.graphs:
        summary.graphs[name] = summarize_graph(bundle.graph_path(name))
        if bundle.has_cpu_copy(name):  # read instead of the graph on ONNX Runtime's CPU provider
            summary.graphs[f"{name} (CPU copy)"] = summarize_graph(bundle.graph_path(name, cpu=True))
    return summary


def is_bundle(path: Path) -> bool:
    return path.is_dir() and (path / CONFIG_NAME).is_file()


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def format_graph(name: str, g: GraphSummary) -> list[str]:
    params = f", {g.parameters / 1e6:.2f} M parameters" if g.parameters is not None else ""
    opset = f", opset {g.opset}" if g.opset is not None else ""
    weights = "".join(f" + {_fmt_bytes(n)} in {file}" for file, n in sorted((g.external or {}).items()))
    lines = [f"{name}: {g.file} ({_fmt_bytes(g.bytes)}{weights}{opset}{params})"]
    for kind, tensors in (("in ", g.inputs), ("out", g.outputs)):
        for t in tensors:
            shape = ", ".join(str(s) for s in t.shape)
            lines.append(f"  {kind} {t.name:<18} {t.dtype:<8} [{shape}]")
    return lines


def format_summary(s: BundleSummary) -> str:
    lines = [
        f"bundle     {s.root}",
        f"audio      {s.sample_rate} Hz, precision {s.precision}, {_fmt_bytes(s.total_bytes)} on disk",
        f"languages  {', '.join(s.languages)}",
        f"speakers   {', '.join(s.speakers) if s.speakers else '(none)'}",
        f"cloning    {f'yes ({GRAPH_FILES[GRAPH_SPEAKER_ENCODER]})' if s.can_clone else 'no'}",
    ]
    lines.extend(format_verification(s.verification, s.precision))
    for name, g in s.graphs.items():
        lines.extend(format_graph(name, g))
    return "\n".join(lines)


def _fmt_number(value: Any, spec: str, missing: str) -> str:
    return format(value, spec) if isinstance(value, int | float) else missing


def format_verification(record: dict[str, Any] | None, precision: str) -> list[str]:
    """The export's verification per graph: max-abs, SNR and durations agreement, then its warnings."""
    if record is None:
        return ["verified   no (exported without verification: run `yourtts-onnx verify`)"]
    source = "" if precision == "fp32" else " (of the fp32 export this bundle was derived from)"
    lines = [f"verified   against PyTorch at export{source}:"]
    graphs = record.get("graphs") if isinstance(record.get("graphs"), dict) else {}
    for name, g in graphs.items():
        if not isinstance(g, dict):
            continue
        text = (
            f"  {name:<20} max-abs {_fmt_number(g.get('max_abs'), '.2e', 'n/a')}, "
            f"min SNR {_fmt_number(g.get('min_snr_db'), '.1f', 'inf')} dB over {g.get('cases')} cases"
        )
        durations = g.get("durations")
        if isinstance(durations, dict):
            ties = durations.get("ties") or 0
            text += f", durations {durations.get('equal')}/{durations.get('tokens')} equal"
            text += f" ({ties} within float error of an integer)" if ties else ""
        if g.get("judged_against_float64"):
            text += f", {g['judged_against_float64']} case(s) judged against float64"
        lines.append(text)
    warnings = record.get("warnings") if isinstance(record.get("warnings"), list) else []
    lines.extend(f"warning    {w}" for w in warnings)
    return lines
