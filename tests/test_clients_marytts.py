"""``speak2mary`` (the client of Home Assistant's MaryTTS integration), as it is, against a loopback server:
HA's defaults (voice cmu-slt-hsmm, locale en_US, WAVE_FILE) work out of the box, AU and AIFF are real,
and the voice list carries every language of the model."""

from __future__ import annotations

import io
from urllib.parse import urlparse

import numpy as np
import pytest
import soundfile as sf

from server_support import RecordingSynth, live_server, make_app

pytest_plugins = ["server_fixtures"]

speak2mary = pytest.importorskip("speak2mary")
pytest.importorskip("fastapi")

TEXT = "Hello from Home Assistant."


@pytest.fixture(scope="module")
def server(server_synth, tmp_path_factory):
    app = make_app(server_synth, tmp_path_factory.mktemp("mary"))
    with live_server(app) as url:
        yield url


def mary(server: str, **kwargs):
    address = urlparse(server)
    return speak2mary.MaryTTS(host=address.hostname, port=address.port, **kwargs)


def read(data: bytes) -> tuple[np.ndarray, int, str]:
    info = sf.info(io.BytesIO(data))
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    return samples, rate, info.format


def test_home_assistant_defaults(server, server_synth):
    """HA's MaryTTS platform: host/port, voice cmu-slt-hsmm, locale en_US, codec WAVE_FILE, no effects."""
    client = mary(server)
    assert (client.voice, client.locale, client.codec) == ("cmu-slt-hsmm", "en_US", "WAVE_FILE")
    samples, rate, fmt = read(client.speak(TEXT))
    assert fmt == "WAV" and rate == server_synth.sample_rate and samples.size > rate // 10


def test_unknown_voice_is_the_default_voice(server_synth, tmp_path, caplog):
    recorder = RecordingSynth(server_synth)
    with live_server(make_app(recorder, tmp_path)) as url:
        caplog.set_level("INFO", logger="yourtts_onnx.server.routes.marytts")
        mary(url).speak(TEXT)  # HA's default voice, cmu-slt-hsmm: not a voice of this model
        mary(url, voice="random-fr-1").speak(TEXT)
    unknown, known = recorder.calls
    assert unknown.embedding is None  # the default voice
    assert np.array_equal(known.embedding, server_synth.voices.speaker("random-fr-1"))
    assert (
        "MaryTTS voice 'cmu-slt-hsmm' is not a voice of this server; using the default voice" in caplog.text
    )


@pytest.mark.parametrize(("codec", "fmt"), [("WAVE_FILE", "WAV"), ("AU_FILE", "AU"), ("AIFF_FILE", "AIFF")])
def test_codecs_are_real(server, server_synth, codec, fmt):
    samples, rate, got = read(mary(server, codec=codec).speak(TEXT))
    assert got == fmt and rate == server_synth.sample_rate and samples.size > 0


def test_locales_and_effects(server_synth, tmp_path):
    """The locale chooses the model's language: each request reaches the synthesizer with it (a locale that
    was ignored would leave every call at the default, English)."""
    recorder = RecordingSynth(server_synth)
    expected = {"en_US": "en", "en_GB": "en", "fr": "fr-fr", "pt_BR": "pt-br"}
    with live_server(make_app(recorder, tmp_path)) as url:
        for locale in expected:
            samples, _rate, fmt = read(mary(url, locale=locale).speak(TEXT))
            assert fmt == "WAV"
            # as long as the direct synthesis in that language (the audio itself carries noise)
            direct = server_synth.synthesize(TEXT, recorder.calls[-1]).samples
            assert samples.shape == direct.shape, locale
        effects = {"Volume": "amount:2.0;", "Robot": "amount:100.0;"}  # accepted, ignored
        assert read(mary(url, voice="random-fr-1").speak(TEXT, effects))[2] == "WAV"
    assert [c.language for c in recorder.calls[:4]] == list(expected.values())
    assert recorder.calls[4].language == "en" and recorder.calls[4].voice is None


def test_unsupported_locale_and_codec_are_clear_errors(server):
    with pytest.raises(Exception, match="404") as info:
        mary(server, locale="sv").speak(TEXT)
    assert "unknown language" in str(info.value)
    with pytest.raises(Exception, match="422") as info:
        mary(server, codec="MP3").speak(TEXT)
    assert "AUDIO" in str(info.value)


def test_voices_have_locales_from_the_bundle(server, server_synth):
    import httpx

    from yourtts_onnx.server.routes.marytts import mary_locale

    locales = httpx.get(f"{server}/locales").text.split()
    assert locales == [mary_locale(lang) for lang in server_synth.languages] == ["en", "fr_FR", "pt_BR"]
    lines = httpx.get(f"{server}/voices").text.splitlines()
    assert len(lines) == len(server_synth.speakers) * len(locales)
    for voice in server_synth.speakers:
        assert {line.split()[1] for line in lines if line.split()[0] == voice} == set(locales)
    assert all(len(line.split()) == 4 for line in lines)
