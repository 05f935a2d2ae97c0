"""The Synthesizer API on the committed stub bundle: sentences, pauses, batching, streaming, options."""

from __future__ import annotations

import io

import numpy as np
import onnxruntime as ort
import pytest
import soundfile as sf

from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime import Audio, Bundle, SessionOptions, SynthesisOptions, Synthesizer
from yourtts_onnx.runtime.languages import default_language, resolve_language
from yourtts_onnx.runtime.session import create_session

pytest_plugins = ["runtime_fixtures"]

TEXT = "Hello there. This is the second sentence, which is a little longer. Is it three? Yes!"
QUIET = {"noise_scale": 0.0, "noise_scale_dp": 0.0}


def test_bundle_facts(stub_synth):
    assert stub_synth.sample_rate == 16000
    assert stub_synth.languages == ["en", "fr-fr", "pt-br"]
    assert stub_synth.default_language == "en"
    assert len(stub_synth.speakers) == 3
    assert stub_synth.can_clone


def test_synthesize_returns_audio(stub_synth):
    audio = stub_synth.synthesize("Hello world.")
    assert isinstance(audio, Audio)
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.sample_rate == 16000
    assert audio.duration == pytest.approx(len(audio) / 16000)
    assert len(audio) % 256 == 0  # whole frames
    assert np.all(np.isfinite(audio.samples))


def test_sentences_are_split_and_joined_with_pause(stub_synth):
    plan = stub_synth.utterances(TEXT)
    assert [u.text for u in plan] == [
        "Hello there.",
        "This is the second sentence, which is a little longer.",
        "Is it three?",
        "Yes!",
    ]
    chunks = [stub_synth.synthesize(u.text, split_sentences=False, **QUIET) for u in plan]
    pause = round(0.2 * 16000)
    audio = stub_synth.synthesize(TEXT, **QUIET)
    assert len(audio) == sum(len(c) for c in chunks) + pause * (len(chunks) - 1)
    start = len(chunks[0])
    np.testing.assert_array_equal(audio.samples[:start], chunks[0].samples)
    assert not np.any(audio.samples[start : start + pause])
    np.testing.assert_array_equal(
        audio.samples[start + pause : start + pause + len(chunks[1])], chunks[1].samples
    )


@pytest.mark.parametrize("pause", [0.0, 0.05, 0.5])
def test_sentence_pause_is_configurable(stub_synth, pause):
    base = stub_synth.synthesize(TEXT, sentence_pause=0.0, **QUIET)
    audio = stub_synth.synthesize(TEXT, sentence_pause=pause, **QUIET)
    assert len(audio) == len(base) + 3 * round(pause * 16000)


@pytest.mark.parametrize("windows", [False, True])
def test_stream_concatenation_equals_synthesize(stub_synth, windows):
    chunks = list(stub_synth.stream(TEXT, windows=windows, **QUIET))
    assert len(chunks) >= 4
    whole = stub_synth.synthesize(TEXT, **QUIET)
    got = np.concatenate([c.samples for c in chunks])
    if windows:  # stitched windows equal whole sentences up to float rounding
        np.testing.assert_allclose(got, whole.samples, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, whole.samples)


def test_stream_without_windows_yields_one_chunk_per_sentence(stub_synth):
    plan = stub_synth.utterances(TEXT)
    alone = [len(stub_synth.synthesize(u.text, split_sentences=False, **QUIET)) for u in plan]
    chunks = list(stub_synth.stream(TEXT, windows=False, sentence_pause=0.0, **QUIET))
    assert [len(c) for c in chunks] == alone


def test_options_object_and_fields_are_the_same_call(stub_synth):
    opts = SynthesisOptions(language="en", voice=stub_synth.speakers[1], length_scale=1.2, **QUIET)
    a = stub_synth.synthesize(TEXT, opts)
    b = stub_synth.synthesize(TEXT, language="en", voice=stub_synth.speakers[1], length_scale=1.2, **QUIET)
    c = stub_synth.synthesize(
        TEXT, SynthesisOptions(language="en"), voice=stub_synth.speakers[1], length_scale=1.2, **QUIET
    )
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.samples, c.samples)
    with pytest.raises(InputError, match="options must be SynthesisOptions"):
        stub_synth.synthesize(TEXT, "en")  # options is an object, not a language
    with pytest.raises(InputError, match="unknown synthesis option"):
        stub_synth.synthesize(TEXT, opts, batch_size=2)


