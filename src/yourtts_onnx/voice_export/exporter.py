"""Export one voice of a bundle as a single-speaker model for Piper or sherpa-onnx.

The output directory is assembled in a temporary sibling and renamed into place, so a failed export
leaves nothing behind; an existing directory is replaced only if an earlier export-voice wrote it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx import __version__
from yourtts_onnx.errors import ExportError, InputError, require
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.bundle import GRAPH_MODEL, Bundle
from yourtts_onnx.runtime.output_dir import install_output_dir, prepare_output_dir
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer
from yourtts_onnx.runtime.voices import load_profile, looks_like_path

from .charmap import Composition, char_table, composition_table
from .graph import bake_voice
from .piper import phoneme_id_map, piper_config, piper_ids
from .sherpa import sherpa_ids, sherpa_metadata, tokens_table, tokens_txt

FORMATS = ("piper", "sherpa-onnx")
MANIFEST = "yourtts-voice.json"
MANIFEST_FORMAT = "yourtts-onnx-voice-export"
#: The ``graph`` metadata of an exported model: inputs ``input, input_lengths, scales`` only.
SINGLE_VOICE_GRAPH = "single_voice"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
VERIFY_TOLERANCE = 1e-4

#: One sentence per language to check the exported graph against the bundle: accented and upper-case
#: letters on purpose, and no sentence end before the last character (sherpa-onnx splits there).
_SAMPLES = {
    "en": "Hello, World, is this Café open.",
    "fr": "Ça va très bien, merci Noël.",
    "pt": "Olá, não há ação sem coração.",
}

Progress = Callable[[str], None]


@dataclass
class VoiceExportResult:
    out: Path
    files: list[str]
    name: str
    voice: str
    language: str
    format: str
    max_abs_diff: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ResolvedVoice:
    name: str
    embedding: np.ndarray
    source: str  # "builtin" or the profile path


def resolve_voice(
    bundle: Bundle, voice: str, voices_dir: str | os.PathLike[str] | None = None
) -> ResolvedVoice:
    """A built-in speaker name, a saved voice name, or the path of a profile ``.json``/``.npy``."""
    dim = bundle.config.embedding_dim
    builtin = bundle.speaker_embeddings()
    if voice in builtin:
        emb = builtin[voice]
        return ResolvedVoice(voice, _check(emb, dim, voice), "builtin")
    if looks_like_path(voice) or Path(voice).is_file():
        profile = load_profile(voice)
    else:
        try:
            profile = load_profile(voice, voices_dir)
        except InputError as exc:
            listed = ", ".join(builtin) or "none"
            raise InputError(f"{exc} (built-in speakers: {listed})") from None
    return ResolvedVoice(profile.name, _check(profile.embedding, dim, voice), str(profile.path))


def _check(emb: np.ndarray, dim: int, what: str) -> np.ndarray:
    emb = np.asarray(emb, dtype=np.float32).reshape(-1)
    if emb.shape != (dim,):
        raise InputError(f"voice '{what}': the embedding has {emb.size} values; this bundle needs {dim}")
    if not np.all(np.isfinite(emb)) or not np.any(emb):
        raise InputError(f"voice '{what}': the embedding must be finite and not all zero")
    return emb


def default_name(language: str, voice: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"yourtts-{language}-{voice}").strip("_.-")[:100]


def export_voice(
    bundle_dir: str | os.PathLike[str],
    voice: str,
    language: str,
    fmt: str,
    out: str | os.PathLike[str],
    *,
    name: str | None = None,
    voices_dir: str | os.PathLike[str] | None = None,
    compose_marks: bool = True,
    verify: bool = True,
    progress: Progress = print,
) -> VoiceExportResult:
    """Write a single-voice model for ``fmt`` (``"piper"`` or ``"sherpa-onnx"``) into ``out``.

    Raises:
        InputError: unknown format, language or voice, or an unusable output directory.
        BundleError: the bundle is incomplete or has no end-to-end ``model`` graph.
        ExportError: the graph surgery failed or the exported graph disagrees with the bundle.
    """
    onnx = require("onnx", "export")
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}': choose {' or '.join(FORMATS)}")
    bundle = Bundle.open(bundle_dir)
    config = bundle.config
    if language not in config.languages:
        raise InputError(f"unknown language '{language}' (bundle has: {', '.join(config.languages)})")
    resolved = resolve_voice(bundle, voice, voices_dir)
    name = name or default_name(language, resolved.name)
    if not _NAME.match(name):
        raise InputError(f"invalid name '{name}': use letters, digits, '_', '-' and '.' (at most 100)")
    out = Path(out)
    inputs = [bundle.root, *([Path(voices_dir)] if voices_dir is not None else [])]
    prepare_output_dir(out, "voice", inputs=inputs)

    text = TextFrontendConfig.from_dict(config.text)
    table = char_table(text, language)
    composition: Composition | None = None
    if fmt == "piper" and compose_marks and text.add_blank:
        composition = composition_table(text, language)
    model_path = bundle.graph_path(GRAPH_MODEL)
    # the bundle's graphs keep their weights in a shared file; the voice model must be self-contained
    # (sherpa-onnx loads it from memory), so the weights are loaded into it here
    model = onnx.load(str(model_path), load_external_data=True)
    provenance = _provenance(bundle, resolved, language, fmt)
    result = VoiceExportResult(
        out=out, files=[], name=name, voice=resolved.name, language=language, format=fmt
    )

    if fmt == "piper":
        id_map = phoneme_id_map(text, table, composition)
        n_marks = len(composition.marks) if composition else 0
        graph_meta = {
            "graph": SINGLE_VOICE_GRAPH,
            "yourtts_voice": resolved.name,
            "yourtts_language": language,
            "yourtts_host": "piper",
        }
        baked = bake_voice(
            model, resolved.embedding, config.languages[language], composition=composition,
            vocab_size=text.vocab_size, pad_id=text.pad_id, metadata=graph_meta,
        )  # fmt: skip
        voice_json = piper_config(
            text=text, id_map=id_map, sample_rate=config.sample_rate, hop_length=config.hop_length,
            language=language, inference=config.inference.to_dict(), num_symbols=text.vocab_size + n_marks,
            dataset=resolved.name, provenance=provenance,
        )  # fmt: skip
        files = {
            f"{name}.onnx": baked.SerializeToString(),
            f"{name}.onnx.json": (json.dumps(voice_json, indent=2, ensure_ascii=False) + "\n").encode(
                "utf-8"
            ),
        }

        def host_ids(sample: str) -> list[list[int]]:
            return [piper_ids(sample, id_map)]

    else:
        tokens = tokens_table(table)
        meta = sherpa_metadata(
            text=text, sample_rate=config.sample_rate, language=language,
            provenance={f"yourtts_{k}": v for k, v in provenance.items() if isinstance(v, (str, int, float))},
        )  # fmt: skip
        meta["graph"] = SINGLE_VOICE_GRAPH
        baked = bake_voice(model, resolved.embedding, config.languages[language], metadata=meta)
        files = {f"{name}.onnx": baked.SerializeToString(), "tokens.txt": tokens_txt(tokens).encode("utf-8")}
        blank = text.blank_id if text.blank_id is not None else 0

        def host_ids(sample: str) -> list[list[int]]:
            return sherpa_ids(sample, tokens, blank_id=blank, add_blank=text.add_blank)

    files["MODEL_CARD"] = _model_card(name, fmt, resolved, language, bundle).encode("utf-8")
    files[MANIFEST] = (
        json.dumps({**provenance, "name": name, "files": sorted(files)}, indent=2) + "\n"
    ).encode()

    if verify:
        result.max_abs_diff = _verify(bundle, baked, resolved.embedding, language, text, host_ids)
        progress(f"  verified against the bundle: max-abs {result.max_abs_diff:.2e}")

    parent = out.parent if str(out.parent) else Path(".")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        for rel, data in files.items():
            (tmp / rel).write_bytes(data)
        os.chmod(tmp, 0o755)
        install_output_dir(tmp, out, "voice", inputs=inputs)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.files = sorted(files)
    note = config.model.get("license_note")
    if note:
        result.notes.append(str(note))
    return result


def _sha256_of(bundle: Bundle, rel: str) -> str:
    meta = bundle.config.files.get(rel, {})
    return str(meta.get("sha256", "")) if isinstance(meta, dict) else ""


def _provenance(bundle: Bundle, voice: ResolvedVoice, language: str, fmt: str) -> dict[str, Any]:
    model_file = bundle.config.graphs[GRAPH_MODEL].file
    weights = sorted(_model_weight_files(bundle.graph_path(GRAPH_MODEL)))
    return {
        "format": MANIFEST_FORMAT,
        "format_version": 1,
        "host": fmt,
        "voice": voice.name,
        "voice_source": voice.source,
        "embedding_sha256": hashlib.sha256(voice.embedding.astype("<f4").tobytes()).hexdigest(),
        "language": language,
        "language_id": bundle.config.languages[language],
        "bundle_model_sha256": _sha256_of(bundle, model_file),
        "bundle_weights_sha256": {rel: _sha256_of(bundle, rel) for rel in weights},
        "source_checkpoint": str(bundle.config.model.get("source_checkpoint", "")),
        "license_note": str(bundle.config.model.get("license_note", "")),
        "exported_by": f"yourtts-onnx {__version__}",
    }


def _model_weight_files(path: Path) -> set[str]:
    """The external weights files ``model.onnx`` refers to (none for a self-contained graph)."""
    from yourtts_onnx.export.graph_files import external_files

    onnx = require("onnx", "export")
    return set(external_files(onnx.load(str(path), load_external_data=False)))


def _model_card(name: str, fmt: str, voice: ResolvedVoice, language: str, bundle: Bundle) -> str:
    host = (
        'Piper (piper-tts, phoneme_type "text")'
        if fmt == "piper"
        else "sherpa-onnx (VITS, character frontend)"
    )
    licence = bundle.config.model.get("license_note", "see the source checkpoint")
    return (
        f"# {name}\n\n"
        f"Single-voice YourTTS model for {host}, exported by yourtts-onnx {__version__}.\n\n"
        f"* voice: {voice.name} ({'built-in speaker' if voice.source == 'builtin' else voice.source})\n"
        f"* language: {language}\n"
        f"* sample rate: {bundle.config.sample_rate} Hz\n"
        f"* source checkpoint: {bundle.config.model.get('source_checkpoint', 'unknown')}\n\n"
        f"Licence: {licence}\n\n"
        "The host's text frontend is simpler than YourTTS's; docs/consumers.md of yourtts-onnx lists exactly\n"
        "which inputs are read differently (whitespace runs, sentence splitting, ...).\n"
    )


def _verify(
    bundle: Bundle,
    baked: Any,
    embedding: np.ndarray,
    language: str,
    text: TextFrontendConfig,
    host_ids: Callable[[str], list[list[int]]],
) -> float:
    """The baked graph fed the host's ids must reproduce the bundle's model fed the tokenizer's ids."""
    sample = _SAMPLES.get(language.split("-", 1)[0], "Hello world.")
    reference_ids = [Tokenizer(text).encode(sample, language)]
    got_ids = host_ids(sample)
    if len(got_ids) != 1:
        raise ExportError(
            f"check sentence {sample!r} is split into {len(got_ids)} sentences by the host frontend"
        )
    ref = create_session(bundle.graph_path(GRAPH_MODEL), CPU_OPTIONS)
    new = create_session(baked.SerializeToString(), CPU_OPTIONS, name="single-voice model")  # as sherpa does
    scales = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    a = ref.run(None, {
        cat.INPUT_IDS: np.array(reference_ids, dtype=np.int64),
        cat.INPUT_LENGTHS: np.array([len(reference_ids[0])], dtype=np.int64),
        cat.SCALES: scales,
        cat.SPEAKER_EMBEDDING: embedding[None, :],
        cat.LANGUAGE_ID: np.array([bundle.config.languages[language]], dtype=np.int64),
    })[0]  # fmt: skip
    b = new.run(None, {
        cat.INPUT_IDS: np.array(got_ids, dtype=np.int64),
        cat.INPUT_LENGTHS: np.array([len(got_ids[0])], dtype=np.int64),
        cat.SCALES: scales,
    })[0]  # fmt: skip
    if a.shape != b.shape:
        raise ExportError(
            f"exported voice graph gives {b.shape[-1]} samples for a check sentence; bundle: {a.shape[-1]}"
        )
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    if diff > VERIFY_TOLERANCE:
        raise ExportError(
            f"exported voice graph differs from the bundle by {diff:.2e} (> {VERIFY_TOLERANCE:g})"
        )
    return diff
