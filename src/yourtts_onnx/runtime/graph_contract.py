"""The I/O contract of every graph in a bundle: names, dtypes and shapes with named dynamic axes.

This module is pure data and is shared by the exporter (which turns the named axes into ONNX
dynamic axes) and the runtime (which feeds the graphs). ``scales`` is always
``[noise_scale, length_scale, noise_scale_dp]``, as in Coqui and Piper.

Noise: ``model.onnx`` draws its noise inside the graph (``RandomNormalLike``, unseeded). The component
graphs take theirs as inputs so that a host can seed them: ``duration_predictor`` reads standard-normal
``dp_noise`` (scaled by ``scales[2]`` inside; ignored by the plain duration predictor), and ``flow`` reads
the sampled latent ``z_p`` (``decoder`` still draws its own, scaled by ``scales[0]``).
"""

from __future__ import annotations

from yourtts_onnx.runtime.bundle import (
    GRAPH_DECODER,
    GRAPH_DURATION_PREDICTOR,
    GRAPH_FLOW,
    GRAPH_MODEL,
    GRAPH_SPEAKER_ENCODER,
    GRAPH_TEXT_ENCODER,
    GRAPH_VOCODER,
    GraphInfo,
    TensorSpec,
)

BATCH = "batch"
TOKENS = "tokens"
FRAMES = "frames"
SAMPLES = "samples"
AUDIO_SAMPLES = "audio_samples"

GRAPH_FILES = {
    GRAPH_MODEL: "model.onnx",
    GRAPH_SPEAKER_ENCODER: "speaker_encoder.onnx",
    GRAPH_TEXT_ENCODER: "text_encoder.onnx",
    GRAPH_DURATION_PREDICTOR: "duration_predictor.onnx",
    GRAPH_DECODER: "decoder.onnx",
    GRAPH_FLOW: "flow.onnx",
    GRAPH_VOCODER: "vocoder.onnx",
}

# the flow's input (the sampled prior latent) and the tensor between flow and vocoder
Z_P = "z_p"
Z = "z"
#: standard-normal noise of the stochastic duration predictor, an input of ``duration_predictor``
DP_NOISE = "dp_noise"
#: channels of ``dp_noise`` (the stochastic duration predictor's flow works on 2 channels)
DP_NOISE_CHANNELS = 2


def _ids() -> TensorSpec:
    return TensorSpec("input", "int64", (BATCH, TOKENS), "token ids, padded with the pad id")


def _lengths() -> TensorSpec:
    return TensorSpec("input_lengths", "int64", (BATCH,), "valid tokens per item")


def _language() -> TensorSpec:
    return TensorSpec("language_id", "int64", (BATCH,), "language id per item (config.languages)")


def _scales() -> TensorSpec:
    return TensorSpec("scales", "float32", (3,), "[noise_scale, length_scale, noise_scale_dp]")


def _speaker(dim: int) -> TensorSpec:
    return TensorSpec(
        "speaker_embedding", "float32", (BATCH, dim), "d-vector; L2-normalised inside the graph"
    )


def _waveform_outputs() -> tuple[TensorSpec, ...]:
    return (
        TensorSpec(
            "output", "float32", (BATCH, 1, SAMPLES), "waveform in [-1, 1], padded to the longest item"
        ),
        TensorSpec("output_lengths", "int64", (BATCH,), "valid samples per item (frames x hop)"),
    )


