"""Loudness normalisation (ITU-R BS.1770-4 in numpy): the meter against the standard and pyloudnorm, the
true-peak limiter, the engine (whole output and running measure) and every front end's ``--loudness``."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import STUB_BUNDLE
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.loudness import (
    LoudnessMeter,
    RunningNormalizer,
    integrated_loudness,
    k_weighting_coefficients,
    normalize_loudness,
    true_peak,
)

pytest_plugins = ["runtime_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
TEXT = "Loudness is measured on the whole text. It has two sentences, and then a third one."
QUIET = {"noise_scale": 0.0, "noise_scale_dp": 0.0}
CEILING = 10 ** (-1 / 20)  # -1 dBTP
PCM_STEP = 1 / 32768


def _dbtp(x: np.ndarray, rate: int) -> float:
    return 20 * np.log10(true_peak(x, rate))


def _signals(rate: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(int(rate * 5.3)) / rate
    return {
        "sine 1 kHz": 0.3 * np.sin(2 * np.pi * 1000 * t),
        "noise": 0.1 * rng.standard_normal(t.size),
        "bursts": 0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0)
        + 0.001 * rng.standard_normal(t.size),
        "60 Hz": 0.2 * np.sin(2 * np.pi * 60 * t),
        "8 kHz": 0.2 * np.sin(2 * np.pi * 8000 * t) if rate > 16000 else 0.2 * np.sin(2 * np.pi * 6000 * t),
    }


# -- the meter ---------------------------------------------------------------------------------------------


def test_k_weighting_at_48k_is_the_standards_table():
    (b1, a1), (b2, a2) = k_weighting_coefficients(48000)
    np.testing.assert_allclose(b1, [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-12)
    np.testing.assert_allclose(a1, [1.0, -1.69065929318241, 0.73248077421585], atol=1e-12)
    np.testing.assert_allclose(b2, [1.0, -2.0, 1.0])
    np.testing.assert_allclose(a2, [1.0, -1.99004745483398, 0.99007225036621], atol=1e-12)


def test_full_scale_997_hz_sine_reads_minus_3_01_lufs():
    t = np.arange(48000 * 10) / 48000
    assert integrated_loudness(np.sin(2 * np.pi * 997 * t), 48000) == pytest.approx(-3.01, abs=0.01)
    assert integrated_loudness(0.1 * np.sin(2 * np.pi * 997 * t), 48000) == pytest.approx(-23.01, abs=0.01)


@pytest.mark.parametrize(("rate", "tolerance"), [(48000, 0.06), (44100, 0.08), (22050, 0.12), (16000, 0.15)])
def test_meter_agrees_with_pyloudnorm(rate, tolerance):
    """pyloudnorm designs the K-weighting with the RBJ cookbook, which drifts from the standard's filter
    at lower rates (at 48 kHz it reads a full-scale 997 Hz sine as -3.05 LUFS, the standard -3.01)."""
    import pyloudnorm

    meter = pyloudnorm.Meter(rate)
    for name, x in _signals(rate).items():
        ours, theirs = integrated_loudness(x, rate), meter.integrated_loudness(x)
        assert abs(ours - theirs) <= tolerance, (name, ours, theirs)


def test_gates_ignore_silence_and_quiet_passages():
    rate = 16000
    x = _signals(rate)["noise"]
    padded = np.concatenate([np.zeros(5 * rate), x, 1e-5 * x, np.zeros(5 * rate)])
    # only the blocks that straddle the edges of the noise differ (partly silent, above both gates)
    assert integrated_loudness(padded, rate) == pytest.approx(integrated_loudness(x, rate), abs=0.3)
    ungated = -0.691 + 10 * np.log10(np.mean(padded**2) * (1 + 10 ** (4 / 10)) / 2)  # roughly, K-weighted
    assert integrated_loudness(padded, rate) - ungated > 3  # negative control: the silence would count
    assert integrated_loudness(np.zeros(rate), rate) is None
    assert integrated_loudness(1e-5 * x, rate) is None  # below the absolute gate


def test_meter_piece_by_piece_equals_whole():
    rate = 16000
    x = _signals(rate)["bursts"]
    meter = LoudnessMeter(rate)
    for piece in np.array_split(x, 37):
        meter.add(piece)
    assert meter.integrated() == pytest.approx(integrated_loudness(x, rate), abs=1e-9)


def test_short_audio_is_one_block():
    rate = 16000
    x = _signals(rate)["noise"][: rate // 10]  # 100 ms, shorter than a 400 ms block
    assert integrated_loudness(x, rate) == pytest.approx(integrated_loudness(np.tile(x, 40), rate), abs=0.2)


def test_true_peak_finds_peaks_between_samples():
    rate = 16000
    n = np.arange(rate)
    x = np.cos(np.pi * n / 2 + np.pi / 4)  # fs/4 at 45°: every sample is ±0.707, the wave reaches 1
    fade = np.sin(np.linspace(0, np.pi / 2, 400)) ** 2  # no abrupt start or end (those ring, truly)
    x[:400] *= fade
    x[-400:] *= fade[::-1]
    assert float(np.abs(x).max()) == pytest.approx(0.7071, abs=1e-3)
    assert true_peak(x, rate) == pytest.approx(1.0, abs=0.01)


# -- normalising -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [-40.0, -23.0, -16.0])
def test_normalize_reaches_the_target_under_the_ceiling(stub_synth, target):
    rate = stub_synth.sample_rate
    raw = stub_synth.synthesize(TEXT, **QUIET).samples
    assert abs(integrated_loudness(raw, rate) - target) > 1  # negative control: not there by chance
    y = normalize_loudness(raw, rate, target)
    assert y.dtype == np.float32 and y.shape == raw.shape
    assert integrated_loudness(y, rate) == pytest.approx(target, abs=1.0)
    assert true_peak(y, rate) <= CEILING * (1 + 1e-6)


def test_the_limiter_holds_peaks_of_spiky_audio():
    rate = 16000
    t = np.arange(rate * 6) / rate
    x = 0.05 * np.sin(2 * np.pi * 200 * t) * (1 + np.sin(2 * np.pi * 3 * t))
    x[::4000] += 0.9  # clicks: a crest factor far above speech's
    y = normalize_loudness(x, rate, -16.0)
    assert integrated_loudness(y, rate) == pytest.approx(-16.0, abs=1.0)
    assert true_peak(y, rate) <= CEILING * (1 + 1e-6)
    assert true_peak(x * 10 ** ((-16.0 - integrated_loudness(x, rate)) / 20), rate) > 1.0  # gain alone clips


def test_silence_and_empty_are_unchanged():
    assert np.array_equal(normalize_loudness(np.zeros(1600, np.float32), 16000, -16), np.zeros(1600))
    assert normalize_loudness(np.zeros(0, np.float32), 16000, -16).size == 0


@pytest.mark.parametrize("bad", [-80.0, 0.0, float("nan"), float("inf"), True])
def test_targets_are_bounded(bad):
    from yourtts_onnx.runtime import SynthesisOptions

    with pytest.raises(InputError, match="loudness"):
        SynthesisOptions(loudness=bad)
    with pytest.raises(InputError, match="loudness"):
        normalize_loudness(np.ones(10), 16000, bad)


def test_running_normalizer_converges(stub_synth):
    rate = stub_synth.sample_rate
    chunks = [c.samples for c in stub_synth.stream(TEXT + " " + TEXT, **QUIET)]
    assert len(chunks) > 4
    normalizer = RunningNormalizer(rate, -20.0)
    out = np.concatenate([normalizer.process(c) for c in chunks])
    assert integrated_loudness(out, rate) == pytest.approx(-20.0, abs=1.0)
    assert true_peak(out, rate) <= CEILING * (1 + 1e-3)  # each chunk limited on its own: its edges too


# -- the engine --------------------------------------------------------------------------------------------


def test_off_by_default_and_whole_output_when_on(stub_synth):
    rate = stub_synth.sample_rate
    plain = stub_synth.synthesize(TEXT, **QUIET).samples
    assert np.array_equal(stub_synth.synthesize(TEXT, **QUIET, loudness=None).samples, plain)
    whole = stub_synth.synthesize(TEXT, **QUIET, loudness=-20.0).samples
    np.testing.assert_array_equal(whole, normalize_loudness(plain, rate, -20.0))
    # sentence by sentence (windows=False) yields the whole output's normalised pieces
    pieces = [c.samples for c in stub_synth.stream(TEXT, windows=False, **QUIET, loudness=-20.0)]
    assert len(pieces) > 1
    np.testing.assert_array_equal(np.concatenate(pieces), whole)
    streamed = np.concatenate([c.samples for c in stub_synth.stream(TEXT, **QUIET, loudness=-20.0)])
    assert streamed.shape == whole.shape
    assert integrated_loudness(streamed, rate) == pytest.approx(-20.0, abs=1.0)


# -- front ends --------------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "yourtts_onnx", *args], capture_output=True, env=env, timeout=120, check=False
    )


def _assert_normalised(samples: np.ndarray, rate: int, target: float) -> None:
    assert integrated_loudness(samples, rate) == pytest.approx(target, abs=1.0)
    assert true_peak(samples, rate) <= CEILING + 2 * PCM_STEP  # 16-bit rounding


@pytest.mark.parametrize("stream", [False, True])
def test_cli_synth_loudness(tmp_path, stream):
    out = tmp_path / "out.wav"
    r = _cli("synth", "-b", str(STUB_BUNDLE), "--loudness", "-18", "-o", str(out), *(["--stream"] * stream),
             TEXT)  # fmt: skip
    assert r.returncode == 0, r.stderr
    samples, rate = sf.read(out, dtype="float32")
    _assert_normalised(samples, rate, -18.0)


def test_cli_bad_loudness_is_one_line(tmp_path):
    r = _cli("synth", "-b", str(STUB_BUNDLE), "--loudness", "-100", "-o", str(tmp_path / "x.wav"), TEXT)
    err = r.stderr.decode()
    assert r.returncode == 2 and "loudness must be at least -70" in err and err.count("\n") == 1, err
    assert not (tmp_path / "x.wav").exists()


def test_http_serve_setting(tmp_path):
    pytest.importorskip("fastapi")
    from server_support import client_for, make_app
    from yourtts_onnx.runtime import SynthesisOptions, Synthesizer

    synth = Synthesizer.from_bundle(STUB_BUNDLE, threads=1)
    with client_for(make_app(synth, tmp_path, options=SynthesisOptions(loudness=-20.0))) as client:
        r = client.post("/v1/audio/speech", json={"input": TEXT, "response_format": "wav", **QUIET})
        assert r.status_code == 200, r.text
        samples, rate = sf.read(io.BytesIO(r.content), dtype="float32")
        _assert_normalised(samples, rate, -20.0)
        r = client.get("/api/tts", params={"text": TEXT})
        samples, rate = sf.read(io.BytesIO(r.content), dtype="float32")
        _assert_normalised(samples, rate, -20.0)
    from server_support import make_settings

    with pytest.raises(InputError, match="loudness"):
        make_settings(tmp_path, options=SynthesisOptions(loudness=-1.0))


def test_serve_flag_maps_to_the_setting():
    import argparse

    from yourtts_onnx.commands import serve

    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--bundle", str(STUB_BUNDLE), "--loudness", "-19"])
    assert serve.settings_from_args(args).options.loudness == -19.0


def test_wyoming_loudness_whole_and_streamed_text(tmp_path):
    pytest.importorskip("wyoming")
    from wyoming_support import HOST, running_server
    from yourtts_onnx.runtime import SynthesisOptions, Synthesizer
    from yourtts_onnx.wyoming import client

    synth = Synthesizer.from_bundle(STUB_BUNDLE, threads=1, voices_dir=tmp_path / "voices")
    rate = synth.sample_rate
    with running_server(synth, options=SynthesisOptions(**QUIET, loudness=-20.0)) as server:
        reply = asyncio.run(client.synthesize(HOST, server.port, TEXT + " " + TEXT))
        assert not reply.errors
        _assert_normalised(np.frombuffer(reply.audio, "<i2") / 32768.0, rate, -20.0)
        words = (TEXT + " " + TEXT).split(" ")
        chunks = [" ".join(words[i : i + 3]) + " " for i in range(0, len(words), 3)]
        reply = asyncio.run(client.synthesize_streaming(HOST, server.port, chunks))
        assert not reply.errors
        _assert_normalised(np.frombuffer(reply.audio, "<i2") / 32768.0, rate, -20.0)


def test_wyoming_and_batch_flags_carry_the_target(tmp_path):
    import argparse

    from yourtts_onnx.commands import batch, wyoming

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    wyoming.register(sub)
    batch.register(sub)
    args = parser.parse_args(["wyoming", "--bundle", str(STUB_BUNDLE), "--loudness", "-21"])
    assert wyoming.settings_from_args(args).options.loudness == -21.0
    manifest = tmp_path / "rows.jsonl"
    manifest.write_text('{"text": "hi"}\n')
    args = parser.parse_args(
        ["batch", "--bundle", str(STUB_BUNDLE), "--manifest", str(manifest), "--out", str(tmp_path / "o"),
         "--loudness", "-21"]
    )  # fmt: skip
    assert batch.config_from_args(args).defaults.loudness == -21.0


def test_batch_worker_output_is_normalised(stub_synth, tmp_path):
    """A batch item is ``synthesize(text, options)`` with the run's defaults (no Ray needed to show it)."""
    from yourtts_onnx.runtime.options import make_options

    options = make_options(**QUIET, loudness=-21.0)
    _assert_normalised(stub_synth.synthesize(TEXT, options).samples, stub_synth.sample_rate, -21.0)
