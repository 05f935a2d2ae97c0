"""Streaming within sentences: the component backends (text encoder, duration predictor, chunked decoder).

Tolerances (noise 0, both reference models: random init, and the live flow + duration predictor):

* one window per sentence against Coqui's golden waveform: ≤ ``WAVEFORM_ATOL`` = 1e-4 (measured ~1.2e-7,
  the same as ``model.onnx``), and against ``model.onnx`` through the runtime: ≤ ``SAME_GRAPHS_ATOL``
  = 1e-6 (measured 0.0 with ``decoder.onnx``, 0.0 with ``flow.onnx`` + ``vocoder.onnx``);
* windows stitched against one window: ≤ ``SEAM_ATOL`` = 1e-6 everywhere, seams included (measured
  ≤ 9e-8 with windows of 1 to 17 frames).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import all_synthesis_cases
from runtime_helpers import INT8_MIN_SNR_DB
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime import Synthesizer
from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule, default_schedule, resolve_schedule

pytest_plugins = ["runtime_fixtures"]

CASES = all_synthesis_cases()
WAVEFORM_ATOL = 1e-4
SAME_GRAPHS_ATOL = 1e-6
SEAM_ATOL = 1e-6
QUIET = {"noise_scale": 0.0, "noise_scale_dp": 0.0}
LONG = "The quick brown fox jumps over the lazy dog while the sun sets slowly behind the distant green hills tonight."
TWO = "Hello there, this is the first sentence. And this is the second one, a little longer than the first."


@pytest.fixture(scope="module", params=["components", "split"])
def synth(request, runtime_tiny_bundle) -> Synthesizer:
    """The reference bundle through decoder.onnx, and through flow.onnx + vocoder.onnx."""
    return Synthesizer.from_bundle(runtime_tiny_bundle, threads=2, backend=request.param)


@pytest.fixture(scope="module")
def model_synth(runtime_tiny_bundle) -> Synthesizer:
    return Synthesizer.from_bundle(runtime_tiny_bundle, threads=2, backend="model")


def _golden_texts():
    for case in CASES:
        for i, text in enumerate(case.texts):
            yield pytest.param(case, i, text, id=f"{case.id}-{i}")


@pytest.fixture(scope="module")
def synth_on(reference_bundles):
    """``synth_on(reference_name, backend)``, made once per module."""
    made: dict = {}

    def make(name: str, backend: str) -> Synthesizer:
        if (name, backend) not in made:
            made[name, backend] = Synthesizer.from_bundle(reference_bundles(name), threads=2, backend=backend)
        return made[name, backend]

    return make


def _case_kwargs(synth: Synthesizer, case, i: int) -> dict:
    language = {v: k for k, v in synth.config.languages.items()}[int(case.language_ids[i])]
    return {
        "language": language,
        "embedding": case.d_vectors[i],
        "noise_scale": case.noise_scale,
        "length_scale": case.length_scale,
        "noise_scale_dp": case.noise_scale_dp,
        "normalize_numbers": False,
        "split_sentences": False,
    }


def _joined(chunks) -> np.ndarray:
    return np.concatenate([c.samples for c in chunks])


# -- which backend -------------------------------------------------------------------------------------


def test_backend_is_chosen_once_and_loads_only_its_graphs(runtime_tiny_bundle, tiny_synth):
    assert tiny_synth.backend.name == "split" and tiny_synth.streams  # auto prefers flow + vocoder
    for name, graphs in (("split", 4), ("components", 3), ("model", 1)):
        s = Synthesizer.from_bundle(runtime_tiny_bundle, backend=name)
        assert s.backend.name == name and len(s.backend.graphs) == graphs
    with pytest.raises(InputError, match="unknown backend"):
        Synthesizer.from_bundle(runtime_tiny_bundle, backend="fast")


def test_model_backend_speaks_whole_sentences(model_synth):
    """model.onnx cannot decode windows: one chunk per sentence, whatever chunk_frames says."""
    assert not model_synth.streams
    plain = list(model_synth.stream(TWO, **QUIET))
    assert len(plain) == 2
    chunks = list(model_synth.stream(TWO, chunk_frames=4, **QUIET))
    np.testing.assert_array_equal(_joined(chunks), _joined(plain))


def test_bundle_without_receptive_fields_streams_per_sentence(tmp_path, runtime_tiny_bundle, caplog):
    import json
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(runtime_tiny_bundle, copy)
    config = json.loads((copy / "config.json").read_text())
    config.pop("receptive_fields")
    (copy / "config.json").write_text(json.dumps(config))
    s = Synthesizer.from_bundle(copy)
    assert "receptive field" in caplog.text and not s.streams
    assert len(list(s.stream(TWO, **QUIET))) == 2


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"chunk_frames": -1}, "chunk_frames"),
        ({"chunk_frames": 2.5}, "chunk_frames"),
        ({"chunk_frames": True}, "chunk_frames"),
    ],
)
def test_options_are_checked_at_the_call(tiny_synth, options, error):
    with pytest.raises(InputError, match=error):
        tiny_synth.stream(LONG, **options)


def test_schedules():
    assert resolve_schedule(0, 62.5) is None
    assert resolve_schedule(None, 62.5) == default_schedule(62.5)
    assert default_schedule(62.5).first == 16 and default_schedule(62.5).max_frames == 250
    assert resolve_schedule(5, 62.5).bounds(12) == [(0, 5), (5, 12)]
    custom = ChunkSchedule(first=3, growth=1.5, max_frames=10)
    assert resolve_schedule(custom, 62.5) is custom


# -- parity: one window per sentence is model.onnx and Coqui ---------------------------------------------


@pytest.mark.parametrize("backend", ["components", "split"])
@pytest.mark.parametrize(("case", "i", "text"), list(_golden_texts()))
def test_whole_sentence_components_match_coqui_and_model_onnx(synth_on, backend, case, i, text):
    synth, model_synth = synth_on(case.reference, backend), synth_on(case.reference, "model")
    kwargs = _case_kwargs(synth, case, i)
    chunks = list(synth.stream(text, chunk_frames=0, **kwargs))
    assert len(chunks) == 1
    got = chunks[0].samples
    n = int(case.durations[i].sum()) * 256
    assert len(got) == n
    model = model_synth.synthesize(text, **kwargs).samples
    assert float(np.abs(got - model).max()) <= SAME_GRAPHS_ATOL
    if case.waveform.shape[0] == 1:  # a padded batch item differs at its tail (see test_runtime_parity)
        err = float(np.abs(got - case.waveform[i].reshape(-1)[:n]).max())
        assert err <= WAVEFORM_ATOL, f"{case.name}: max-abs error {err:.3g}"


# -- chunking: stitched windows equal the whole sentence -------------------------------------------------


@pytest.mark.parametrize("chunk_frames", [1, 3, 8, 17, None])
def test_chunked_stream_equals_whole_sentence(synth, chunk_frames):
    whole = synth.synthesize(LONG, **QUIET).samples
    chunks = list(synth.stream(LONG, chunk_frames=chunk_frames, **QUIET))
    assert len(chunks) > 1  # more chunks than sentences
    assert all(len(c) % 256 == 0 for c in chunks)
    got = _joined(chunks)
    assert len(got) == len(whole)
    assert float(np.abs(got - whole).max()) <= SEAM_ATOL
    if chunk_frames is not None:
        assert len(chunks[0]) == chunk_frames * 256


def test_default_stream_starts_with_a_short_window(tiny_synth):
    chunks = list(tiny_synth.stream(LONG, **QUIET))
    frames = [len(c) // 256 for c in chunks]
    assert frames[0] == 16 and frames[1] == 32  # ~0.25 s first, then doubling


def test_synthesize_is_the_stream_concatenated_with_pauses(tiny_synth):
    chunks = list(tiny_synth.stream(TWO, chunk_frames=8, **QUIET))
    np.testing.assert_allclose(_joined(chunks), tiny_synth.synthesize(TWO, **QUIET).samples, atol=SEAM_ATOL)
    first, second = (
        tiny_synth.synthesize(u.text, split_sentences=False, **QUIET) for u in tiny_synth.utterances(TWO)
    )
    pause = round(0.2 * 16000)
    whole = tiny_synth.synthesize(TWO, **QUIET).samples
    assert len(whole) == len(first) + pause + len(second)
    assert not np.any(whole[len(first) : len(first) + pause])
    np.testing.assert_allclose(whole[: len(first)], first.samples, atol=SEAM_ATOL)
    np.testing.assert_allclose(whole[len(first) + pause :], second.samples, atol=SEAM_ATOL)
    # the pause leads the first chunk of the second sentence, and only that one
    boundary = next(k for k in range(len(chunks)) if sum(len(c) for c in chunks[: k + 1]) > len(first))
    assert sum(len(c) for c in chunks[:boundary]) == len(first)
    assert not np.any(chunks[boundary].samples[:pause]) and len(chunks[boundary]) == pause + 8 * 256


def test_stream_is_lazy_and_reports_each_sentence(tiny_synth):
    calls: list[tuple[int, int]] = []
    gen = tiny_synth.stream(TWO, chunk_frames=8, progress=lambda d, t: calls.append((d, t)), **QUIET)
    assert calls == []
    next(gen)
    assert calls == []  # the first sentence is not finished after its first window
    list(gen)
    assert calls == [(1, 2), (2, 2)]


def test_noise_is_drawn_once_per_sentence_so_seams_are_invisible(synth):
    """With noise, every window decodes the same host-drawn latent: stitched == whole sentences."""
    noisy = {"noise_scale": 0.667, "noise_scale_dp": 1.0, "seed": 3}
    whole = synth.synthesize(LONG, **noisy).samples
    quiet = synth.synthesize(LONG, **QUIET).samples
    assert len(whole) != len(quiet) or not np.array_equal(whole, quiet)
    for first in (4, 16):
        stitched = _joined(synth.stream(LONG, chunk_frames=ChunkSchedule(first=first), **noisy))
        assert float(np.abs(stitched - whole).max()) <= SEAM_ATOL
    np.testing.assert_array_equal(synth.synthesize(LONG, **noisy).samples, whole)  # the seed is all the noise


def test_seed_gives_the_same_audio_in_any_process(runtime_tiny_bundle):
    """A seed fixes duration and latent noise: a fresh process reproduces the samples exactly (same thread
    count: a different one changes the order of float sums, so the samples agree to ~1e-7 only)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from yourtts_onnx.runtime import Synthesizer\n"
        f"s = Synthesizer.from_bundle({str(runtime_tiny_bundle)!r}, threads=1)\n"
        f"a = s.synthesize({TWO!r}, seed=11).samples\n"
        "sys.stdout.buffer.write(a.tobytes())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    here = Synthesizer.from_bundle(runtime_tiny_bundle, threads=1).synthesize(TWO, seed=11).samples
    np.testing.assert_array_equal(np.frombuffer(out, dtype=np.float32), here)


