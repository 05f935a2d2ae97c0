"""Hostile input to the HTTP service, table-driven: every case ends with its status code and OpenAI's error
body ``{"error": {"message", "type", "param", "code"}}``, a one-line message that names no server path and
no Python object; plus damaged saved voices, an unwritable voices directory, server faults, metric labels,
API keys in any bytes, settings bounds, a bad bundle, and Coqui's voice precedence."""

from __future__ import annotations

import http.client
import io
import json
import pickle
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pytest
import soundfile as sf

from conftest import STUB_BUNDLE
from server_support import TEXT, RecordingSynth, client_for, live_server, make_app, recording

pytest_plugins = ["server_fixtures"]

pytest.importorskip("fastapi")

MAX_TEXT = 5000  # the default: 4.4 KB of digits fit before number expansion, not after


def long_flac() -> bytes:
    """A small file that decodes to more than the reference limit (stereo silence at 8 kHz)."""
    from yourtts_onnx.runtime.limits import MAX_REFERENCE_SECONDS

    buf = io.BytesIO()
    frames = int((MAX_REFERENCE_SECONDS + 60) * 8000)
    with sf.SoundFile(buf, "w", 8000, 2, format="FLAC") as fh:
        for start in range(0, frames, 1 << 18):
            fh.write(np.zeros((min(1 << 18, frames - start), 2), dtype=np.float32))
    return buf.getvalue()


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    request: Callable[[], dict[str, Any]]
    status: int
    code: str | None
    needle: str


def _json(body: Any) -> Callable[[], dict[str, Any]]:
    return lambda: {"json": body}


def _raw(content: bytes, content_type: str = "application/json") -> Callable[[], dict[str, Any]]:
    return lambda: {"content": content, "headers": {"content-type": content_type}}


def _upload(
    field: str, files: Callable[[], list[tuple[str, bytes]]], **data: str
) -> Callable[[], dict[str, Any]]:
    return lambda: {
        "data": data,
        "files": [(field, (name, content, "audio/wav")) for name, content in files()],
    }


DIGITS = "1" * 4400
DEEP = b"[" * 100_000 + b"]" * 100_000

