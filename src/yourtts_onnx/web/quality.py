"""What a smaller precision costs, measured against the fp32 graphs with ONNX Runtime (no torch).

For each converted graph, alone among fp32 graphs, a few sentences of every bundle language are synthesised
(noise 0, whole sentences, built-in or random voices): the duration predictor's frames must not change, and
the waveform's SNR against fp32 is recorded; the speaker encoder is checked by the cosine of the embeddings it
gives for those fp32 waveforms. ``web-export`` keeps a conversion only when it passes :data:`GATES`; the
figures go into the site's ``site.json``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from yourtts_onnx.runtime.backends import SplitComponents
from yourtts_onnx.runtime.bundle import (
    GRAPH_DURATION_PREDICTOR,
    GRAPH_FLOW,
    GRAPH_SPEAKER_ENCODER,
    GRAPH_TEXT_ENCODER,
    GRAPH_VOCODER,
    BundleConfig,
)
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.similarity import cosine, snr_db
from yourtts_onnx.runtime.speaker_encoder import SpeakerEncoder, recipe_from_bundle
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer

# the texts, a few per language (matched by primary subtag; other languages speak the English ones)
TEXTS: dict[str, tuple[str, ...]] = {
    "en": ("The quick brown fox jumps over the lazy dog.", "Would you like a cup of tea before we start?"),
    "fr": ("Le petit prince regardait les étoiles pendant des heures.",),
    "pt": ("Você sabe onde fica a estação de trem mais próxima?",),
}

# a conversion is kept when it meets these (per precision label): the durations never change, and
MIN_SNR_DB = {"fp16": 40.0, "int8": 20.0}  # waveform SNR against fp32, worst sentence
MIN_COSINE = {"fp16": 0.999, "int8": 0.99}  # speaker-embedding cosine against fp32, worst clip


@dataclass(frozen=True)
class Quality:
    """One converted graph against fp32: worst SNR (dB), durations unchanged, worst embedding cosine."""

    graph: str
    precision: str
    snr_db: float | None = None
    durations_equal: bool | None = None
    cosine: float | None = None

    @property
    def passes(self) -> bool:
        if self.durations_equal is False:
            return False
        if self.snr_db is not None and self.snr_db < MIN_SNR_DB.get(self.precision, math.inf):
            return False
        return self.cosine is None or self.cosine >= MIN_COSINE.get(self.precision, 1.0)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready; a waveform equal to fp32's bit for bit has ``snr_db`` null and ``identical`` true."""
        d = asdict(self)
        if d["snr_db"] is not None:
            d["identical"] = not math.isfinite(d["snr_db"])
            d["snr_db"] = round(d["snr_db"], 2) if math.isfinite(d["snr_db"]) else None
        return d

    def describe(self) -> str:
        parts = []
        if self.snr_db is not None:
            parts.append(f"SNR {self.snr_db:.1f} dB" if math.isfinite(self.snr_db) else "identical")
        if self.durations_equal is not None:
            parts.append("durations equal" if self.durations_equal else "DURATIONS CHANGED")
        if self.cosine is not None:
            parts.append(f"embedding cosine {self.cosine:.6f}")
        return f"{self.graph} ({self.precision}): {', '.join(parts)}"


def _texts(config: BundleConfig) -> list[tuple[str, int, str]]:
    items = []
    for language, lang_id in config.languages.items():
        texts = TEXTS.get(language.split("-")[0], TEXTS["en"])
        items += [(language, lang_id, t) for t in texts]
    return items


def _voices(config: BundleConfig, speakers: Mapping[str, np.ndarray], count: int) -> list[np.ndarray]:
    voices = list(speakers.values())[:count]
    rng = np.random.default_rng(7)
    while len(voices) < count:
        v = rng.standard_normal(config.embedding_dim).astype(np.float32)
        voices.append(v / np.linalg.norm(v))
    return voices


