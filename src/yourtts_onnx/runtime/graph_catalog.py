"""The catalogue of graphs: one declarative entry per ONNX graph a bundle can hold.

Every fact about a graph that more than one module needs lives here, and only here: its name and bundle
file, its inputs and outputs (tensor names, dtypes, shapes with named dynamic axes — ``{axis: name}`` for
the exporter, as in Optimum's ``OnnxConfig``), which ``--only`` group exports it, which precision recipes
apply to it (``quantize``: fp16 and int8, :mod:`yourtts_onnx.optimize.derive`), how the browser build takes
it (:mod:`yourtts_onnx.web.browser_graphs`) and the export tolerance it is verified with
(:mod:`yourtts_onnx.export.verify`).

Readers: the exporter (:mod:`yourtts_onnx.export.graphs`, :mod:`yourtts_onnx.export.bundle_writer`), the
runtime contract (:mod:`.graph_contract`, :mod:`.bundle`), the backends, ``inspect``, voice export, the web
build and the precision recipes. Graph tensor names appear as string literals in this module and in the
torch model code (``export/model/``) and nowhere else in ``src/`` (``tests/test_graph_catalog.py`` checks).

This module is pure data: it imports nothing from the package, so every layer may read it. Adding a graph:
``docs/adding-a-graph.md``.

``scales`` is always ``[noise_scale, length_scale, noise_scale_dp]``, as in Coqui and Piper. Noise:
``model.onnx`` draws its noise inside the graph (``RandomNormalLike``, unseeded). The component graphs take
theirs as inputs so that a host can seed them: ``duration_predictor`` reads standard-normal ``dp_noise``
(scaled by ``scales[2]`` inside; ignored by the plain duration predictor), and ``flow`` reads the sampled
latent ``z_p`` (``decoder`` still draws its own, scaled by ``scales[0]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# ------------------------------------------------------------------ graph names, in the order they are exported
GRAPH_MODEL = "model"
GRAPH_SPEAKER_ENCODER = "speaker_encoder"
GRAPH_TEXT_ENCODER = "text_encoder"
GRAPH_DURATION_PREDICTOR = "duration_predictor"
GRAPH_DECODER = "decoder"
# the decoder split into the flow and the HiFi-GAN vocoder (for streaming; `quantize` cuts them out of an
# older bundle's decoder.onnx)
GRAPH_FLOW = "flow"
GRAPH_VOCODER = "vocoder"

# ------------------------------------------------------------------ tensor names
INPUT_IDS = "input"  #: token ids [batch, tokens], padded with the pad id
INPUT_LENGTHS = "input_lengths"
LANGUAGE_ID = "language_id"
SCALES = "scales"
SPEAKER_EMBEDDING = "speaker_embedding"
WAVEFORM = "output"  #: [batch, 1, samples] in [-1, 1]
WAVEFORM_LENGTHS = "output_lengths"
AUDIO = "audio"  #: the speaker encoder's raw 16 kHz input
ENCODER_STATES = "encoder_states"
M_P = "m_p"  #: the prior's mean (per token out of the text encoder, per frame into the decoder)
LOGS_P = "logs_p"  #: the prior's log-std, likewise
TEXT_MASK = "text_mask"
DP_NOISE = "dp_noise"  #: standard-normal noise of the stochastic duration predictor
LOG_DURATIONS = "log_durations"
FRAME_LENGTHS = "frame_lengths"
Z_P = "z_p"  #: the flow's input: the sampled prior latent
Z = "z"  #: the tensor between flow and vocoder

#: channels of ``dp_noise`` (the stochastic duration predictor's flow works on 2 channels)
DP_NOISE_CHANNELS = 2
#: entries of ``scales``
SCALES_SIZE = 3

# ------------------------------------------------------------------ dynamic axes
BATCH = "batch"
TOKENS = "tokens"
FRAMES = "frames"
SAMPLES = "samples"
AUDIO_SAMPLES = "audio_samples"


@dataclass(frozen=True)
class Width:
    """A fixed dimension that depends on the model (resolved by :func:`ModelWidths.resolve`)."""

    name: Literal["embedding_dim", "hidden", "encoder_width"]


EMBEDDING_DIM = Width("embedding_dim")
HIDDEN = Width("hidden")
#: the text encoder's output width: hidden channels + the language embedding
ENCODER_WIDTH = Width("encoder_width")

Dim = int | str | Width


@dataclass(frozen=True)
class ModelWidths:
    embedding_dim: int
    hidden: int
    language_dim: int

    def resolve(self, dim: Dim) -> int | str:
        if not isinstance(dim, Width):
            return dim
        if dim.name == "embedding_dim":
            return self.embedding_dim
        if dim.name == "hidden":
            return self.hidden
        return self.hidden + self.language_dim


@dataclass(frozen=True)
class Tensor:
    """One declared input or output: ``shape`` holds ints, model widths and dynamic axis names."""

    name: str
    dtype: Literal["int64", "float32"]
    shape: tuple[Dim, ...]
    description: str = ""

    @property
    def dynamic_axes(self) -> dict[int, str]:
        """``{axis index: axis name}`` of the dynamic axes (the exporter's ``dynamic_axes`` entry)."""
        return {i: d for i, d in enumerate(self.shape) if isinstance(d, str)}


@dataclass(frozen=True)
class Tolerance:
    """How close an exported graph must be to PyTorch (see :mod:`yourtts_onnx.export.verify`).

    ``atol``: max-abs against PyTorch float32 that is accepted outright. Beyond it the point is judged against
    PyTorch in float64 (the exact result): ONNX Runtime must be within ``noise_factor`` × PyTorch float32's
    own distance from it — both are float32 programs summing in different orders, so a few times the one's
    rounding covers the other's — and at least ``min_snr_db`` above it (80 dB: errors 10,000× below the
    signal's RMS; every graph measures 86–150 dB, a weight off by 1e-3 lands far below)."""

    atol: float = 1e-4
    noise_factor: float = 4.0
    min_snr_db: float = 80.0


#: fp16 recipe: ``weights`` stores the graph's large weights as fp16 (computed in fp32); ``keep`` keeps its
#: weights fp32 wherever they appear (the graphs that decide durations)
Fp16Recipe = Literal["weights", "keep"]
#: int8 recipe: ``hifigan`` quantises the HiFi-GAN inside the graph (QDQ, calibrated; label ``mixed``),
#: ``vocoder`` the whole graph (label ``int8``), ``fp16_weights`` stores the weights selected by
#: :attr:`GraphEntry.int8_fp16_select` as fp16, ``none`` leaves the graph alone
Int8Recipe = Literal["hifigan", "vocoder", "fp16_weights", "none"]
#: how the browser build takes the graph: ``synthesis`` (downloaded to speak), ``cloning`` (downloaded to
#: clone voices), ``split_source`` (not shipped; flow + vocoder are cut out of it when the bundle has none),
#: ``none``
WebRole = Literal["synthesis", "cloning", "split_source", "none"]


@dataclass(frozen=True)
class GraphEntry:
    name: str
    file: str
    description: str
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    #: the ``export --only`` value that selects the graph
    export_group: Literal["model", "speaker_encoder", "components"]
    fp16: Fp16Recipe = "weights"
    int8: Int8Recipe = "none"
    #: with ``int8="fp16_weights"``: the part of initializer names that selects the weights ("" = all)
    int8_fp16_select: str = ""
    web: WebRole = "none"
    #: a decoder stage: decoded in windows, with a receptive field recorded in ``config.json``
    decoder_stage: bool = False
    tolerance: Tolerance = Tolerance()
    #: the output holding log-durations, compared as frames after ceil by the export's verification
    durations_output: str | None = None
    #: an INT8 bundle's second copy of the graph as ONNX Runtime's CPU provider runs it fastest (its contrib
    #: ``com.microsoft`` integer ops, channels-last from input to output: :mod:`yourtts_onnx.optimize.cpu_layout`);
    #: recorded as ``cpu_file`` in ``config.json``, loaded instead of ``file`` when every session is on the CPU
    #: provider; ``file`` stays the portable graph every other host (browser, CUDA, other runtimes) reads
    int8_cpu_file: str | None = None

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.outputs)

    def input(self, name: str) -> Tensor:
        for t in self.inputs:
            if t.name == name:
                return t
        raise KeyError(f"{self.name} has no input {name!r}")

    @property
    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        """``{tensor name: {axis index: axis name}}`` for every tensor with a dynamic axis."""
        return {t.name: t.dynamic_axes for t in (*self.inputs, *self.outputs) if t.dynamic_axes}