def graph_contracts(embedding_dim: int, hidden: int, language_dim: int) -> dict[str, GraphInfo]:
    """The contract of every graph for a model with the given widths."""
    enc_width = hidden + language_dim
    return {
        GRAPH_MODEL: GraphInfo(
            file=GRAPH_FILES[GRAPH_MODEL],
            description="end to end: token ids + speaker embedding + language -> waveform",
            inputs=(_ids(), _lengths(), _scales(), _speaker(embedding_dim), _language()),
            outputs=_waveform_outputs(),
        ),
        GRAPH_SPEAKER_ENCODER: GraphInfo(
            file=GRAPH_FILES[GRAPH_SPEAKER_ENCODER],
            description="one window of raw 16 kHz audio -> L2-normalised speaker embedding (front end inside)",
            inputs=(
                TensorSpec(
                    "audio", "float32", (BATCH, AUDIO_SAMPLES), "raw mono audio at the encoder's rate"
                ),
            ),
            outputs=(
                TensorSpec("speaker_embedding", "float32", (BATCH, embedding_dim), "unit-norm d-vector"),
            ),
        ),
        GRAPH_TEXT_ENCODER: GraphInfo(
            file=GRAPH_FILES[GRAPH_TEXT_ENCODER],
            description="token ids + language -> encoder states and the prior's per-token statistics",
            inputs=(_ids(), _lengths(), _language()),
            outputs=(
                TensorSpec("encoder_states", "float32", (BATCH, enc_width, TOKENS), "transformer output"),
                TensorSpec("m_p", "float32", (BATCH, hidden, TOKENS), "prior mean per token"),
                TensorSpec("logs_p", "float32", (BATCH, hidden, TOKENS), "prior log-std per token"),
                TensorSpec("text_mask", "float32", (BATCH, 1, TOKENS), "1 for valid tokens, 0 for padding"),
            ),
        ),
        GRAPH_DURATION_PREDICTOR: GraphInfo(
            file=GRAPH_FILES[GRAPH_DURATION_PREDICTOR],
            description="encoder states -> log-durations; frames = ceil(exp(log_durations) * mask * length_scale)",
            inputs=(
                TensorSpec("encoder_states", "float32", (BATCH, enc_width, TOKENS), ""),
                TensorSpec("text_mask", "float32", (BATCH, 1, TOKENS), ""),
                _speaker(embedding_dim),
                _language(),
                _scales(),
                TensorSpec(
                    DP_NOISE,
                    "float32",
                    (BATCH, DP_NOISE_CHANNELS, TOKENS),
                    "standard-normal noise, multiplied by scales[2] inside (ignored by a plain predictor)",
                ),
            ),
            outputs=(
                TensorSpec("log_durations", "float32", (BATCH, 1, TOKENS), "natural log of frames per token"),
            ),
        ),
        GRAPH_DECODER: GraphInfo(
            file=GRAPH_FILES[GRAPH_DECODER],
            description="per-frame prior statistics + noise -> flow reverse -> HiFi-GAN waveform",
            inputs=(
                TensorSpec(
                    "m_p", "float32", (BATCH, hidden, FRAMES), "prior mean repeated over each token's frames"
                ),
                TensorSpec("logs_p", "float32", (BATCH, hidden, FRAMES), "prior log-std, expanded likewise"),
                TensorSpec("frame_lengths", "int64", (BATCH,), "valid frames per item"),
                _speaker(embedding_dim),
                _scales(),
            ),
            outputs=_waveform_outputs(),
        ),
        **_split_decoder_contracts(hidden, embedding_dim),
    }


def _split_decoder_contracts(hidden: int, embedding_dim: int) -> dict[str, GraphInfo]:
    """``flow.onnx`` and ``vocoder.onnx``: ``decoder.onnx`` split at HiFi-GAN's input. The flow's noise
    is drawn on the host, so it takes the sampled latent ``z_p``."""
    frames = (BATCH, hidden, FRAMES)
    speaker = _speaker(embedding_dim)
    return {
        GRAPH_FLOW: GraphInfo(
            file=GRAPH_FILES[GRAPH_FLOW],
            description="decoder part 1: sampled latent z_p -> flow reversed -> z (for chunked streaming)",
            inputs=(
                TensorSpec(Z_P, "float32", frames, "m_p + noise * exp(logs_p) * noise_scale, per frame"),
                TensorSpec("frame_lengths", "int64", (BATCH,), "valid frames per item"),
                speaker,
            ),
            outputs=(TensorSpec(Z, "float32", frames, "acoustic latent, zero after each item's frames"),),
        ),
        GRAPH_VOCODER: GraphInfo(
            file=GRAPH_FILES[GRAPH_VOCODER],
            description="decoder part 2: HiFi-GAN, latent z -> waveform (for chunked streaming)",
            inputs=(TensorSpec(Z, "float32", frames, "output of the flow graph"), speaker),
            outputs=(TensorSpec("output", "float32", (BATCH, 1, SAMPLES), "waveform in [-1, 1]"),),
        ),
    }
