"""The OpenAI Python SDK, as it is, against a loopback server: every response format (pcm at 24 kHz),
audio streaming and server-sent events through ``with_streaming_response``, the voice object form, the
alias voices (alloy, ...) and an edited voice map, model names and OpenAI's error shape."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
import soundfile as sf

from server_support import TEXT, live_server, make_app, recording

pytest_plugins = ["server_fixtures"]

openai = pytest.importorskip("openai")
pytest.importorskip("fastapi")

QUIET = {"noise_scale": 0.0, "noise_scale_dp": 0.0}  # the same audio on every call


@pytest.fixture(scope="module")
def server(server_synth, tmp_path_factory):
    app = make_app(server_synth, tmp_path_factory.mktemp("openai"), max_text_chars=500)
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0, timeout=60)


def speech(client, **kwargs) -> bytes:
    params = {"model": "tts-1", "voice": "alloy", "input": TEXT, "extra_body": QUIET, **kwargs}
    return client.audio.speech.create(**params).content


def wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    return samples, rate


def test_every_response_format(client, server_synth):
    from yourtts_onnx.server.formats import openai_formats

    wav, rate = wav_samples(speech(client, response_format="wav"))
    assert rate == server_synth.sample_rate and wav.size > rate // 10
    duration = wav.size / rate
    for fmt in openai_formats():
        data = speech(client, response_format=fmt)
        if fmt == "pcm":  # OpenAI's pcm: 24 kHz 16-bit little-endian mono, no header
            assert len(data) % 2 == 0
            assert len(data) // 2 == round(duration * 24000)
        else:
            samples, got_rate = wav_samples(data)
            assert got_rate == (
                rate if fmt != "opus" or rate in (8000, 12000, 16000, 24000, 48000) else 48000
            )
            assert abs(samples.shape[0] / got_rate - duration) < 0.1, fmt  # codecs pad a little


def test_aac_is_refused_with_openais_error_shape(client):
    with pytest.raises(openai.UnprocessableEntityError) as info:
        speech(client, response_format="aac")
    error = info.value.body
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == "response_format" and "supported: wav, pcm" in error["message"]


def test_pcm_is_the_wav_resampled_to_24khz(client):
    import soxr

    wav, rate = wav_samples(speech(client, response_format="wav"))
    pcm = np.frombuffer(speech(client, response_format="pcm"), dtype="<i2").astype(np.float32) / 32767.0
    want = soxr.resample(wav.astype(np.float32), rate, 24000, quality="HQ")
    assert pcm.size == round(wav.size * 24000 / rate)
    assert np.max(np.abs(pcm - want[: pcm.size])) < 2e-3


def test_streamed_audio_equals_the_whole(client):
    whole = speech(client, response_format="pcm")
    params = {"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": "pcm"}
    with client.audio.speech.with_streaming_response.create(
        **params, extra_body={**QUIET, "stream": True}
    ) as r:
        assert r.headers["content-type"] == "audio/pcm" and r.headers["x-sample-rate"] == "24000"
        chunks = list(r.iter_bytes())
    assert b"".join(chunks) == whole


@pytest.mark.parametrize("fmt", ["pcm", "wav", "flac"])
def test_sse_events(client, fmt):
    """stream_format="sse": speech.audio.delta events (base64 audio), then speech.audio.done with usage."""
    whole = speech(client, response_format=fmt)
    params = {"model": "gpt-4o-mini-tts", "voice": "alloy", "input": TEXT, "response_format": fmt}
    with client.audio.speech.with_streaming_response.create(
        **params, stream_format="sse", extra_body=QUIET
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    events = [json.loads(line.removeprefix("data: ")) for line in lines]
    assert all(line.startswith("data: ") for line in lines)
    assert [e["type"] for e in events[:-1]] == ["speech.audio.delta"] * (len(events) - 1)
    done = events[-1]
    assert done["type"] == "speech.audio.done"
    assert set(done["usage"]) == {"input_tokens", "output_tokens", "total_tokens"}
    assert done["usage"]["input_tokens"] == len(TEXT) and done["usage"]["output_tokens"] > 0
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    if fmt == "wav":  # streamed WAV: a header of unknown length, then the same samples
        assert audio[44:] == whole[44:]
    else:
        assert audio == whole
    if fmt == "pcm":
        assert len(events) > 2  # chunks as they are made, not one blob


def test_voice_object_is_the_same_voice(client):
    by_name = speech(client, voice="random-fr-1", response_format="wav")
    by_object = speech(client, voice={"id": "random-fr-1"}, response_format="wav")
    assert by_name == by_object
    assert speech(client, voice={"id": "random-pt-1"}, response_format="wav") != by_name


def test_every_openai_voice_name_works_out_of_the_box(client, server_synth):
    from yourtts_onnx.server.voice_map import OPENAI_VOICES

    builtin = server_synth.speakers
    by_builtin = {name: speech(client, voice=name, response_format="wav") for name in builtin}
    for i, name in enumerate(OPENAI_VOICES):  # round robin over the built-in speakers, in order
        assert speech(client, voice=name, response_format="wav") == by_builtin[builtin[i % len(builtin)]]


def test_alias_voices_are_listed(server):
    import httpx

    data = httpx.get(f"{server}/v1/voices").json()["data"]
    aliases = {v["id"]: v["alias_of"] for v in data if v["alias_of"]}
    assert aliases["alloy"] == "random-en-1" and aliases["ash"] == "random-fr-1" and len(aliases) == 13


def test_models(client):
    ids = [m.id for m in client.models.list()]
    assert ids == ["tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", "yourtts"]
    assert client.models.retrieve("tts-1-hd").id == "tts-1-hd"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("whisper-1")


def test_unknown_model_and_voice_are_404_not_found(client):
    with pytest.raises(openai.NotFoundError) as info:
        speech(client, model="tts-2-ultra")
    assert info.value.body["code"] == "model_not_found" and info.value.body["param"] == "model"
    with pytest.raises(openai.NotFoundError) as info:
        speech(client, voice={"id": "voice_1234"})
    assert info.value.body["code"] == "voice_not_found" and "alloy" in info.value.body["message"]


def test_instructions_are_accepted_and_change_nothing(client):
    plain = speech(client, model="gpt-4o-mini-tts", response_format="wav")
    styled = speech(
        client, model="gpt-4o-mini-tts", response_format="wav", instructions="Speak like a pirate."
    )
    assert plain == styled


def test_speed(client):
    slow = speech(client, response_format="pcm", speed=0.5)
    fast = speech(client, response_format="pcm", speed=2.0)
    assert len(fast) < len(speech(client, response_format="pcm")) < len(slow)
    with pytest.raises(openai.UnprocessableEntityError):
        speech(client, speed=5.0)


def test_voice_map_points_aliases_at_a_cloned_voice(server_synth, tmp_path):
    """An edited map (--voice-alias alloy=narrator) makes 'alloy' a voice cloned over the API."""
    import httpx

    app = make_app(server_synth, tmp_path, voice_aliases={"alloy": "narrator", "house": "random-pt-1"})
    with live_server(app) as url:
        r = httpx.post(
            f"{url}/v1/voices",
            data={"name": "Narrator", "id": "narrator"},
            files=[("files", ("n.wav", recording(2.0), "audio/wav"))],
        )
        assert r.status_code == 201, r.text
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        assert speech(client, voice="alloy", response_format="wav") == speech(
            client, voice="narrator", response_format="wav"
        )
        assert speech(client, voice="house", response_format="wav") == speech(
            client, voice="random-pt-1", response_format="wav"
        )
        assert speech(
            client, voice="coral", response_format="wav"
        ) == speech(  # the defaults stay for the rest
            client, voice="random-en-1", response_format="wav"
        )


def test_voice_map_file_and_flags(tmp_path):
    from yourtts_onnx.cli import parse_args
    from yourtts_onnx.commands.serve import settings_from_args
    from yourtts_onnx.errors import InputError

    voice_map = tmp_path / "voices.json"
    voice_map.write_text(json.dumps({"alloy": "me", "nova": "her"}), encoding="utf-8")
    args = parse_args(
        [
            "serve",
            "--bundle",
            str(tmp_path),
            "--voice-map",
            str(voice_map),
            "--voice-alias",
            "nova=random-en-1",
        ]
    )
    assert dict(settings_from_args(args).voice_aliases) == {"alloy": "me", "nova": "random-en-1"}
    voice_map.write_text("{broken", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        settings_from_args(args)
    voice_map.write_text(json.dumps({"../x": "me"}), encoding="utf-8")
    with pytest.raises(InputError, match="invalid alias"):
        settings_from_args(args)
    with pytest.raises(InputError, match="ALIAS=VOICE"):
        settings_from_args(parse_args(["serve", "--bundle", str(tmp_path), "--voice-alias", "alloy"]))
