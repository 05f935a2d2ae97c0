"""Word timestamps over HTTP, with real clients on loopback: ``POST /dev/captioned_speech`` (Kokoro-FastAPI's
shape, whole and NDJSON-streamed) through httpx, and the opt-in ``speech.audio.words`` events of the
OpenAI SSE stream through the OpenAI SDK."""

from __future__ import annotations

import base64
import io
import json

import pytest
import soundfile as sf

from server_support import live_server, make_app

pytest_plugins = ["server_fixtures"]

httpx = pytest.importorskip("httpx")
openai = pytest.importorskip("openai")
pytest.importorskip("fastapi")

QUIET = {"noise_scale": 0.0, "noise_scale_dp": 0.0}
LONG = "Hello there, this is a test of the server. It has 2 sentences, and a third one! Yes."


@pytest.fixture(scope="module")
def server(server_synth, tmp_path_factory):
    app = make_app(server_synth, tmp_path_factory.mktemp("captions"), max_text_chars=500)
    with live_server(app) as url:
        yield url


def post(server: str, **body) -> httpx.Response:
    return httpx.post(f"{server}/dev/captioned_speech", json={"input": LONG, **QUIET, **body}, timeout=60)


def ndjson(response: httpx.Response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line]


def expected_words(synth, text: str = LONG, **options) -> list[dict]:
    return [w.to_dict() for w in synth.synthesize(text, **QUIET, **options).words]


def test_whole_response_is_kokoros_shape(server, server_synth):
    r = post(server, response_format="wav", stream=False)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"audio", "audio_format", "timestamps"} and body["audio_format"] == "audio/wav"
    samples, rate = sf.read(io.BytesIO(base64.b64decode(body["audio"])), dtype="float32")
    duration = samples.size / rate
    words = body["timestamps"]
    assert words == expected_words(server_synth)
    assert [w["word"] for w in words] == LONG.split()
    starts = [w["start_time"] for w in words]
    assert starts == sorted(starts) and all(w["start_time"] < w["end_time"] <= duration for w in words)
    assert all(LONG[w["start_char"] : w["end_char"]] == w["word"] for w in words)


def test_stream_is_one_json_object_per_line_per_chunk(server):
    whole = post(server, response_format="wav", stream=False).json()
    r = post(server, response_format="wav")  # stream defaults to true, as Kokoro-FastAPI's
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = ndjson(r)
    assert len(lines) > 2 and all(set(line) == {"audio", "audio_format", "timestamps"} for line in lines)
    audio = b"".join(base64.b64decode(line["audio"]) for line in lines)
    assert audio[44:] == base64.b64decode(whole["audio"])[44:]  # a streamed WAV: header of unknown length
    assert [w for line in lines for w in line["timestamps"]] == whole["timestamps"]
    assert sum(1 for line in lines if line["timestamps"]) == 3  # each sentence's words with its first chunk


def test_stream_of_a_format_that_cannot_stream_is_one_line(server, server_synth):
    lines = ndjson(post(server, response_format="flac"))
    assert len(lines) == 1 and lines[0]["audio_format"] == "audio/flac"
    assert lines[0]["timestamps"] == expected_words(server_synth)


def test_return_timestamps_false_and_lang_code(server, server_synth):
    assert (
        post(server, response_format="wav", stream=False, return_timestamps=False).json()["timestamps"]
        is None
    )
    text = "Bonjour à tous, 3 amis."
    french = post(server, input=text, response_format="wav", stream=False, lang_code="f").json()["timestamps"]
    assert french == expected_words(server_synth, text, language="fr-fr")
    assert [w["word"] for w in french] == ["Bonjour", "à", "tous,", "3", "amis."]


def test_errors_are_json_and_name_the_field(server):
    r = post(server, input="   ")
    assert r.status_code == 422 and r.json()["error"]["param"] == "input"
    r = post(server, lang_code="de")
    assert r.status_code == 404 and r.json()["error"]["param"] == "lang_code"


def test_model_backend_says_it_has_no_timestamps(tmp_path):
    from conftest import STUB_BUNDLE
    from yourtts_onnx.runtime import Synthesizer

    synth = Synthesizer.from_bundle(STUB_BUNDLE, backend="model", threads=1)
    with live_server(make_app(synth, tmp_path)) as url:
        r = post(url, stream=False)
        assert r.status_code == 422 and r.json()["error"]["code"] == "timestamps_unavailable"
        assert "word timestamps need the component graphs" in r.json()["error"]["message"]
        ok = post(url, stream=False, return_timestamps=False)
        assert ok.status_code == 200 and ok.json()["timestamps"] is None


def test_openai_sse_word_events_are_opt_in(server, server_synth):
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0, timeout=60)
    params = {"model": "tts-1", "voice": "alloy", "input": LONG, "response_format": "pcm"}
    with client.audio.speech.with_streaming_response.create(
        **params, stream_format="sse", extra_body={**QUIET, "word_timestamps": True}
    ) as r:
        events = [json.loads(line.removeprefix("data: ")) for line in r.iter_lines() if line]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "speech.audio.words" and kinds[-1] == "speech.audio.done"
    assert set(kinds) == {"speech.audio.words", "speech.audio.delta", "speech.audio.done"}
    assert kinds.count("speech.audio.words") == 3
    words = [w for e in events if e["type"] == "speech.audio.words" for w in e["words"]]
    assert words == expected_words(server_synth, voice=server_synth.speakers[0])
    with client.audio.speech.with_streaming_response.create(
        **params, stream_format="sse", extra_body=QUIET
    ) as r:
        plain = [json.loads(line.removeprefix("data: "))["type"] for line in r.iter_lines() if line]
    assert "speech.audio.words" not in plain


def test_openapi_documents_both(server):
    doc = httpx.get(f"{server}/openapi.json", timeout=30).json()
    op = doc["paths"]["/dev/captioned_speech"]["post"]
    content = op["responses"]["200"]["content"]
    assert content["application/json"]["schema"]["$ref"].endswith("/CaptionedSpeechResponse")
    assert "application/x-ndjson" in content
    schemas = doc["components"]["schemas"]
    assert {"word", "start_time", "end_time", "start_char", "end_char"} <= set(
        schemas["WordTimestamp"]["properties"]
    )
    assert "speech.audio.words" in schemas["SpeechRequest"]["properties"]["word_timestamps"]["description"]
    assert schemas["CaptionedSpeechRequest"]["properties"]["input"]["maxLength"] == 500