# ------------------------------------------------------------------ shared declarations
_IDS = Tensor(INPUT_IDS, "int64", (BATCH, TOKENS), "token ids, padded with the pad id")
_LENGTHS = Tensor(INPUT_LENGTHS, "int64", (BATCH,), "valid tokens per item")
_LANGUAGE = Tensor(LANGUAGE_ID, "int64", (BATCH,), "language id per item (config.languages)")
_SCALES = Tensor(SCALES, "float32", (SCALES_SIZE,), "[noise_scale, length_scale, noise_scale_dp]")
_SPEAKER = Tensor(
    SPEAKER_EMBEDDING, "float32", (BATCH, EMBEDDING_DIM), "d-vector; L2-normalised inside the graph"
)
_WAVEFORM_OUTPUTS = (
    Tensor(WAVEFORM, "float32", (BATCH, 1, SAMPLES), "waveform in [-1, 1], padded to the longest item"),
    Tensor(WAVEFORM_LENGTHS, "int64", (BATCH,), "valid samples per item (frames x hop)"),
)
_FRAME_LENGTHS = Tensor(FRAME_LENGTHS, "int64", (BATCH,), "valid frames per item")
_LATENT = (BATCH, HIDDEN, FRAMES)

CATALOG: dict[str, GraphEntry] = {
    GRAPH_MODEL: GraphEntry(
        name=GRAPH_MODEL,
        file="model.onnx",
        description="end to end: token ids + speaker embedding + language -> waveform",
        inputs=(_IDS, _LENGTHS, _SCALES, _SPEAKER, _LANGUAGE),
        outputs=_WAVEFORM_OUTPUTS,
        export_group="model",
        int8="hifigan",
    ),
    GRAPH_SPEAKER_ENCODER: GraphEntry(
        name=GRAPH_SPEAKER_ENCODER,
        file="speaker_encoder.onnx",
        description="one window of raw 16 kHz audio -> L2-normalised speaker embedding (front end inside)",
        inputs=(Tensor(AUDIO, "float32", (BATCH, AUDIO_SAMPLES), "raw mono audio at the encoder's rate"),),
        outputs=(Tensor(SPEAKER_EMBEDDING, "float32", (BATCH, EMBEDDING_DIM), "unit-norm d-vector"),),
        export_group="speaker_encoder",
        int8="fp16_weights",
        web="cloning",
    ),
    GRAPH_TEXT_ENCODER: GraphEntry(
        name=GRAPH_TEXT_ENCODER,
        file="text_encoder.onnx",
        description="token ids + language -> encoder states and the prior's per-token statistics",
        inputs=(_IDS, _LENGTHS, _LANGUAGE),
        outputs=(
            Tensor(ENCODER_STATES, "float32", (BATCH, ENCODER_WIDTH, TOKENS), "transformer output"),
            Tensor(M_P, "float32", (BATCH, HIDDEN, TOKENS), "prior mean per token"),
            Tensor(LOGS_P, "float32", (BATCH, HIDDEN, TOKENS), "prior log-std per token"),
            Tensor(TEXT_MASK, "float32", (BATCH, 1, TOKENS), "1 for valid tokens, 0 for padding"),
        ),
        export_group="components",
        fp16="keep",
        web="synthesis",
    ),
    GRAPH_DURATION_PREDICTOR: GraphEntry(
        name=GRAPH_DURATION_PREDICTOR,
        file="duration_predictor.onnx",
        description="encoder states -> log-durations; frames = ceil(exp(log_durations) * mask * length_scale)",
        inputs=(
            Tensor(ENCODER_STATES, "float32", (BATCH, ENCODER_WIDTH, TOKENS), ""),
            Tensor(TEXT_MASK, "float32", (BATCH, 1, TOKENS), ""),
            _SPEAKER,
            _LANGUAGE,
            _SCALES,
            Tensor(
                DP_NOISE,
                "float32",
                (BATCH, DP_NOISE_CHANNELS, TOKENS),
                "standard-normal noise, multiplied by scales[2] inside (ignored by a plain predictor)",
            ),
        ),
        outputs=(Tensor(LOG_DURATIONS, "float32", (BATCH, 1, TOKENS), "natural log of frames per token"),),
        export_group="components",
        fp16="keep",
        web="synthesis",
        durations_output=LOG_DURATIONS,
    ),
    GRAPH_DECODER: GraphEntry(
        name=GRAPH_DECODER,
        file="decoder.onnx",
        description="per-frame prior statistics + noise -> flow reverse -> HiFi-GAN waveform",
        inputs=(
            Tensor(M_P, "float32", _LATENT, "prior mean repeated over each token's frames"),
            Tensor(LOGS_P, "float32", _LATENT, "prior log-std, expanded likewise"),
            _FRAME_LENGTHS,
            _SPEAKER,
            _SCALES,
        ),
        outputs=_WAVEFORM_OUTPUTS,
        export_group="components",
        int8="hifigan",
        web="split_source",
        decoder_stage=True,
    ),
    GRAPH_FLOW: GraphEntry(
        name=GRAPH_FLOW,
        file="flow.onnx",
        description="decoder part 1: sampled latent z_p -> flow reversed -> z (for chunked streaming)",
        inputs=(
            Tensor(Z_P, "float32", _LATENT, "m_p + noise * exp(logs_p) * noise_scale, per frame"),
            _FRAME_LENGTHS,
            _SPEAKER,
        ),
        outputs=(Tensor(Z, "float32", _LATENT, "acoustic latent, zero after each item's frames"),),
        export_group="components",
        # only its speaker-conditioning layers: see optimize/derive.py
        int8="fp16_weights",
        int8_fp16_select=".cond_layer.",
        web="synthesis",
        decoder_stage=True,
    ),
    GRAPH_VOCODER: GraphEntry(
        name=GRAPH_VOCODER,
        file="vocoder.onnx",
        description="decoder part 2: HiFi-GAN, latent z -> waveform (for chunked streaming)",
        inputs=(Tensor(Z, "float32", _LATENT, "output of the flow graph"), _SPEAKER),
        outputs=(Tensor(WAVEFORM, "float32", (BATCH, 1, SAMPLES), "waveform in [-1, 1]"),),
        export_group="components",
        int8="vocoder",
        int8_cpu_file="vocoder.ort-cpu.onnx",
        web="synthesis",
        decoder_stage=True,
    ),
}

GRAPH_FILES: dict[str, str] = {name: entry.file for name, entry in CATALOG.items()}
#: the ``export --only`` values
EXPORT_GROUPS: tuple[str, ...] = tuple(dict.fromkeys(e.export_group for e in CATALOG.values()))
#: what ``export --only components`` writes, in export order
COMPONENT_EXPORTS: tuple[str, ...] = tuple(n for n, e in CATALOG.items() if e.export_group == "components")
#: the graphs decoded in windows (receptive fields in config.json)
DECODER_STAGES: tuple[str, ...] = tuple(n for n, e in CATALOG.items() if e.decoder_stage)


def graph_entry(name: str) -> GraphEntry:
    return CATALOG[name]


def tensor_names() -> frozenset[str]:
    """Every tensor name the catalogue declares."""
    return frozenset(t.name for e in CATALOG.values() for t in (*e.inputs, *e.outputs))
