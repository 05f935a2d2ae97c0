"""What the exporter needs beyond the catalogue: for each graph the torch module to trace, dummy inputs for
tracing and a validation grid.

The graph itself (names, dtypes, named dynamic axes, tolerance) is declared in
:mod:`yourtts_onnx.runtime.graph_catalog`, which the runtime reads too, so exporter and consumer cannot drift
apart.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from yourtts_onnx.export.model.alignment import expand_to_frames, frame_durations
from yourtts_onnx.export.model.layers import sequence_mask
from yourtts_onnx.export.model.speaker_encoder import ResNetSpeakerEncoder, SpeakerEncoderGraph
from yourtts_onnx.export.model.yourtts import YourTTS
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.bundle import GraphInfo
from yourtts_onnx.runtime.graph_catalog import (
    GRAPH_DECODER,
    GRAPH_DURATION_PREDICTOR,
    GRAPH_FLOW,
    GRAPH_MODEL,
    GRAPH_SPEAKER_ENCODER,
    GRAPH_TEXT_ENCODER,
    GRAPH_VOCODER,
    Tolerance,
)
from yourtts_onnx.runtime.graph_contract import graph_contracts

__all__ = ["ExportSpec", "ModelDims", "Tolerance", "speaker_encoder_spec", "tts_specs"]

Inputs = dict[str, np.ndarray]


# ------------------------------------------------------------------ graph modules
class EndToEndGraph(nn.Module):
    def __init__(self, model: YourTTS) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        input: Tensor,
        input_lengths: Tensor,
        scales: Tensor,
        speaker_embedding: Tensor,
        language_id: Tensor,
    ) -> tuple[Tensor, Tensor]:
        out = self.model.synthesize(input, input_lengths, scales, speaker_embedding, language_id)
        return out.waveform, out.output_lengths


class TextEncoderGraph(nn.Module):
    def __init__(self, model: YourTTS) -> None:
        super().__init__()
        self.model = model

    def forward(self, input: Tensor, input_lengths: Tensor, language_id: Tensor) -> tuple[Tensor, ...]:
        enc = self.model.encode_text(input, input_lengths, language_id)
        return enc.hidden, enc.m_p, enc.logs_p, enc.x_mask


class DurationPredictorGraph(nn.Module):
    def __init__(self, model: YourTTS) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        encoder_states: Tensor,
        text_mask: Tensor,
        speaker_embedding: Tensor,
        language_id: Tensor,
        scales: Tensor,
        dp_noise: Tensor,
    ) -> Tensor:
        g = self.model.speaker_condition(speaker_embedding)
        lang_emb = self.model.language_embedding(language_id)
        return self.model.predict_log_durations(
            encoder_states, text_mask, g, lang_emb, scales[2], noise=dp_noise
        )


class DecoderGraph(nn.Module):
    def __init__(self, model: YourTTS) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, m_p: Tensor, logs_p: Tensor, frame_lengths: Tensor, speaker_embedding: Tensor, scales: Tensor
    ) -> tuple[Tensor, Tensor]:
        g = self.model.speaker_condition(speaker_embedding)
        y_mask = sequence_mask(frame_lengths, m_p.shape[2]).unsqueeze(1).to(m_p.dtype)
        wav = self.model.decode(m_p, logs_p, y_mask, g, scales[0])
        return wav, frame_lengths * self.model.hop_length


class FlowGraph(nn.Module):
    """The decoder's first part: the host-sampled latent ``z_p`` through the reversed flow."""

    def __init__(self, model: YourTTS) -> None:
        super().__init__()
        self.model = model

    def forward(self, z_p: Tensor, frame_lengths: Tensor, speaker_embedding: Tensor) -> Tensor:
        g = self.model.speaker_condition(speaker_embedding)
        y_mask = sequence_mask(frame_lengths, z_p.shape[2]).unsqueeze(1).to(z_p.dtype)
        return self.model.flow_reverse(z_p, y_mask, g)


class VocoderGraph(nn.Module):
    """The decoder's second part: HiFi-GAN, latent frames ``z`` → waveform."""

    def __init__(self, model: YourTTS) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: Tensor, speaker_embedding: Tensor) -> Tensor:
        return self.model.waveform_decoder(z, g=self.model.speaker_condition(speaker_embedding))


# ------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class ModelDims:
    num_chars: int
    num_languages: int
    embedding_dim: int
    hidden: int
    language_dim: int
    pad_id: int = 0