# -- derived INT8 bundle (quantize: ~4 s for the reference model) ---------------------------------


def test_int8_bundle_streams_through_the_int8_vocoder(tmp_path: Path, runtime_tiny_bundle: Path, tiny_synth):
    from yourtts_onnx.optimize.derive import derive_bundle
    from yourtts_onnx.runtime.similarity import snr_db

    out = tmp_path / "int8"
    derive_bundle(runtime_tiny_bundle, out, "int8", progress=lambda _m: None)
    q = Synthesizer.from_bundle(out, threads=2)
    assert q.backend.name == "split" and q.config.graphs["vocoder"].precision == "int8"
    whole = q.synthesize(LONG, **QUIET).samples
    chunks = list(q.stream(LONG, chunk_frames=8, **QUIET))
    assert len(chunks) > 1
    got = _joined(chunks)
    assert float(np.abs(got - whole).max()) <= SEAM_ATOL  # static quantisation: windows see the same values
    fp32 = tiny_synth.synthesize(LONG, **QUIET).samples
    # measured 34.71 dB (tiny), 34.13 dB (live): runtime_helpers.INT8_MIN_SNR_DB
    assert len(got) == len(fp32) and snr_db(fp32, got) > INT8_MIN_SNR_DB


def test_default_synthesize_decodes_whole_sentences_and_the_stream_matches_it(tiny_synth, model_synth):
    whole = tiny_synth.synthesize(LONG, **QUIET).samples
    model = model_synth.synthesize(LONG, **QUIET).samples
    np.testing.assert_allclose(whole, model, atol=1e-6, rtol=0)
    chunks = list(tiny_synth.stream(LONG, **QUIET))
    assert len(chunks) > len(tiny_synth.utterances(LONG))
    streamed = _joined(chunks)
    assert len(streamed) == len(whole)
    np.testing.assert_allclose(streamed, whole, atol=SEAM_ATOL, rtol=0)
