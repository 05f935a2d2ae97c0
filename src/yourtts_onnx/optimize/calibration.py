"""Calibration inputs for static quantisation, computed by the fp32 bundle itself (no torch).

A few sentences in each language of the bundle, spoken by its built-in speakers (or random unit
vectors), with the bundle's default noise scales, give realistic activations. Decoder and vocoder
inputs are cut into windows of ``window`` frames to keep calibration quick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.alignment import expand_prior
from yourtts_onnx.runtime.bundle import GRAPH_DURATION_PREDICTOR, GRAPH_TEXT_ENCODER, Bundle
from yourtts_onnx.runtime.graph_catalog import DP_NOISE, DP_NOISE_CHANNELS
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer

Feeds = dict[str, np.ndarray]

CALIBRATION_TEXTS: dict[str, tuple[str, ...]] = {
    "en": (
        "It was the best of times, it was the worst of times.",
        "A journey of a thousand miles begins with a single step.",
        "Would you like a cup of tea before the meeting starts?",
    ),
    "fr": (
        "Le petit prince regardait les étoiles pendant des heures.",
        "Nous partirons demain matin, avant le lever du soleil.",
    ),
    "pt": (
        "O menino correu pela praia até o fim da tarde.",
        "Você sabe onde fica a estação de trem mais próxima?",
    ),
}


@dataclass
class Calibration:
    """Feeds for each graph kind."""

    model: list[Feeds]
    decoder: list[Feeds]
    vocoder_latents: list[tuple[np.ndarray, np.ndarray]]  # (z_p window, embedding [1, D]) for flow → vocoder


def _latent(m_p: np.ndarray, logs_p: np.ndarray, noise_scale: float, rng: np.random.Generator) -> np.ndarray:
    """``z_p = m_p + eps * exp(logs_p) * noise_scale``, the flow's input."""
    eps = rng.standard_normal(m_p.shape).astype(np.float32)
    return (m_p + eps * np.exp(logs_p) * np.float32(noise_scale)).astype(np.float32)


def _language_for(prefix: str, languages: Sequence[str]) -> str | None:
    return next((name for name in languages if name.split("-")[0] == prefix), None)


def make_calibration(bundle: Bundle, *, window: int = 96, seed: int = 0, max_items: int = 8) -> Calibration:
    cfg = bundle.config
    tok = Tokenizer(TextFrontendConfig.from_dict(cfg.text))
    rng = np.random.default_rng(seed)
    speakers = list(bundle.speaker_embeddings().values())
    if not speakers:
        speakers = [
            v / np.linalg.norm(v) for v in rng.standard_normal((4, cfg.embedding_dim)).astype(np.float32)
        ]
    scales = np.array(
        [cfg.inference.noise_scale, cfg.inference.length_scale, cfg.inference.noise_scale_dp],
        dtype=np.float32,
    )
    te = create_session(bundle.graph_path(GRAPH_TEXT_ENCODER), CPU_OPTIONS)
    dp = create_session(bundle.graph_path(GRAPH_DURATION_PREDICTOR), CPU_OPTIONS)
    dp_has_noise = DP_NOISE in {i.name for i in dp.get_inputs()}  # bundles from before dp_noise lack it
    items: list[tuple[str, int, str]] = []
    for prefix, texts in CALIBRATION_TEXTS.items():
        lang = _language_for(prefix, list(cfg.languages)) or next(iter(cfg.languages))
        items += [(t, cfg.languages[lang], lang) for t in texts]
    out = Calibration([], [], [])
    for i, (text, lang_id, lang) in enumerate(items[:max_items]):
        ids = np.array([tok.encode(text, lang, strict=False)], dtype=np.int64)
        emb = np.asarray(speakers[i % len(speakers)], dtype=np.float32)[None, :]
        lengths = np.array([ids.shape[1]], dtype=np.int64)
        language = np.array([lang_id], dtype=np.int64)
        out.model.append(
            {
                cat.INPUT_IDS: ids,
                cat.INPUT_LENGTHS: lengths,
                cat.SCALES: scales,
                cat.SPEAKER_EMBEDDING: emb,
                cat.LANGUAGE_ID: language,
            }
        )
        enc, m_p, logs_p, mask = te.run(
            None, {cat.INPUT_IDS: ids, cat.INPUT_LENGTHS: lengths, cat.LANGUAGE_ID: language}
        )
        dp_feeds = {
            cat.ENCODER_STATES: enc,
            cat.TEXT_MASK: mask,
            cat.SPEAKER_EMBEDDING: emb,
            cat.LANGUAGE_ID: language,
            cat.SCALES: scales,
        }
        if dp_has_noise:
            dp_feeds[DP_NOISE] = rng.standard_normal((1, DP_NOISE_CHANNELS, enc.shape[2])).astype(np.float32)
        (logw,) = dp.run(None, dp_feeds)
        prior = expand_prior(logw, mask, m_p, logs_p, float(scales[1]))
        frames = int(prior.frame_lengths[0])
        start = int(rng.integers(0, max(1, frames - window)))
        stop = min(frames, start + window)
        m_w = np.ascontiguousarray(prior.m_p[:, :, start:stop])
        s_w = np.ascontiguousarray(prior.logs_p[:, :, start:stop])
        n = np.array([stop - start], dtype=np.int64)
        out.decoder.append(
            {
                cat.M_P: m_w,
                cat.LOGS_P: s_w,
                cat.FRAME_LENGTHS: n,
                cat.SPEAKER_EMBEDDING: emb,
                cat.SCALES: scales,
            }
        )
        out.vocoder_latents.append((_latent(m_w, s_w, float(scales[0]), rng), emb))
    return out
