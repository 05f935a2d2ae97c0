"""The exported bundle: a directory with ONNX graphs, ``config.json`` and built-in speaker embeddings.

``config.json`` is the contract for every consumer (Python, Rust, C++, Node). It is parsed here,
once, into dataclasses; nothing else in the runtime reads raw JSON. See
``yourtts_onnx/schemas/bundle_config.schema.json`` for the schema and ``docs/consumers.md`` for prose.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.errors import BundleError
from yourtts_onnx.runtime import bundle_checks
from yourtts_onnx.runtime.graph_catalog import (  # re-exported: the graph names readers of a bundle use
    GRAPH_DECODER,
    GRAPH_DURATION_PREDICTOR,
    GRAPH_FLOW,
    GRAPH_MODEL,
    GRAPH_SPEAKER_ENCODER,
    GRAPH_TEXT_ENCODER,
    GRAPH_VOCODER,
)
from yourtts_onnx.runtime.integrity import check_integrity, sha256_file
from yourtts_onnx.runtime.npy import read_float_npy

__all__ = [
    "GRAPH_DECODER",
    "GRAPH_DURATION_PREDICTOR",
    "GRAPH_FLOW",
    "GRAPH_MODEL",
    "GRAPH_SPEAKER_ENCODER",
    "GRAPH_TEXT_ENCODER",
    "GRAPH_VOCODER",
    "Bundle",
    "BundleConfig",
    "sha256_file",
]

FORMAT_NAME = "yourtts-onnx-bundle"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"


def _req(d: Any, key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise BundleError(f"{where}: missing field '{key}'")
    value = d[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float, (int, float))):
        raise BundleError(f"{where}: field '{key}' has the wrong type ({type(value).__name__})")
    return value


@dataclass(frozen=True)
class TensorSpec:
    """One graph input or output. ``shape`` entries are ints or symbolic axis names."""

    name: str
    dtype: str  # "int64" | "float32" | "float16"
    shape: tuple[int | str, ...]
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": list(self.shape),
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str) -> TensorSpec:
        shape = _req(d, "shape", where, list)
        if not all(isinstance(s, (int, str)) and not isinstance(s, bool) for s in shape):
            raise BundleError(f"{where}: 'shape' entries must be integers or axis names")
        return cls(
            name=_req(d, "name", where, str),
            dtype=_req(d, "dtype", where, str),
            shape=tuple(shape),
            description=str(d.get("description", "")),
        )


@dataclass(frozen=True)
class GraphInfo:
    file: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    description: str = ""
    precision: str = "fp32"
    #: the same graph as ONNX Runtime's CPU provider runs it fastest (contrib ops; an INT8 bundle's vocoder):
    #: loaded instead of ``file`` when every session runs on the CPU provider; ``None``: none
    cpu_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "description": self.description,
            "precision": self.precision,
            "inputs": [t.to_dict() for t in self.inputs],
            "outputs": [t.to_dict() for t in self.outputs],
        }
        if self.cpu_file is not None:
            out["cpu_file"] = self.cpu_file
        return out

    @classmethod
    def from_dict(cls, d: Any, where: str) -> GraphInfo:
        cpu_file = d.get("cpu_file") if isinstance(d, dict) else None
        if cpu_file is not None:
            if not isinstance(cpu_file, str):
                raise BundleError(f"{where}: 'cpu_file' must be a string, got {type(cpu_file).__name__}")
            cpu_file = bundle_checks.check_relative_file(cpu_file, where, "cpu_file")
        return cls(
            file=bundle_checks.check_relative_file(_req(d, "file", where, str), where, "file"),
            inputs=tuple(TensorSpec.from_dict(t, f"{where}.inputs") for t in _req(d, "inputs", where, list)),
            outputs=tuple(
                TensorSpec.from_dict(t, f"{where}.outputs") for t in _req(d, "outputs", where, list)
            ),
            description=str(d.get("description", "")),
            precision=str(d.get("precision", "fp32")),
            cpu_file=cpu_file,
        )


@dataclass(frozen=True)
class InferenceDefaults:
    noise_scale: float = 0.667
    length_scale: float = 1.0
    noise_scale_dp: float = 1.0

    def to_dict(self) -> dict[str, float]:
        return {
            "noise_scale": self.noise_scale,
            "length_scale": self.length_scale,
            "noise_scale_dp": self.noise_scale_dp,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str) -> InferenceDefaults:
        defaults = cls(
            noise_scale=float(_req(d, "noise_scale", where, (int, float))),
            length_scale=float(_req(d, "length_scale", where, (int, float))),
            noise_scale_dp=float(_req(d, "noise_scale_dp", where, (int, float))),
        )
        bundle_checks.check_inference(
            defaults.noise_scale, defaults.length_scale, defaults.noise_scale_dp, where
        )
        return defaults


@dataclass(frozen=True)
class SpeakersInfo:
    """Built-in speakers: row i of the float32 ``[N, dim]`` array in ``file`` is ``names[i]``."""

    file: str | None
    names: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "names": list(self.names)}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> SpeakersInfo:
        names = _req(d, "names", where, list)
        file = d.get("file")
        if file is not None and not isinstance(file, str):
            raise BundleError(f"{where}: field 'file' must be a string or null")
        if names and file is None:
            raise BundleError(f"{where}: speakers are named but no embedding file is given")
        if file is not None:
            bundle_checks.check_relative_file(file, where, "file")
        return cls(file=file, names=tuple(str(n) for n in names))


@dataclass(frozen=True)
class ReceptiveField:
    """Frames of past (``left``) and future (``right``) context one output frame of a decoder stage
    depends on; recorded per stage in ``config.json`` at export, read by chunked decoding."""

    left: int
    right: int

    def __add__(self, other: ReceptiveField) -> ReceptiveField:
        return ReceptiveField(self.left + other.left, self.right + other.right)

    def to_list(self) -> list[int]:
        return [self.left, self.right]

    @classmethod
    def from_value(cls, value: Any, where: str) -> ReceptiveField:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100_000 for v in value)
        ):
            raise BundleError(f"{where}: expected [left, right] frames (two integers >= 0), got {value!r}")
        return cls(value[0], value[1])


def _receptive_fields(d: Any, where: str) -> dict[str, ReceptiveField]:
    if d is None:
        return {}
    if not isinstance(d, dict):
        raise BundleError(f"{where}: 'receptive_fields' must be an object of stage -> [left, right]")
    return {str(k): ReceptiveField.from_value(v, f"{where}: receptive_fields.{k}") for k, v in d.items()}


@dataclass(frozen=True)
class BundleConfig:
    """Parsed ``config.json`` of a bundle."""

    format_version: int
    sample_rate: int
    hop_length: int
    embedding_dim: int
    opset: int
    precision: str
    text: dict[str, Any]  # TextFrontendConfig.to_dict(); parsed by the text frontend
    languages: dict[str, int]
    speakers: SpeakersInfo
    speaker_encoder: dict[str, Any] | None  # {"graph": name, "recipe": EmbeddingRecipe.to_dict()}
    inference: InferenceDefaults
    graphs: dict[str, GraphInfo]
    files: dict[str, dict[str, Any]]  # relative path → {"sha256", "bytes"}
    model: dict[str, Any] = field(default_factory=dict)  # provenance: name, licence, source checkpoint
    # decoder stage name ("decoder", "flow", "vocoder") -> its receptive field in frames; empty in
    # bundles from before it was recorded (they then stream one window per sentence)
    receptive_fields: dict[str, ReceptiveField] = field(default_factory=dict)
    # what the export's verification measured (per graph: cases, max-abs, min SNR, durations agreement) and
    # its warnings; None for bundles exported without verification or before it was recorded
    verification: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        extra = {"verification": self.verification} if self.verification is not None else {}
        return {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "model": self.model,
            "audio": {"sample_rate": self.sample_rate, "hop_length": self.hop_length},
            "text": self.text,
            "languages": self.languages,
            "speaker_embedding": {"dim": self.embedding_dim, "normalization": "l2 inside the graph"},
            "speakers": self.speakers.to_dict(),
            "speaker_encoder": self.speaker_encoder,
            "inference": self.inference.to_dict(),
            "precision": self.precision,
            "opset": self.opset,
            "graphs": {name: g.to_dict() for name, g in self.graphs.items()},
            "receptive_fields": {k: v.to_list() for k, v in self.receptive_fields.items()},
            "files": self.files,
            **extra,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = CONFIG_NAME) -> BundleConfig:
        if not isinstance(d, dict):
            raise BundleError(f"{where}: expected a JSON object")
        bundle_checks.check_depth(d, where)
        if d.get("format") != FORMAT_NAME:
            raise BundleError(
                f"{where}: field 'format' must be '{FORMAT_NAME}' (is this a yourtts-onnx bundle?)"
            )
        version = _req(d, "format_version", where, int)
        if version > FORMAT_VERSION:
            raise BundleError(
                f"{where}: format_version {version} is newer than this runtime supports ({FORMAT_VERSION}); upgrade"
            )
        audio = _req(d, "audio", where, dict)
        languages = _req(d, "languages", where, dict)
        if not languages or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in languages.values()
        ):
            raise BundleError(f"{where}: 'languages' must map names to integer ids")
        graphs_raw = _req(d, "graphs", where, dict)
        if not graphs_raw:
            raise BundleError(f"{where}: 'graphs' lists no graph")
        speaker_encoder = d.get("speaker_encoder")
        if speaker_encoder is not None and not isinstance(speaker_encoder, dict):
            raise BundleError(f"{where}: 'speaker_encoder' must be an object or null")
        files = _req(d, "files", where, dict)
        for name in files:
            bundle_checks.check_relative_file(name, where, "files")
        sample_rate = _req(audio, "sample_rate", f"{where}: audio", int)
        hop_length = _req(audio, "hop_length", f"{where}: audio", int)
        bundle_checks.check_audio(sample_rate, hop_length, where)
        embedding_dim = _req(
            _req(d, "speaker_embedding", where, dict), "dim", f"{where}: speaker_embedding", int
        )
        bundle_checks.check_embedding_dim(embedding_dim, where)
        bundle_checks.check_languages(languages, where)
        if speaker_encoder is not None:
            bundle_checks.check_recipe(speaker_encoder.get("recipe"), where)
        verification = d.get("verification")
        if verification is not None and not isinstance(verification, dict):
            raise BundleError(f"{where}: 'verification' must be an object or null")
        return cls(
            format_version=version,
            sample_rate=sample_rate,
            hop_length=hop_length,
            embedding_dim=embedding_dim,
            opset=_req(d, "opset", where, int),
            precision=str(d.get("precision", "fp32")),
            text=_req(d, "text", where, dict),
            languages=dict(languages),
            speakers=SpeakersInfo.from_dict(_req(d, "speakers", where, dict), f"{where}: speakers"),
            speaker_encoder=speaker_encoder,
            inference=InferenceDefaults.from_dict(_req(d, "inference", where, dict), f"{where}: inference"),
            graphs={n: GraphInfo.from_dict(g, f"{where}: graphs.{n}") for n, g in graphs_raw.items()},
            files=files,
            model=dict(d.get("model") or {}),
            receptive_fields=_receptive_fields(d.get("receptive_fields"), where),
            verification=verification,
        )


@dataclass
class Bundle:
    """An opened bundle directory: its config, and paths to its files (nothing is loaded yet)."""

    root: Path
    config: BundleConfig

    @classmethod
    def open(cls, path: str | Path, *, integrity: str = "stamp", verify_hashes: bool | None = None) -> Bundle:
        """Parse ``config.json`` and check the files it lists (:func:`~.integrity.check_integrity`):
        ``integrity="stamp"`` (default) hashes only files not verified before in their current state,
        ``"full"`` hashes all, ``"none"`` checks presence and sizes. ``verify_hashes=False`` is ``"none"``."""
        if verify_hashes is False:
            integrity = "none"
        root = Path(path)
        if root.is_file() and root.name == CONFIG_NAME:
            root = root.parent
        if not root.is_dir():
            raise BundleError(f"{root}: bundle directory not found")
        cfg_path = root / CONFIG_NAME
        if not cfg_path.is_file():
            raise BundleError(f"{root}: no {CONFIG_NAME} (is this a yourtts-onnx bundle?)")
        try:
            raw = json.loads(bundle_checks.read_config_text(cfg_path))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BundleError(f"{cfg_path}: malformed JSON ({exc})") from None
        except RecursionError:
            raise BundleError(f"{cfg_path}: malformed JSON (nested too deeply)") from None
        bundle = cls(root, BundleConfig.from_dict(raw, str(cfg_path)))
        bundle.check_files(integrity)
        return bundle

    def check_files(self, integrity: str = "stamp") -> int:
        """Every file listed must exist with its size (and SHA-256, per ``integrity``); returns files hashed."""
        hashed = check_integrity(self.root, self.config.files, integrity, CONFIG_NAME)
        for name, graph in self.config.graphs.items():
            for file in (graph.file, graph.cpu_file):
                if file is not None and file not in self.config.files and not (self.root / file).is_file():
                    raise BundleError(f"{self.root}: graph '{name}' file '{file}' is missing")
        return hashed

    def _file(self, graph: str, cpu: bool) -> str:
        if graph not in self.config.graphs:
            raise BundleError(
                f"{self.root}: bundle has no '{graph}' graph (has: {', '.join(self.config.graphs)})"
            )
        info = self.config.graphs[graph]
        return info.cpu_file if cpu and info.cpu_file is not None else info.file

    def file_sha256(self, graph: str, *, cpu: bool = False) -> str | None:
        """The recorded SHA-256 of a graph's file (``None`` when not recorded); ``cpu``: of its CPU copy
        where it has one."""
        if graph not in self.config.graphs:
            return None
        meta = self.config.files.get(self._file(graph, cpu))
        sha = meta.get("sha256") if isinstance(meta, dict) else None
        return sha if isinstance(sha, str) else None

    def has_graph(self, name: str) -> bool:
        return name in self.config.graphs

    def has_cpu_copy(self, name: str) -> bool:
        """Whether the graph has a copy for ONNX Runtime's CPU provider (:attr:`GraphInfo.cpu_file`)."""
        info = self.config.graphs.get(name)
        return info is not None and info.cpu_file is not None

    def graph_path(self, name: str, *, cpu: bool = False) -> Path:
        """The graph's file; ``cpu``: its CPU copy where it has one (else the portable file)."""
        return self.root / self._file(name, cpu)

    def speaker_embeddings(self) -> dict[str, np.ndarray]:
        info = self.config.speakers
        if not info.names or info.file is None:
            return {}
        path = self.root / info.file
        expected = (len(info.names), self.config.embedding_dim)
        try:  # the header is checked (shape, dtype, size) before anything is allocated
            table = read_float_npy(path, max_elements=math.prod(expected), shape=expected)
        except ValueError as exc:
            raise BundleError(f"{path}: cannot read speaker embeddings ({exc})") from None
        if table.ndim != 2 or table.shape != (len(info.names), self.config.embedding_dim):
            raise BundleError(
                f"{path}: expected shape [{len(info.names)}, {self.config.embedding_dim}], got {list(table.shape)}"
            )
        if not np.issubdtype(table.dtype, np.floating) or not np.all(np.isfinite(table)):
            raise BundleError(f"{path}: speaker embeddings must be finite floating-point numbers")
        return {name: table[i].astype(np.float32) for i, name in enumerate(info.names)}