CASES = [
    # texts: the limit counts the text as spoken (numbers written out), before any work is queued
    Case(
        "speech-digits",
        "POST",
        "/v1/audio/speech",
        _json({"input": DIGITS}),
        422,
        "text_too_long",
        "once numbers",
    ),
    Case("coqui-digits", "GET", f"/api/tts?text={DIGITS}", dict, 422, "text_too_long", "once numbers"),
    Case(
        "mary-digits",
        "POST",
        "/process",
        lambda: {"content": f"INPUT_TEXT={DIGITS}"},
        422,
        "text_too_long",
        "once",
    ),
    Case(
        "speech-too-long",
        "POST",
        "/v1/audio/speech",
        _json({"input": "a" * 5001}),
        422,
        "text_too_long",
        "5000",
    ),
    Case(
        "speech-blank", "POST", "/v1/audio/speech", _json({"input": " \t\n"}), 422, "empty_text", "non-empty"
    ),
    Case(
        "speech-emoji", "POST", "/v1/audio/speech", _json({"input": "🙂🙂"}), 422, "invalid_text", "pronounce"
    ),
    Case(
        "speech-not-text",
        "POST",
        "/v1/audio/speech",
        _json({"input": ["a"]}),
        422,
        "invalid_request",
        "input",
    ),
    # bodies that do not parse
    Case("speech-deep-json", "POST", "/v1/audio/speech", _raw(DEEP), 400, "invalid_body", "parsing the body"),
    Case("coqui-deep-json", "POST", "/api/tts", _raw(DEEP), 400, "invalid_json", "cannot be parsed"),
    Case(
        "speech-not-utf8",
        "POST",
        "/v1/audio/speech",
        _raw(b'{"input": "\xff"}'),
        400,
        "invalid_body",
        "parsing",
    ),
    Case(
        "mary-not-utf8",
        "POST",
        "/process",
        _raw(b"INPUT_TEXT=\xff", "text/plain"),
        400,
        "invalid_body",
        "UTF-8",
    ),
    # names that do not exist: 404
    Case(
        "unknown-model",
        "POST",
        "/v1/audio/speech",
        _json({"input": TEXT, "model": "x"}),
        404,
        "model_not_found",
        "tts-1",
    ),
    Case(
        "unknown-voice",
        "POST",
        "/v1/audio/speech",
        _json({"input": TEXT, "voice": "x"}),
        404,
        "voice_not_found",
        "alloy",
    ),
    Case(
        "unknown-voice-object",
        "POST",
        "/v1/audio/speech",
        _json({"input": TEXT, "voice": {"id": "x"}}),
        404,
        "voice_not_found",
        "x",
    ),
    Case(
        "unknown-language",
        "POST",
        "/v1/audio/speech",
        _json({"input": TEXT, "language": "tlh"}),
        404,
        "language_not_found",
        "en",
    ),
    Case(
        "coqui-path-as-voice",
        "GET",
        f"/api/tts?text={TEXT}&speaker_wav=/etc/passwd",
        dict,
        404,
        "voice_not_found",
        "paths",
    ),
    Case(
        "mary-unknown-locale",
        "GET",
        f"/process?INPUT_TEXT={TEXT}&LOCALE=sv",
        dict,
        404,
        "language_not_found",
        "sv",
    ),
    # values outside what is offered
    Case(
        "speech-aac",
        "POST",
        "/v1/audio/speech",
        _json({"input": TEXT, "response_format": "aac"}),
        422,
        "unsupported_format",
        "aac",
    ),
    Case(
        "speech-speed",
        "POST",
        "/v1/audio/speech",
        _json({"input": TEXT, "speed": 1e9}),
        422,
        "invalid_request",
        "speed",
    ),
    Case(
        "speech-noise-nan",
        "POST",
        "/v1/audio/speech",
        _raw(b'{"input": "Hi.", "noise_scale": NaN}'),
        422,
        "invalid_request",
        "noise_scale: Input should be a finite number",
    ),
    Case("mary-codec", "GET", f"/process?INPUT_TEXT={TEXT}&AUDIO=MP3", dict, 422, "invalid_request", "AUDIO"),
    Case(
        "mary-input-type",
        "GET",
        f"/process?INPUT_TEXT={TEXT}&INPUT_TYPE=RAWMARYXML",
        dict,
        422,
        "invalid_request",
        "INPUT_TYPE",
    ),
    # uploads: audio only, bounded duration and count, never a path
    Case(
        "upload-too-long",
        "POST",
        "/v1/voices",
        _upload("files", lambda: [("l.flac", long_flac())], name="Long"),
        422,
        "invalid_audio",
        "at most 300 s",
    ),
    Case(
        "coqui-upload-too-long",
        "POST",
        "/api/tts",
        _upload("speaker_wav", lambda: [("l.flac", long_flac())], text=TEXT),
        422,
        "invalid_audio",
        "at most 300 s",
    ),
    Case(
        "upload-not-audio",
        "POST",
        "/api/tts",
        _upload("speaker_wav", lambda: [("x.wav", b"junk" * 200)], text=TEXT),
        422,
        "invalid_audio",
        "not a readable audio file",
    ),
    Case(
        "upload-empty",
        "POST",
        "/v1/voices",
        _upload("files", lambda: [("e.wav", b"")], name="Empty"),
        422,
        "invalid_audio",
        "is empty",
    ),
    Case(
        "upload-17-files",
        "POST",
        "/v1/voices",
        _upload("files", lambda: [("a.wav", recording(1.0))] * 17, name="Many"),
        422,
        "invalid_audio",
        "at most 16",
    ),
    Case(
        "coqui-17-files",
        "POST",
        "/api/tts",
        _upload("speaker_wav", lambda: [("a.wav", recording(1.0))] * 17, text=TEXT),
        422,
        "invalid_audio",
        "at most 16",
    ),
    Case(
        "coqui-multipart-text-voice",
        "POST",
        "/api/tts",
        lambda: {"files": {"text": (None, TEXT), "speaker_wav": (None, "random-en-1")}},
        422,
        "invalid_speaker_wav",
        "speaker_id",
    ),
    Case(
        "upload-huge-declared",
        "POST",
        "/v1/voices",
        lambda: {"content": b"x", "headers": {"content-length": str(10**12)}},
        413,
        "upload_too_large",
        "upload limit",
    ),
    # routes and methods
    Case("put-coqui", "PUT", "/api/tts", dict, 405, "method_not_allowed", "Method Not Allowed"),
    Case("unknown-route", "GET", "/v2/everything", dict, 404, "not_found", "Not Found"),
    Case("delete-builtin", "DELETE", "/v1/voices/random-en-1", dict, 403, "builtin_voice", "built-in"),
    Case("delete-alias", "DELETE", "/v1/voices/alloy", dict, 403, "builtin_voice", "voice map"),
    Case("voice-traversal", "GET", "/v1/voices/..%2F..%2Fetc%2Fpasswd", dict, 404, "not_found", "Not Found"),
]


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def client(server_synth, app_dir):
    with client_for(make_app(server_synth, app_dir, max_text_chars=MAX_TEXT, max_upload_mb=4.0)) as c:
        yield c