def text_batch(dims: ModelDims, lengths: list[int], seed: int) -> Inputs:
    """Random token ids padded with the pad id, one language per item cycling through all languages."""
    rng = np.random.default_rng(seed)
    batch, longest = len(lengths), max(lengths)
    ids = np.full((batch, longest), dims.pad_id, dtype=np.int64)
    for i, n in enumerate(lengths):
        ids[i, :n] = rng.integers(1, dims.num_chars, size=n)
    emb = rng.standard_normal((batch, dims.embedding_dim)).astype(np.float32)
    return {
        cat.INPUT_IDS: ids,
        cat.INPUT_LENGTHS: np.array(lengths, dtype=np.int64),
        cat.SPEAKER_EMBEDDING: emb,
        cat.LANGUAGE_ID: (np.arange(batch, dtype=np.int64) + seed) % dims.num_languages,
    }


def deterministic_scales(length_scale: float = 1.0, noise_scale_dp: float = 0.0) -> np.ndarray:
    """Noise scales that draw nothing random inside a graph, so torch and ONNX Runtime can be compared.
    ``noise_scale_dp`` may be non-zero for graphs that take their noise as an input (the duration noise)."""
    return np.array([0.0, length_scale, noise_scale_dp], dtype=np.float32)


def dp_noise_for(encoder_states: np.ndarray, seed: int) -> np.ndarray:
    """Standard-normal duration noise ``[B, 2, T]`` for the duration predictor graph."""
    batch, _, tokens = encoder_states.shape
    rng = np.random.default_rng(1000 + seed)
    return rng.standard_normal((batch, cat.DP_NOISE_CHANNELS, tokens)).astype(np.float32)


# (batch lengths, length scale): a grid of batch sizes and lengths, not just the export shape
TEXT_GRID: tuple[tuple[list[int], float], ...] = (
    ([9], 1.0),
    ([57], 1.3),
    ([140], 1.0),
    ([33, 12], 1.0),
    ([80, 80, 21], 0.8),
)
#: noise_scale_dp of each TEXT_GRID point for the graphs that take their noise as an input: the duration
#: predictor is checked with its noise on (1.0) as well as off
DP_NOISE_GRID: tuple[float, ...] = (0.0, 1.0, 0.0, 1.0, 0.667)
AUDIO_GRID: tuple[tuple[int, int], ...] = ((1, 40000), (1, 16000), (3, 40000), (2, 9000))


@dataclass(frozen=True)
class ExportSpec:
    name: str
    contract: GraphInfo
    build: Callable[[], nn.Module]
    dummy: Callable[[], Inputs]
    grid: Callable[[], list[Inputs]]

    @property
    def tolerance(self) -> Tolerance:
        return cat.graph_entry(self.name).tolerance

    @property
    def durations_from(self) -> str | None:
        """The output holding log-durations, compared as frames after ceil (the graph has the text mask and
        scales)."""
        return cat.graph_entry(self.name).durations_output

    @property
    def input_names(self) -> list[str]:
        return [t.name for t in self.contract.inputs]

    @property
    def output_names(self) -> list[str]:
        return [t.name for t in self.contract.outputs]

    @property
    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        return cat.graph_entry(self.name).dynamic_axes


def _torch_inputs(inputs: Inputs) -> dict[str, Tensor]:
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in inputs.items()}


def stage_inputs(model: YourTTS, text: Inputs, scales: np.ndarray, seed: int = 0) -> dict[str, Inputs]:
    """Realistic inputs for the graphs after the text encoder, computed by the torch stages: keyed by graph
    name (duration predictor, decoder, flow, vocoder). ``scales[2]`` scales the duration noise, which is an
    input of the duration predictor graph; the decoder graphs are fed noise-free (``scales[0]`` ignored)."""
    t = _torch_inputs(text)
    sc = torch.from_numpy(scales)
    with torch.no_grad():
        enc = model.encode_text(t[cat.INPUT_IDS], t[cat.INPUT_LENGTHS], t[cat.LANGUAGE_ID])
        noise = dp_noise_for(enc.hidden.numpy(), seed)
        g = model.speaker_condition(t[cat.SPEAKER_EMBEDDING])
        logw = model.predict_log_durations(
            enc.hidden, enc.x_mask, g, enc.lang_emb, sc[2], noise=torch.from_numpy(noise)
        )
        w_ceil, y_lengths = frame_durations(logw, enc.x_mask, sc[1])
        m_p, logs_p, y_mask = expand_to_frames(w_ceil, y_lengths, enc.x_mask, enc.m_p, enc.logs_p)
        rng = np.random.default_rng(2000 + seed)
        eps = torch.from_numpy(rng.standard_normal(tuple(m_p.shape)).astype(np.float32))
        z_p = (m_p + eps * torch.exp(logs_p) * 0.667) * y_mask
        z = model.flow_reverse(z_p, y_mask, g)
    emb = text[cat.SPEAKER_EMBEDDING]
    decoder_scales = np.array([0.0, scales[1], 0.0], dtype=np.float32)
    return {
        GRAPH_DURATION_PREDICTOR: {
            cat.ENCODER_STATES: enc.hidden.numpy(),
            cat.TEXT_MASK: enc.x_mask.numpy(),
            cat.SPEAKER_EMBEDDING: emb,
            cat.LANGUAGE_ID: text[cat.LANGUAGE_ID],
            cat.SCALES: scales,
            cat.DP_NOISE: noise,
        },
        GRAPH_DECODER: {
            cat.M_P: m_p.numpy(),
            cat.LOGS_P: logs_p.numpy(),
            cat.FRAME_LENGTHS: y_lengths.numpy(),
            cat.SPEAKER_EMBEDDING: emb,
            cat.SCALES: decoder_scales,
        },
        GRAPH_FLOW: {cat.Z_P: z_p.numpy(), cat.FRAME_LENGTHS: y_lengths.numpy(), cat.SPEAKER_EMBEDDING: emb},
        GRAPH_VOCODER: {cat.Z: z.numpy(), cat.SPEAKER_EMBEDDING: emb},
    }


