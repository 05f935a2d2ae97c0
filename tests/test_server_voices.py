"""Voices over HTTP: clone, list, get, use, delete; persistence across restarts; bad uploads and ids."""

from __future__ import annotations

import numpy as np
import pytest

from server_support import TEXT, client_for, error_message, make_app, recording

pytest_plugins = ["server_fixtures"]

pytest.importorskip("fastapi")


@pytest.fixture
def voices_app(server_synth, tmp_path):
    return make_app(server_synth, tmp_path, max_upload_mb=0.25)


@pytest.fixture
def client(voices_app):
    with client_for(voices_app) as c:
        yield c


def create(client, name="My Voice", files=None, voice_id=None):
    files = files if files is not None else [("files", ("a.wav", recording(2.0), "audio/wav"))]
    data = {"name": name} if voice_id is None else {"name": name, "id": voice_id}
    return client.post("/v1/voices", data=data, files=files)


def test_builtin_voices_listed(client, server_synth):
    data = [v for v in client.get("/v1/voices").json()["data"] if v["alias_of"] is None]
    assert [v["id"] for v in data] == server_synth.speakers
    assert all(v["builtin"] for v in data)
    assert client.get("/v1/voices/random-fr-1").json() == {
        "id": "random-fr-1",
        "name": "random-fr-1",
        "builtin": True,
        "created": None,
        "sources": [],
        "alias_of": None,
        "damaged": False,
    }


def test_clone_use_delete(client, tmp_path):
    r = create(client, "Ana María")
    assert r.status_code == 201, r.text
    voice = r.json()
    assert voice["id"] == "ana-maria" and voice["name"] == "Ana María" and voice["builtin"] is False
    assert voice["created"] and voice["sources"][0]["duration"] == pytest.approx(2.0, abs=1e-3)
    assert "ana-maria" in [v["id"] for v in client.get("/v1/voices").json()["data"]]
    assert client.get("/v1/voices/ana-maria").json()["name"] == "Ana María"

    r = client.post("/v1/audio/speech", json={"input": TEXT, "voice": "ana-maria", "response_format": "wav"})
    assert r.status_code == 200
    assert client.get("/api/tts", params={"text": TEXT, "speaker_id": "ana-maria"}).status_code == 200
    assert client.get("/api/tts", params={"text": TEXT, "speaker_wav": "ana-maria"}).status_code == 200

    # the same name again gets a fresh id
    again = create(client, "Ana María").json()["id"]
    assert again.startswith("ana-maria-") and again != "ana-maria"

    assert client.delete("/v1/voices/ana-maria").json() == {"id": "ana-maria", "deleted": True}
    assert client.get("/v1/voices/ana-maria").status_code == 404
    assert client.delete("/v1/voices/ana-maria").status_code == 404
    r = client.post("/v1/audio/speech", json={"input": TEXT, "voice": "ana-maria"})
    assert r.status_code == 404 and "unknown voice 'ana-maria'" in error_message(r)
    leftovers = [
        p.name for p in (tmp_path / "voices").rglob("*") if "ana-maria." in p.name or p.suffix == ".tmp"
    ]
    assert leftovers == []


def test_voice_files_are_runtime_profiles(client, server_synth, tmp_path):
    """A voice saved by the server is a normal voice profile: the CLI and library can use it by name."""
    from yourtts_onnx.runtime.voice_profiles import load_profile

    create(client, "Shared", voice_id="shared")
    profile = load_profile("shared", tmp_path / "voices")
    assert profile.embedding.shape == (server_synth.config.embedding_dim,)
    assert np.all(np.isfinite(profile.embedding)) and profile.recipe


def test_restart_keeps_voices(server_synth, tmp_path):
    with client_for(make_app(server_synth, tmp_path)) as first:
        created = create(first, "Persistent", voice_id="keep-me").json()
    with client_for(make_app(server_synth, tmp_path)) as second:
        voice = second.get("/v1/voices/keep-me").json()
        assert voice == created
        r = second.post(
            "/v1/audio/speech", json={"input": TEXT, "voice": "keep-me", "response_format": "wav"}
        )
        assert r.status_code == 200


