"""Manifest rows checked against the bundle, on the driver, before any synthesis → :class:`WorkItem`.

A row is refused (a :class:`~.manifest.RowError`, the run goes on) for: empty or over-long text, text with
nothing the model can pronounce, an unknown language, an unknown voice or an unreadable recording, an
option out of range, an id that cannot name a file, or an id used twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from yourtts_onnx.errors import InputError, YourTTSError
from yourtts_onnx.runtime.bundle import Bundle
from yourtts_onnx.runtime.limits import MAX_BATCH_ROW_CHARS
from yourtts_onnx.runtime.options import SynthesisOptions, make_options
from yourtts_onnx.runtime.planner import Planner, Scales
from yourtts_onnx.runtime.text.lexicon import Lexicon

from .keys import array_digest, content_key, default_id, derive_seed
from .manifest import ManifestRow, RowError
from .voices import VoiceResolver

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class WorkItem:
    """One item to synthesise: ``options`` carry the language, the voice's embedding and the seed."""

    line: int
    id: str
    text: str
    language: str
    voice: str  # as the metadata records it
    options: SynthesisOptions
    seed: int
    scales: Scales
    key: str


@dataclass(frozen=True)
class RunIdentity:
    """What every item's key shares: the bundle (its config.json's SHA-256), backend and audio format."""

    bundle_sha256: str
    backend: str
    audio_format: str
    sample_rate: int


@dataclass
class ItemPlan:
    items: list[WorkItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


class ItemPlanner:
    """Turns rows into items for one bundle and run; voices come from ``resolver`` (cached per run).

    Each row's text is planned by the engine's :class:`~yourtts_onnx.runtime.planner.Planner` (what a
    worker's synthesizer does with it: SSML, the lexicon, blended ``<voice>`` spans), so a row the engine
    would refuse is refused here, on the driver."""

    def __init__(
        self,
        bundle: Bundle,
        resolver: VoiceResolver,
        defaults: SynthesisOptions,
        identity: RunIdentity,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.config = bundle.config
        self.lexicon = lexicon
        self.planner = Planner.for_bundle(bundle, resolver.voices, lexicon)
        self.resolver = resolver
        self.defaults = defaults
        self.identity = identity

    def plan(self, rows: Sequence[ManifestRow | RowError]) -> ItemPlan:
        result = ItemPlan(rows=len(rows))
        first_line: dict[str, int] = {}
        for row in rows:
            if isinstance(row, RowError):
                result.errors.append(row)
                continue
            try:
                item = self.item(row)
            except YourTTSError as exc:
                result.errors.append(RowError(row.line, row.id, str(exc)))
                continue
            if item.id in first_line:
                reason = f"duplicate id '{item.id}' (first on line {first_line[item.id]})"
                if row.id is None:
                    reason = (
                        f"same text, language, voice and options as line {first_line[item.id]}: "
                        "give the rows ids (and seeds) to get two renditions"
                    )
                result.errors.append(RowError(row.line, row.id, reason))
                continue
            first_line[item.id] = row.line
            result.items.append(item)
        return result

    def item(self, row: ManifestRow) -> WorkItem:
        text = row.text
        if not text.strip():
            raise InputError("empty text")
        if len(text) > MAX_BATCH_ROW_CHARS:
            raise InputError(f"text has {len(text)} characters; the limit per row is {MAX_BATCH_ROW_CHARS}")
        if row.id is not None and not ID_PATTERN.match(row.id):
            raise InputError(
                f"id '{row.id}' cannot name a file: use letters, digits, '.', '_' and '-' "
                "(at most 128, starting with a letter or digit)"
            )
        language, _ = self.planner.language(row.language or self.defaults.language)
        voice = self.resolver.resolve(row.voice)
        given = [row.noise_scale, row.length_scale, row.noise_scale_dp]
        options = make_options(
            self.defaults,
            language=language,
            embedding=voice.embedding,
            noise_scale=row.noise_scale,
            length_scale=row.length_scale,
            noise_scale_dp=row.noise_scale_dp,
            seed=row.seed,
        )
        # the engine's plan: raises when the text (or SSML) has nothing the model can pronounce, or names an
        # unknown language or voice
        self.planner.prepare(text, options)
        item_id = row.id if row.id is not None else default_id(text, language, voice.ref, given, row.seed)
        seed = row.seed if row.seed is not None else derive_seed(item_id, text, language, voice.ref)
        options = options.with_(seed=seed, embedding=voice.embedding)
        scales = self.planner.scales(options)
        key = content_key(self._key_fields(item_id, text, language, voice.embedding, seed, scales, options))
        return WorkItem(row.line, item_id, text, language, voice.label, options, seed, scales, key)

    def _key_fields(
        self,
        item_id: str,
        text: str,
        language: str,
        embedding: Any,
        seed: int,
        scales: Scales,
        o: SynthesisOptions,
    ) -> dict[str, Any]:
        ident = self.identity
        return {
            "bundle": ident.bundle_sha256,
            "backend": ident.backend,
            "format": ident.audio_format,
            "sample_rate": ident.sample_rate,
            "id": item_id,
            "text": text,
            "language": language,
            "embedding": array_digest(embedding),
            "seed": seed,
            "scales": [scales.noise_scale, scales.length_scale, scales.noise_scale_dp],
            "sentence_pause": o.sentence_pause,
            "max_tokens": o.max_tokens,
            "normalize_numbers": o.normalize_numbers,
            "split_sentences": o.split_sentences,
            # only when set, so the keys of runs without it (and their resumes) stay as they were
            **({"loudness": o.loudness} if o.loudness is not None else {}),
            **({"lexicon": self.lexicon.digest} if self.lexicon is not None else {}),
        }