def tts_specs(model: YourTTS, dims: ModelDims) -> list[ExportSpec]:
    """Specs of the end-to-end graph and of the components, in export order."""
    contracts = graph_contracts(dims.embedding_dim, dims.hidden, dims.language_dim)

    def model_inputs(lengths: list[int], scale: float, seed: int) -> Inputs:
        return {**text_batch(dims, lengths, seed), cat.SCALES: deterministic_scales(scale)}

    def grid_model() -> list[Inputs]:
        return [model_inputs(lengths, scale, seed) for seed, (lengths, scale) in enumerate(TEXT_GRID)]

    def grid_text() -> list[Inputs]:
        return [
            {k: v for k, v in text_batch(dims, lengths, seed).items() if k != cat.SPEAKER_EMBEDDING}
            for seed, (lengths, _) in enumerate(TEXT_GRID)
        ]

    @functools.cache
    def stage_grid() -> list[dict[str, Inputs]]:  # computed once, on first use, for all stage graphs
        return [
            stage_inputs(
                model, text_batch(dims, lengths, seed), deterministic_scales(scale, DP_NOISE_GRID[seed]), seed
            )
            for seed, (lengths, scale) in enumerate(TEXT_GRID)
        ]

    def grid_stage(graph: str) -> list[Inputs]:
        return [point[graph] for point in stage_grid()]

    def stage_spec(graph: str, module: Callable[[], nn.Module]) -> ExportSpec:
        return ExportSpec(
            graph, contracts[graph], module, lambda: grid_stage(graph)[3], lambda: grid_stage(graph)
        )

    return [
        ExportSpec(
            GRAPH_MODEL,
            contracts[GRAPH_MODEL],
            lambda: EndToEndGraph(model),
            lambda: model_inputs([23, 17], 1.0, 99),
            grid_model,
        ),
        ExportSpec(
            GRAPH_TEXT_ENCODER,
            contracts[GRAPH_TEXT_ENCODER],
            lambda: TextEncoderGraph(model),
            lambda: grid_text()[3],
            grid_text,
        ),
        stage_spec(GRAPH_DURATION_PREDICTOR, lambda: DurationPredictorGraph(model)),
        stage_spec(GRAPH_DECODER, lambda: DecoderGraph(model)),
        stage_spec(GRAPH_FLOW, lambda: FlowGraph(model)),
        stage_spec(GRAPH_VOCODER, lambda: VocoderGraph(model)),
    ]


def speaker_encoder_spec(encoder: ResNetSpeakerEncoder, embedding_dim: int, seed: int = 7) -> ExportSpec:
    contract = graph_contracts(embedding_dim, 2, 0)[GRAPH_SPEAKER_ENCODER]

    def audio(batch: int, samples: int, s: int) -> Inputs:
        rng = np.random.default_rng(s)
        # speech-like level: a few harmonics plus noise, not pure white noise
        t = np.arange(samples) / 16000.0
        base = np.stack([np.sin(2 * np.pi * (120 + 40 * i) * t) for i in range(batch)])
        x = 0.1 * base + 0.02 * rng.standard_normal((batch, samples))
        return {cat.AUDIO: x.astype(np.float32)}

    return ExportSpec(
        GRAPH_SPEAKER_ENCODER,
        contract,
        lambda: SpeakerEncoderGraph(encoder),
        lambda: audio(2, 24000, seed),
        lambda: [audio(b, n, seed + i) for i, (b, n) in enumerate(AUDIO_GRID)],
    )