def check_error(response, app_dir=None) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    message = body["error"]["message"]
    assert isinstance(message, str) and message and "\n" not in message
    assert "object at 0x" not in message and "Traceback" not in message
    if app_dir is not None:
        assert str(app_dir) not in message
    return body["error"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_request(case: Case, client, app_dir):
    response = client.request(case.method, case.path, **case.request())
    assert response.status_code == case.status, response.text[:500]
    error = check_error(response, app_dir)
    assert error["code"] == case.code and case.needle in error["message"], error
    if case.status == 405:
        assert response.headers["allow"] == "GET, POST"


def test_options_lists_every_method_of_the_path(client):
    assert client.options("/v1/voices").headers["allow"] == "GET, POST"
    assert client.options("/v1/voices/x").headers["allow"] == "GET, DELETE"
    assert client.head("/v1/models").headers["allow"] == "GET"  # HEAD is not served: not listed


# -- saved voices on disk ---------------------------------------------------------------------------


def _pickled(path):
    np.save(path, np.array([{"evil": True}], dtype=object), allow_pickle=True)


DAMAGE = {
    "truncated-json": lambda d: (d / "v.json").write_text('{"format": "yourtts-onnx-voice", "form'),
    "pickled-npy": lambda d: _pickled(d / "v.npy"),
    "nan-npy": lambda d: np.save(d / "v.npy", np.full(512, np.nan, dtype=np.float32)),
    "int64-npy": lambda d: np.save(d / "v.npy", np.arange(512, dtype=np.int64)),
    "wrong-dim": lambda d: np.save(d / "v.npy", np.ones(7, dtype=np.float32)),
    "pickle-as-json": lambda d: (d / "v.json").write_bytes(pickle.dumps({"a": 1})),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_voice_is_a_server_fault_and_can_be_deleted(server_synth, tmp_path, damage):
    voices = tmp_path / "voices"
    voices.mkdir()
    meta = {
        "format": "yourtts-onnx-voice",
        "format_version": 1,
        "name": "v",
        "embedding": "v.npy",
        "dim": 512,
    }
    (voices / "v.json").write_text(json.dumps(meta))
    np.save(voices / "v.npy", np.ones(512, dtype=np.float32))
    DAMAGE[damage](voices)
    with client_for(make_app(server_synth, tmp_path)) as c:
        r = c.post("/v1/audio/speech", json={"input": TEXT, "voice": "v"})
        assert r.status_code == 500
        error = check_error(r, tmp_path)
        assert error["code"] == "voice_damaged" and "delete it" in error["message"]
        listed = {v["id"]: v for v in c.get("/v1/voices").json()["data"]}
        assert listed["v"]["damaged"] is True
        assert c.get("/v1/voices/v").json()["damaged"] is True
        assert c.delete("/v1/voices/v").json() == {"id": "v", "deleted": True}
        assert list(voices.iterdir()) == []
        assert c.post("/v1/audio/speech", json={"input": TEXT, "voice": "v"}).status_code == 404


def test_voices_directory_that_is_a_file(server_synth, tmp_path):
    (tmp_path / "voices").write_text("not a directory")
    with client_for(make_app(server_synth, tmp_path)) as c:
        r = c.post(
            "/v1/voices", data={"name": "Me"}, files=[("files", ("a.wav", recording(2.0), "audio/wav"))]
        )
        assert r.status_code == 500
        error = check_error(r, tmp_path)
        assert error["code"] == "voices_dir_unwritable" and "not writable" in error["message"]
        assert c.get("/v1/voices").status_code == 200
    assert (tmp_path / "voices").read_text() == "not a directory"


def test_failed_save_leaves_no_orphan(server_synth, tmp_path, monkeypatch):
    from yourtts_onnx.runtime import voice_profiles as voice_files

    real = voice_files.atomic_write_bytes

    def fail_on_json(path, data):
        if str(path).endswith(".json"):
            raise voice_files.InputError(f"cannot write '{path}': No space left on device")
        real(path, data)

    monkeypatch.setattr(voice_files, "atomic_write_bytes", fail_on_json)
    with client_for(make_app(server_synth, tmp_path)) as c:
        r = c.post(
            "/v1/voices", data={"name": "Me", "id": "me"}, files=[("files", ("a.wav", recording(2.0)))]
        )
        assert r.status_code == 500 and check_error(r, tmp_path)["code"] == "voices_dir_unwritable"
    assert list((tmp_path / "voices").iterdir()) == []


class FailingSynth:
    """The synthesizer, failing inside the model run with an error that names a server path."""

    def __init__(self, inner, error: Exception) -> None:
        self._inner = inner
        self.error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def stream(self, text, options=None, /, **kwargs):
        self._inner.stream(text, options, **kwargs)  # checks as the real one does
        error = self.error

        def chunks():
            raise error
            yield

        return chunks()


@pytest.mark.parametrize("error", ["bundle", "bug"])
def test_server_faults_name_no_path(server_synth, tmp_path, error, caplog):
    from yourtts_onnx.errors import BundleError

    secret = str(tmp_path / "secret" / "model.onnx")
    exc = (
        BundleError(f"{secret}: SHA-256 mismatch") if error == "bundle" else RuntimeError(f"boom in {secret}")
    )
    with client_for(make_app(FailingSynth(server_synth, exc), tmp_path), raise_server_exceptions=False) as c:
        r = c.post("/v1/audio/speech", json={"input": TEXT, "response_format": "wav"})
    assert r.status_code == 500
    error_body = check_error(r, tmp_path)
    assert secret not in error_body["message"] and "server log" in error_body["message"]
    assert secret in caplog.text  # the details went to the log


# -- metrics ------------------------------------------------------------------------------------------


def _series(text: str) -> set[str]:
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


@pytest.mark.parametrize("api_key", [None, "k"])
def test_random_methods_add_no_metric_series(server_synth, tmp_path, api_key):
    headers = {"X-API-Key": "k"} if api_key else {}
    rng = random.Random(7)
    with client_for(make_app(server_synth, tmp_path, api_key=api_key)) as c:
        paths = ["/v1/voices", "/nope", "/api/tts", "/metrics"]
        for path in paths:
            c.request("BREW", path)  # the one series per endpoint for unknown methods
        c.get("/metrics", headers=headers)
        before = _series(c.get("/metrics", headers=headers).text)
        for _ in range(200):
            method = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(3, 12)))
            c.request(method, rng.choice(paths))
        after = _series(c.get("/metrics", headers=headers).text)
    assert after == before, sorted(after - before)
    assert any('method="other"' in s for s in after)