def test_several_recordings(client):
    files = [
        ("files", ("a.wav", recording(1.5, seed=1), "audio/wav")),
        ("files", ("b.flac", recording(2.5, rate=16000, fmt="FLAC", seed=2), "audio/flac")),
        ("file", ("c.ogg", recording(1.0, rate=48000, fmt="OGG", seed=3), "audio/ogg")),
    ]
    r = create(client, "Three clips", files=files)
    assert r.status_code == 201, r.text
    assert [s["sample_rate"] for s in r.json()["sources"]] == [22050, 16000, 48000]


def test_builtin_cannot_be_deleted_or_shadowed(client):
    r = client.delete("/v1/voices/random-en-1")
    assert r.status_code == 403 and "built-in" in error_message(r)
    r = create(client, "x", voice_id="random-en-1")
    assert r.status_code == 409


def test_duplicate_id_conflicts(client):
    assert create(client, "One", voice_id="dup").status_code == 201
    r = create(client, "Two", voice_id="dup")
    assert r.status_code == 409 and "already exists" in error_message(r)


@pytest.mark.parametrize("bad_id", ["../evil", "UPPER", ".hidden", "a/b", "x" * 65, "-lead", "dot.ted"])
def test_invalid_ids_refused(client, bad_id, tmp_path):
    r = create(client, "Bad", voice_id=bad_id)
    assert r.status_code == 422 and "invalid voice id" in error_message(r)
    assert not any(p.suffix == ".npy" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("path", ["..", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "nope", ".server"])
def test_lookups_cannot_escape(client, path):
    r = client.get(f"/v1/voices/{path}")
    assert r.status_code == 404
    assert client.delete(f"/v1/voices/{path}").status_code == 404


def test_unknown_voice_lists_what_exists(client):
    create(client, "Listed", voice_id="listed")
    r = client.get("/v1/voices/missing")
    assert r.status_code == 404
    message = error_message(r)
    assert "random-en-1" in message and "listed" in message


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ([], "no reference recording"),
        ([("files", ("x.wav", b"definitely not audio" * 50, "audio/wav"))], "not a readable audio file"),
        ([("files", ("short.wav", recording(0.2), "audio/wav"))], "too short"),
        ([("files", ("empty.wav", b"", "audio/wav"))], "empty"),
    ],
)
def test_bad_recordings(client, files, needle, tmp_path):
    r = create(client, "Bad audio", files=files)
    assert r.status_code == 422, r.text
    assert needle in error_message(r)
    assert client.get("/v1/voices/bad-audio").status_code == 404


def test_silent_recording(client):
    import io

    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.zeros(32000, dtype=np.float32), 16000, format="WAV")
    r = create(client, "Silence", files=[("files", ("s.wav", buf.getvalue(), "audio/wav"))])
    assert r.status_code == 422 and "silent" in error_message(r)


def test_missing_name(client):
    r = client.post("/v1/voices", files=[("files", ("a.wav", recording(1.0), "audio/wav"))])
    assert r.status_code == 422 and "name" in error_message(r)
    r = create(client, "   ")
    assert r.status_code == 422


def test_upload_too_large(client):
    big = recording(10.0, rate=22050)  # ~440 kB > 0.25 MB
    r = create(client, "Big", files=[("files", ("big.wav", big, "audio/wav"))])
    assert r.status_code == 413 and "upload limit of 0.25 MB" in error_message(r)


def test_upload_too_large_chunked(client):
    """No Content-Length: the body is counted as it arrives."""
    boundary = "xyzBOUNDARY"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nChunky\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()

    def body():
        yield head
        for _ in range(40):
            yield b"\0" * 16384
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post(
        "/v1/voices", content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert r.status_code == 413
    error_message(r)


def test_upload_to_coqui_too_large(client):
    r = client.post("/api/tts", data={"text": TEXT}, files={"speaker_wav": ("big.wav", recording(10.0))})
    assert r.status_code == 413