def test_seed_fixes_the_noise(stub_synth):
    a = stub_synth.synthesize(TEXT, seed=7)
    b = stub_synth.synthesize(TEXT, seed=7)
    c = stub_synth.synthesize(TEXT, seed=8)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert len(a) != len(c) or not np.array_equal(a.samples, c.samples)
    streamed = np.concatenate([x.samples for x in stub_synth.stream(TEXT, seed=7)])
    np.testing.assert_allclose(streamed, a.samples, atol=1e-6)


def test_stream_is_lazy_but_validates_eagerly(stub_synth):
    with pytest.raises(InputError):
        stub_synth.stream("", language="en")  # raised at the call, before iteration
    calls = []
    gen = stub_synth.stream(TEXT, windows=False, progress=lambda done, total: calls.append((done, total)))
    assert calls == []
    next(gen)
    assert calls == [(1, 4)]
    list(gen)
    assert calls[-1] == (4, 4)


def test_long_sentence_is_capped(stub_synth):
    text = ", ".join(["this clause goes on"] * 40) + "."
    plan = stub_synth.utterances(text)
    assert len(plan) > 1
    assert all(len(u.ids) <= stub_synth.tokenizer.config.sentences.max_tokens == 400 for u in plan)
    assert all(len(u.ids) <= 41 for u in stub_synth.utterances(text, max_tokens=41))


def test_numbers_are_expanded_unless_coqui_exact(stub_synth):
    assert stub_synth.utterances("I have 3 cats.")[0].text == "I have three cats."
    exact = stub_synth.utterances("I have 3 cats.", normalize_numbers=False, split_sentences=False)[0]
    assert exact.ids == tuple(stub_synth.tokenizer.encode("I have 3 cats.", "en"))


def test_scales_default_to_bundle_config(stub_synth):
    s = stub_synth.scales(SynthesisOptions())
    d = stub_synth.config.inference
    assert (s.noise_scale, s.length_scale, s.noise_scale_dp) == (
        d.noise_scale,
        d.length_scale,
        d.noise_scale_dp,
    )
    assert stub_synth.scales(SynthesisOptions(length_scale=2.0)).length_scale == 2.0


def test_length_scale_slows_down(stub_synth):
    normal = stub_synth.synthesize("Hello world.", **QUIET)
    slow = stub_synth.synthesize("Hello world.", length_scale=2.0, **QUIET)
    assert len(slow) > 1.6 * len(normal)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"noise_scale": -1.0},
        {"length_scale": 0.0},
        {"noise_scale_dp": float("nan")},
        {"sentence_pause": -0.1},
        {"sentence_pause": 1e12},
        {"length_scale": 1e9},
        {"max_tokens": 10**9},
        {"seed": -1},
        {"noise_scale": "0.5"},
    ],
)
def test_bad_scales_are_input_errors(stub_synth, kwargs):
    with pytest.raises(InputError):
        stub_synth.synthesize("Hello.", **kwargs)


def test_voices_builtin_and_embedding(stub_synth):
    name = stub_synth.speakers[1]
    a = stub_synth.synthesize("Hello.", voice=name, **QUIET)
    b = stub_synth.synthesize("Hello.", embedding=stub_synth.voices.speaker(name), **QUIET)
    np.testing.assert_array_equal(a.samples, b.samples)
    default = stub_synth.synthesize("Hello.", **QUIET)
    first = stub_synth.synthesize("Hello.", voice=stub_synth.speakers[0], **QUIET)
    np.testing.assert_array_equal(default.samples, first.samples)


def test_only_one_voice_source(stub_synth):
    with pytest.raises(InputError, match="only one of"):
        stub_synth.synthesize("Hello.", voice=stub_synth.speakers[0], embedding=np.ones(512))