# -- API keys -------------------------------------------------------------------------------------------


KEY = "clé-secrète"


@pytest.fixture(scope="module")
def keyed_server(server_synth, tmp_path_factory):
    with live_server(make_app(server_synth, tmp_path_factory.mktemp("keyed"), api_key=KEY)) as url:
        yield urlparse(url)


def _get(address, headers: list[tuple[str, bytes]]) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        conn.putrequest("GET", "/v1/models")
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([("X-API-Key", KEY.encode("utf-8"))], 200),
        ([("X-API-Key", KEY.encode("latin-1"))], 200),
        ([("Authorization", b"Bearer " + KEY.encode("utf-8"))], 200),
        ([("X-API-Key", b"\xff\xfe\xfd")], 401),
        ([("X-API-Key", "clé".encode())], 401),
        ([("Authorization", b"Bearer \xc3\x28")], 401),
        ([("Authorization", b"Basic " + KEY.encode())], 401),
        ([("X-API-Key", KEY.encode()), ("Authorization", b"Bearer wrong")], 401),
        ([], 401),
    ],
    ids=["utf8", "latin1", "bearer-utf8", "junk-bytes", "prefix", "bad-utf8", "basic", "one-wrong", "none"],
)
def test_api_key_in_any_bytes(keyed_server, headers, status):
    got, body = _get(keyed_server, headers)
    assert got == status, body
    if status == 401:
        assert set(body["error"]) == {"message", "type", "param", "code"}


