"""Network readers of the HTTP service have bounds and timeouts too (as the Wyoming server's do,
tests/test_wyoming_hostile.py): a request body that trickles is answered 408 after ``--body-timeout``, and
past ``--max-connections`` a request gets 503 — real uvicorn on loopback, raw sockets."""

from __future__ import annotations

import socket
import time

import pytest

from server_support import live_server, make_app

pytest_plugins = ["server_fixtures"]


def _raw(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=20)


def _response(s: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_trickling_body_is_answered_408(server_synth, tmp_path):
    app = make_app(server_synth, tmp_path, body_timeout=0.5)
    with live_server(app) as url, _raw(url) as s:
        s.sendall(
            b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n" + b'{"input": "Hi'
        )
        start = time.monotonic()
        head = _response(s)
        assert head.startswith(b"HTTP/1.1 408"), head[:200]
        assert time.monotonic() - start < 15


def test_a_whole_body_in_pieces_within_the_timeout_is_served(server_synth, tmp_path):
    """Control: pauses shorter than the body timeout are fine."""
    app = make_app(server_synth, tmp_path, body_timeout=2.0)
    body = b'{"model": "tts-1", "input": "Hi there.", "voice": "alloy", "response_format": "wav"}'
    with live_server(app) as url, _raw(url) as s:
        s.sendall(
            b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10]
        )
        time.sleep(0.3)
        s.sendall(body[10:])
        assert _response(s).startswith(b"HTTP/1.1 200")


def test_past_max_connections_a_request_gets_503(server_synth, tmp_path):
    app = make_app(server_synth, tmp_path, max_connections=2)
    with live_server(app, **app.state.settings.uvicorn_options()) as url:
        idle = [_raw(url) for _ in range(2)]
        time.sleep(0.2)
        with _raw(url) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _response(s).startswith(b"HTTP/1.1 503")
        for c in idle:
            c.close()


def test_serve_options_reach_uvicorn(tmp_path):
    from yourtts_onnx.cli import parse_args
    from yourtts_onnx.commands.serve import settings_from_args

    args = parse_args(["serve", "--bundle", "b", "--max-connections", "7", "--body-timeout", "3"])
    settings = settings_from_args(args)
    assert settings.uvicorn_options() == {"limit_concurrency": 7, "timeout_keep_alive": 5.0}
    assert settings.body_timeout == 3.0
    with pytest.raises(Exception, match="max_connections"):
        settings_from_args(parse_args(["serve", "--bundle", "b", "--max-connections", "0"]))
