"""The HTTP API in-process: OpenAI and Coqui endpoints, formats, streaming, errors, auth, metrics."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from server_support import TEXT, client_for, error_message, make_app, read_audio, recording

pytest_plugins = ["server_fixtures"]

pytest.importorskip("fastapi")

DETERMINISTIC = {"noise_scale": 0.0, "noise_scale_dp": 0.0}


@pytest.fixture(scope="module")
def client(server_synth, tmp_path_factory):
    app = make_app(server_synth, tmp_path_factory.mktemp("api"), max_text_chars=300)
    with client_for(app) as c:
        yield c


# -- OpenAI ---------------------------------------------------------------------------------------


def test_speech_wav(client, server_synth):
    r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": TEXT, "response_format": "wav"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    samples, rate = read_audio(r.content)
    assert rate == server_synth.sample_rate and samples.size > rate // 10
    assert float(r.headers["x-audio-duration"]) == pytest.approx(samples.size / rate, abs=1e-3)


@pytest.mark.parametrize("fmt", ["flac", "mp3", "opus"])
def test_speech_compressed_formats_decode(client, fmt):
    from yourtts_onnx.server.formats import supported_formats

    if fmt not in supported_formats():
        pytest.skip(f"this libsndfile cannot write {fmt}")
    r = client.post("/v1/audio/speech", json={"input": TEXT, "response_format": fmt})
    assert r.status_code == 200, r.text
    samples, _rate = read_audio(r.content)
    assert samples.size > 1000


def test_speech_default_format_is_openais(client):
    from yourtts_onnx.server.formats import default_format

    r = client.post("/v1/audio/speech", json={"input": TEXT})
    assert r.status_code == 200
    assert r.headers["content-type"] == {"mp3": "audio/mpeg", "wav": "audio/wav"}[default_format()]


def test_speech_pcm_is_24khz_wav_data(client):
    """OpenAI's pcm is 24 kHz: the WAV's samples resampled, round(duration x 24000) of them."""
    body = {"input": TEXT, "voice": "random-en-1", **DETERMINISTIC}
    wav = client.post("/v1/audio/speech", json={**body, "response_format": "wav"})
    pcm = client.post("/v1/audio/speech", json={**body, "response_format": "pcm"})
    assert wav.headers["x-sample-rate"] == "16000"
    assert pcm.headers["content-type"] == "audio/pcm" and pcm.headers["x-sample-rate"] == "24000"
    native = np.frombuffer(wav.content[44:], dtype="<i2").astype(np.float32) / 32767.0
    got = np.frombuffer(pcm.content, dtype="<i2").astype(np.float32) / 32767.0
    assert got.size == round(native.size * 24000 / 16000)
    import soxr

    want = soxr.resample(native, 16000, 24000, quality="HQ")
    assert np.max(np.abs(got - want[: got.size])) < 2e-3  # int16 rounding of resampled int16 data


def test_stream_equals_whole_result(client):
    body = {"input": "One sentence. Another sentence! And a third one?", **DETERMINISTIC}
    whole = client.post("/v1/audio/speech", json={**body, "response_format": "wav"}).content
    streamed = client.post("/v1/audio/speech", json={**body, "response_format": "wav", "stream": True})
    assert streamed.status_code == 200 and streamed.headers["content-type"] == "audio/wav"
    header = streamed.content[:44]
    assert header[:4] == b"RIFF" and struct.unpack("<I", header[40:44])[0] == 0xFFFFFFFF  # unknown length
    assert streamed.content[44:] == whole[44:]
    whole_pcm = client.post("/v1/audio/speech", json={**body, "response_format": "pcm"}).content
    raw = client.post("/v1/audio/speech", json={**body, "response_format": "pcm", "stream": True})
    assert raw.headers["x-sample-rate"] == "24000" and raw.content == whole_pcm


def test_stream_of_a_format_that_cannot_stream_comes_whole(client):
    body = {"input": TEXT, "response_format": "flac", **DETERMINISTIC}
    streamed = client.post("/v1/audio/speech", json={**body, "stream": True})
    assert streamed.status_code == 200 and streamed.headers["content-type"] == "audio/flac"
    assert streamed.content == client.post("/v1/audio/speech", json=body).content


def test_speed_sets_length(client):
    def length(speed: float) -> int:
        r = client.post(
            "/v1/audio/speech",
            json={"input": TEXT, "response_format": "pcm", "speed": speed, **DETERMINISTIC},
        )
        assert r.status_code == 200, r.text
        return len(r.content)

    assert length(2.0) < length(1.0) < length(0.5)


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"input": TEXT, "speed": 0.1}, 422, "speed"),
        ({"input": TEXT, "speed": 4.5}, 422, "speed"),
        ({"input": ""}, 422, "non-empty"),
        ({"input": "   "}, 422, "non-empty"),
        ({"voice": "random-en-1"}, 422, "input"),
        ({"input": "x" * 301}, 422, "at most 300"),
        ({"input": "1" * 100}, 422, "once numbers are written out"),
        ({"input": TEXT, "voice": "nobody"}, 404, "random-en-1"),
        ({"input": TEXT, "voice": {"id": "nobody"}}, 404, "alloy"),
        ({"input": TEXT, "language": "de"}, 404, "en, fr-fr, pt-br"),
        ({"input": TEXT, "model": "gpt-5-tts"}, 404, "tts-1"),
        ({"input": TEXT, "response_format": "aac"}, 422, "supported: wav, pcm"),
        ({"input": TEXT, "noise_scale": -1}, 422, "noise_scale"),
        ({"input": 42}, 422, "input"),
    ],
)
def test_speech_bad_input(client, body, status, needle):
    r = client.post("/v1/audio/speech", json=body)
    assert r.status_code == status, r.text
    assert needle in error_message(r)


def test_speech_malformed_json(client):
    r = client.post("/v1/audio/speech", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    error_message(r)


def test_speech_language_and_voice(client):
    r = client.post(
        "/v1/audio/speech",
        json={"input": "Bonjour à tous.", "language": "fr", "voice": "random-fr-1", "response_format": "wav"},
    )
    assert r.status_code == 200, r.text


def test_models(client):
    ids = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert ids == ["tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", "yourtts"]
    assert client.get("/v1/models/tts-1").json()["id"] == "tts-1"
    r = client.get("/v1/models/whisper-1")
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"


# -- Coqui tts-server -----------------------------------------------------------------------------


def test_coqui_get(client):
    r = client.get("/api/tts", params={"text": TEXT, "speaker_id": "random-en-1", "language_id": "en"})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert read_audio(r.content)[0].size > 0


def test_coqui_empty_ids_mean_defaults(client):
    r = client.get("/api/tts", params={"text": TEXT, "speaker_id": "", "language_id": "", "style_wav": ""})
    assert r.status_code == 200


def test_coqui_headers_and_form(client):
    r = client.post(
        "/api/tts", headers={"text": "Hi there.", "speaker-id": "random-fr-1", "language-id": "fr-fr"}
    )
    assert r.status_code == 200
    r = client.post("/api/tts", data={"text": TEXT, "speaker_id": "random-pt-1", "language_id": "pt-br"})
    assert r.status_code == 200
    r = client.post("/api/tts", json={"text": TEXT})
    assert r.status_code == 200


def test_coqui_clone_from_upload(client):
    r = client.post(
        "/api/tts",
        data={"text": TEXT, "language_id": "en"},
        files={"speaker_wav": ("me.wav", recording(2.0), "audio/wav")},
    )
    assert r.status_code == 200, r.text
    # style_wav (Coqui's GST style) is ignored, uploaded or not: the default voice speaks
    r = client.post(
        "/api/tts", data={"text": TEXT}, files={"style_wav": ("me.flac", recording(1.5, fmt="FLAC"))}
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("params", "status", "needle"),
    [
        ({}, 400, "Text parameter is required"),
        ({"text": "  "}, 400, "Text parameter is required"),
        ({"text": TEXT, "speaker_wav": "/etc/passwd"}, 404, "paths on the server are not accepted"),
        ({"text": TEXT, "speaker_id": "p225"}, 404, "unknown voice 'p225'"),
        ({"text": TEXT, "language_id": "xx"}, 404, "unknown language 'xx'"),
        ({"text": "y" * 400}, 422, "at most 300"),
    ],
)
def test_coqui_bad_input(client, params, status, needle):
    r = client.get("/api/tts", params=params)
    assert r.status_code == status, r.text
    assert needle in error_message(r)


def test_coqui_upload_not_audio(client):
    r = client.post(
        "/api/tts", data={"text": TEXT}, files={"speaker_wav": ("x.wav", b"not audio at all" * 100)}
    )
    assert r.status_code == 422 and "not a readable audio file" in error_message(r)


def test_coqui_lists(client, server_synth):
    assert client.get("/api/languages").json() == {"languages": ["en", "fr-fr", "pt-br"], "default": "en"}
    assert client.get("/api/speakers").json()["speakers"] == server_synth.speakers
    assert client.get("/v1/languages").json()["languages"] == server_synth.languages


def test_marytts(client):
    assert client.get("/locales").text.split() == ["en", "fr_FR", "pt_BR"]
    assert client.get("/voices").text.splitlines()[:2] == [
        "random-en-1 en unknown yourtts",
        "random-en-1 fr_FR unknown yourtts",
    ]
    r = client.get("/process", params={"INPUT_TEXT": TEXT, "VOICE": "random-en-1"})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    r = client.post(
        "/process", content="INPUT_TEXT=Hello+there.&LOCALE=en", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 200


# -- system ---------------------------------------------------------------------------------------


def test_health_and_details(client, server_synth):
    assert client.get("/health").json() == {
        "status": "ok",
        "workers": 2,
        "running": 0,
        "queued": 0,
        "capacity": 10,
    }
    d = client.get("/details").json()
    assert d["languages"] == server_synth.languages and d["speakers"] == server_synth.speakers
    assert d["can_clone"] is True and d["limits"]["max_text_chars"] == 300 and "wav" in d["streaming_formats"]


def test_docs_page_and_static(client):
    assert client.get("/openapi.json").json()["paths"]["/v1/audio/speech"]["post"]
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="synthesize"' in page.text and "http" not in page.text.split("<body>")[1].replace("/docs", "")
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


def test_unknown_route_is_json_404(client):
    r = client.get("/nope")
    assert r.status_code == 404
    error_message(r)


def test_metrics(client):
    client.post("/v1/audio/speech", json={"input": TEXT, "response_format": "wav"})
    client.post("/v1/audio/speech", json={"input": ""})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = r.text.splitlines()
    samples = {}
    for line in lines:
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    assert samples['yourtts_http_requests_total{endpoint="/v1/audio/speech",method="POST",status="200"}'] >= 1
    assert samples['yourtts_http_requests_total{endpoint="/v1/audio/speech",method="POST",status="422"}'] >= 1
    assert samples['yourtts_http_request_duration_seconds_count{endpoint="/v1/audio/speech"}'] >= 2
    inf = samples['yourtts_http_request_duration_seconds_bucket{endpoint="/v1/audio/speech",le="+Inf"}']
    assert inf == samples['yourtts_http_request_duration_seconds_count{endpoint="/v1/audio/speech"}']
    assert samples["yourtts_queue_depth"] == 0 and samples["yourtts_queue_capacity"] == 10
    assert samples["yourtts_audio_seconds_total"] > 0
    assert samples['yourtts_jobs_total{outcome="completed"}'] >= 1
    assert "# TYPE yourtts_http_request_duration_seconds histogram" in lines


# -- authentication -------------------------------------------------------------------------------


def test_api_key(server_synth, tmp_path):
    app = make_app(server_synth, tmp_path, api_key="s3cret")
    with client_for(app) as c:
        assert c.get("/health").status_code == 200
        assert c.get("/").status_code == 200
        for path in ("/v1/voices", "/metrics", "/details", "/api/tts?text=hi"):
            r = c.get(path)
            assert r.status_code == 401, path
            assert "API key" in error_message(r) and r.headers["www-authenticate"] == "Bearer"
        assert c.get("/v1/voices", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/v1/voices", headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.get("/v1/voices", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/v1/voices", headers={"X-API-Key": "s3cret"}).status_code == 200
        r = c.post("/v1/audio/speech", json={"input": TEXT}, headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 200


def test_settings_validation(tmp_path):
    from yourtts_onnx.errors import InputError
    from yourtts_onnx.server.settings import ServerSettings, api_key_from_env

    for bad in ({"workers": 0}, {"queue_size": -1}, {"timeout": 0}, {"max_upload_mb": -2}, {"api_key": " "}):
        with pytest.raises(InputError):
            ServerSettings(**bad)
    assert ServerSettings(workers=4, threads=None).intra_op_threads >= 1
    assert api_key_from_env("given") == "given"


def test_cli_builds_settings(tmp_path, monkeypatch):
    from yourtts_onnx.cli import parse_args
    from yourtts_onnx.commands.serve import settings_from_args

    monkeypatch.setenv("YOURTTS_ONNX_API_KEY", "from-env")
    args = parse_args(
        ["serve", "--bundle", str(tmp_path), "--workers", "3", "--queue-size", "5", "--timeout", "9"]
    )
    s = settings_from_args(args)
    assert (s.workers, s.queue_size, s.timeout, s.api_key, s.port) == (3, 5, 9.0, "from-env", 5002)


def test_wav_samples_match_synthesizer(client, server_synth):
    r = client.post(
        "/v1/audio/speech",
        json={"input": TEXT, "voice": "random-en-1", "response_format": "wav", **DETERMINISTIC},
    )
    got = np.frombuffer(r.content[44:], dtype="<i2").astype(np.float32) / 32767.0
    want = server_synth.synthesize(
        TEXT, language="en", voice="random-en-1", noise_scale=0.0, noise_scale_dp=0.0
    ).samples
    assert got.shape == want.shape and np.max(np.abs(got - want)) < 1e-4