@pytest.mark.parametrize("bad", [np.ones(10), np.zeros(512), np.full(512, np.nan), "not a vector"])
def test_bad_embedding(stub_synth, bad):
    with pytest.raises(InputError, match="embedding"):
        stub_synth.synthesize("Hello.", embedding=bad)


def test_language_resolution():
    langs = {"en": 0, "fr-fr": 1, "pt-br": 2}
    assert resolve_language(None, langs) == ("en", 0)
    assert resolve_language("fr", langs) == ("fr-fr", 1)
    assert resolve_language("PT_BR", langs) == ("pt-br", 2)
    assert resolve_language("pt", langs) == ("pt-br", 2)
    with pytest.raises(InputError, match=r"unknown language 'de' \(known: en, fr-fr, pt-br\)"):
        resolve_language("de", langs)
    assert default_language({"fr-fr": 0}) == "fr-fr"
    assert default_language({"fr-fr": 0, "en-us": 1}) == "en-us"
    assert default_language({"fr-fr": 0, "pt-br": 1}) is None
    with pytest.raises(InputError, match="choose one"):
        resolve_language(None, {"fr-fr": 0, "pt-br": 1})


def test_languages_change_the_output(stub_synth):
    en = stub_synth.synthesize("Bonjour.", language="en", **QUIET)
    fr = stub_synth.synthesize("Bonjour.", language="fr", **QUIET)
    assert len(en) != len(fr) or not np.array_equal(en.samples, fr.samples)


def test_audio_wav_roundtrip(stub_synth, tmp_path):
    audio = stub_synth.synthesize("Hello world.")
    data, sr = sf.read(io.BytesIO(audio.to_wav()), dtype="float32")
    assert sr == 16000 and data.shape == (len(audio),)
    np.testing.assert_allclose(data, np.clip(audio.samples, -1, 1), atol=1 / 32767 + 1e-6)
    path = tmp_path / "out.wav"
    audio.save(path)
    assert path.read_bytes() == audio.to_wav()
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_from_sessions_injection(stub_bundle):
    bundle = Bundle.open(stub_bundle)
    session = create_session(bundle.graph_path("model"), SessionOptions(threads=1))
    synth = Synthesizer.from_sessions(bundle, {"model": session})
    assert synth.backend.name == "model"
    assert len(synth.synthesize("Hello.")) > 0
    assert synth.embed(_wav_bytes()).shape == (512,)  # the speaker encoder loads lazily from the bundle
    with pytest.raises(BundleError, match="needs the graph"):
        Synthesizer.from_sessions(bundle, {"model": session}, backend="split")


def _wav_bytes() -> bytes:
    buf = io.BytesIO()
    t = np.arange(24000) / 16000
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 16000, format="WAV")
    return buf.getvalue()


def test_session_options():
    opts = SessionOptions(threads=2, graph_optimization="basic")
    assert opts.ort_options().intra_op_num_threads == 2
    names, _ = SessionOptions(providers=None).resolved_providers()
    assert names[-1] == "CPUExecutionProvider"
    with pytest.raises(InputError, match="not available"):
        SessionOptions(providers=["NoSuchExecutionProvider"]).resolved_providers()
    with pytest.raises(InputError, match="optimisation level"):
        SessionOptions(graph_optimization="max")
    with pytest.raises(InputError, match="threads"):
        SessionOptions(threads=0)


def test_cuda_provider_gets_heuristic_conv_search(monkeypatch):
    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    names, options = SessionOptions(providers=["CUDAExecutionProvider"]).resolved_providers()
    assert names == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert options[0]["cudnn_conv_algo_search"] == "HEURISTIC"
    auto, _ = SessionOptions().resolved_providers()
    assert auto[0] == "CUDAExecutionProvider"


def test_sentences_without_letters_are_skipped(stub_synth):
    assert [u.text for u in stub_synth.utterances("Hello. 😀! ... World.")] == ["Hello.", "World."]
    a = stub_synth.synthesize("Hello. 😀! World.", **QUIET)
    b = stub_synth.synthesize("Hello. World.", **QUIET)
    np.testing.assert_array_equal(a.samples, b.samples)