# -- settings and bundles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("workers", 10**6, "workers must be an integer from 1 to 256"),
        ("threads", 10**5, "threads must be an integer from 1 to 1024"),
        ("queue_size", 10**9, "queue_size must be"),
        ("timeout", 1e308, "timeout must be greater than 0 and at most 86400"),
        ("timeout", float("nan"), "timeout must be"),
        ("max_upload_mb", 1e9, "max_upload_mb must be"),
        ("max_text_chars", 10**9, "max_text_chars must be an integer from 1 to 100000"),
        ("port", 70000, "port must be an integer from 0 to 65535"),
        ("api_key", "a\nb", "control characters"),
    ],
)
def test_settings_are_bounded(field, value, needle):
    from yourtts_onnx.errors import InputError
    from yourtts_onnx.server.settings import ServerSettings

    with pytest.raises(InputError, match=needle):
        ServerSettings(**{field: value})


def test_server_refuses_to_start_on_a_bad_bundle(tmp_path):
    import shutil

    from yourtts_onnx.errors import BundleError
    from yourtts_onnx.server import create_app
    from yourtts_onnx.server.settings import ServerSettings

    bundle = tmp_path / "bundle"
    shutil.copytree(STUB_BUNDLE, bundle)
    config = json.loads((bundle / "config.json").read_text())
    config["audio"]["sample_rate"] = 0
    (bundle / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match=r"'audio\.sample_rate' must be from 1000"):
        create_app(ServerSettings(bundle=bundle, voices_dir=tmp_path / "voices"))


# -- Coqui: one rule for the voice ----------------------------------------------------------------------


def test_coqui_voice_precedence(server_synth, tmp_path):
    """Uploaded speaker_wav recordings, else a speaker_wav saved voice id, else speaker_id."""
    recorder = RecordingSynth(server_synth)
    a, b = recording(2.0, seed=1), recording(2.5, seed=2)
    with client_for(make_app(recorder, tmp_path)) as c:
        saved = c.post("/v1/voices", data={"name": "S", "id": "saved"}, files=[("files", ("s.wav", a))])
        assert saved.status_code == 201
        assert (
            c.get(
                "/api/tts", params={"text": TEXT, "speaker_id": "random-fr-1", "speaker_wav": "saved"}
            ).status_code
            == 200
        )
        upload = {"speaker_wav": ("b.wav", b)}
        assert (
            c.post("/api/tts", data={"text": TEXT, "speaker_id": "random-fr-1"}, files=upload).status_code
            == 200
        )
        two = [("speaker_wav", ("a.wav", a)), ("speaker_wav", ("b.wav", b))]
        assert c.post("/api/tts", data={"text": TEXT}, files=two).status_code == 200
    from yourtts_onnx.runtime.voice_profiles import load_profile

    by_id, by_upload, by_two = (call.embedding for call in recorder.calls)
    assert np.array_equal(by_id, load_profile("saved", tmp_path / "voices").embedding)  # speaker_wav won
    assert np.allclose(by_upload, server_synth.voices.clone([b]).embedding, atol=1e-6)  # the upload won
    assert np.allclose(by_two, server_synth.voices.clone([a, b]).embedding, atol=1e-6)  # both averaged
    assert not np.allclose(by_two, by_upload, atol=1e-3)