class _Speaker:
    """The synthesis graphs of one set, through the Python runtime's split backend."""

    def __init__(self, graphs: Mapping[str, bytes], config: BundleConfig) -> None:
        sessions = {
            g: create_session(graphs[g], CPU_OPTIONS)
            for g in (GRAPH_TEXT_ENCODER, GRAPH_DURATION_PREDICTOR, GRAPH_FLOW, GRAPH_VOCODER)
        }
        self.backend = SplitComponents(
            sessions[GRAPH_TEXT_ENCODER],
            sessions[GRAPH_DURATION_PREDICTOR],
            sessions[GRAPH_FLOW],
            sessions[GRAPH_VOCODER],
            hop=config.hop_length,
            fields={},
        )

    def speak(
        self, ids: list[int], embedding: np.ndarray, language_id: int, length_scale: float
    ) -> tuple[np.ndarray, np.ndarray]:
        scales = np.array([0.0, length_scale, 0.0], dtype=np.float32)
        rng = np.random.default_rng(0)
        arr = np.asarray([ids], dtype=np.int64)
        prior = self.backend.prior(
            arr, np.array([len(ids)]), embedding[None, :], np.array([language_id]), scales, rng
        )
        audio = np.concatenate(
            [c for c, _ in self.backend.speak(ids, embedding, language_id, scales, rng, None)]
        )
        return audio, prior.durations[0]


def measure(
    reference: Mapping[str, bytes],
    candidate: Mapping[str, bytes],
    precision: Mapping[str, str],
    config: BundleConfig,
    speakers: Mapping[str, np.ndarray],
) -> dict[str, Quality]:
    """Each graph whose bytes differ from ``reference``, measured alone; and ``"all"``, every change at once."""
    tokenizer = Tokenizer(TextFrontendConfig.from_dict(config.text))
    items = _texts(config)
    voices = _voices(config, speakers, len(items))
    base = _Speaker(reference, config)
    ref_audio = []
    for (language, lang_id, text), voice in zip(items, voices, strict=True):
        ids = tokenizer.encode(text, language, strict=False)
        ref_audio.append(
            (ids, voice, lang_id, *base.speak(ids, voice, lang_id, config.inference.length_scale))
        )
    changed = [g for g in candidate if candidate[g] != reference[g]]
    results: dict[str, Quality] = {}
    synthesis_changes = [g for g in changed if g != GRAPH_SPEAKER_ENCODER]
    groups = [(g, [g]) for g in synthesis_changes]
    if len(synthesis_changes) > 1:
        groups.append(("all", synthesis_changes))
    for label, graphs in groups:
        mixed = {**reference, **{g: candidate[g] for g in graphs}}
        speaker = _Speaker(mixed, config)
        worst, same = math.inf, True
        for ids, voice, lang_id, audio, durations in ref_audio:
            got, got_durations = speaker.speak(ids, voice, lang_id, config.inference.length_scale)
            same = same and np.array_equal(durations, got_durations)
            worst = min(worst, snr_db(audio, got))
        label_precision = "int8" if any(precision[g] == "int8" for g in graphs) else precision[graphs[0]]
        results[label] = Quality(label, label_precision, snr_db=worst, durations_equal=same)
    if GRAPH_SPEAKER_ENCODER in changed and config.speaker_encoder:
        recipe = recipe_from_bundle(config.speaker_encoder, "config.json")
        encoders = [
            SpeakerEncoder(
                create_session(g[GRAPH_SPEAKER_ENCODER], CPU_OPTIONS), recipe, config.embedding_dim
            )
            for g in (reference, candidate)
        ]
        worst_cos = math.inf
        for _ids, _voice, _lang, audio, _durations in ref_audio:
            a, b = (e.embed_samples(audio, config.sample_rate) for e in encoders)
            worst_cos = min(worst_cos, cosine(a, b))
        results[GRAPH_SPEAKER_ENCODER] = Quality(
            GRAPH_SPEAKER_ENCODER, precision[GRAPH_SPEAKER_ENCODER], cosine=worst_cos
        )
    return results
