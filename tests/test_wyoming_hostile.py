"""Hostile and unlucky clients of the Wyoming server, over real loopback sockets: declared lengths bounded
before reading, malformed frames answered and logged in one line, idle connections closed, a connection cap,
TCP keepalive, half-closed and resetting clients, long names not echoed, ``--close-on-error`` with
pipelined requests."""

from __future__ import annotations

import json
import logging
import socket
import struct
import time

import pytest

pytest.importorskip("wyoming", reason="the Wyoming server needs the 'wyoming' extra")

from conftest import STUB_BUNDLE
from server_support import SlowSynth
from wyoming_support import HOST, expected_pcm, running_server

TIMEOUT = 20.0


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    from yourtts_onnx.runtime import Synthesizer

    return Synthesizer.from_bundle(STUB_BUNDLE, threads=1, voices_dir=tmp_path_factory.mktemp("voices"))


def frame(kind: str, data: dict | None = None, **header) -> bytes:
    body = json.dumps(data).encode() if data else b""
    head = {"type": kind, **({"data_length": len(body)} if body else {}), **header}
    return json.dumps(head).encode() + b"\n" + body


def connect(port: int) -> socket.socket:
    s = socket.create_connection((HOST, port), timeout=TIMEOUT)
    return s


def read_events(s: socket.socket) -> list[tuple[dict, bytes]]:
    """Every event until the server closes the connection: (header with data merged, payload)."""
    buf = b""
    while chunk := s.recv(1 << 16):
        buf += chunk
    events = []
    while buf:
        line, buf = buf.split(b"\n", 1)
        head = json.loads(line)
        data = head.get("data") or {}
        n = head.get("data_length") or 0
        if n:
            data.update(json.loads(buf[:n]))
            buf = buf[n:]
        p = head.get("payload_length") or 0
        payload, buf = buf[:p], buf[p:]
        events.append(({**head, "data": data}, payload))
    return events


def types(events) -> list[str]:
    return [h["type"] for h, _ in events]


def one_error(events) -> dict:
    errors = [h["data"] for h, _ in events if h["type"] == "error"]
    assert len(errors) == 1, types(events)
    return errors[0]


def log_lines(caplog, needle: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if needle in r.getMessage()]


@pytest.mark.parametrize(
    "header, needle",
    [
        ({"type": "synthesize", "data_length": 1 << 40}, "data_length 1099511627776 is over the limit"),
        (
            {"type": "audio-chunk", "payload_length": 1 << 40},
            "payload_length 1099511627776 is over the limit",
        ),
        ({"type": "synthesize", "data_length": "12"}, "data_length must be a non-negative integer"),
        ({"type": "synthesize", "data_length": -5}, "data_length must be a non-negative integer"),
        ({"data": {}}, "no string 'type'"),
        ({"type": "synthesize", "data": [1]}, "'data' is not an object"),
    ],
)
def test_declared_lengths_and_bad_headers_are_refused_before_reading(synth, caplog, header, needle):
    with running_server(synth) as server, connect(server.port) as s:
        s.sendall(json.dumps(header).encode() + b"\n")
        s.sendall(
            b"A" * (256 << 10)
        )  # the start of a huge body: never kept (dropped while the server closes)
        events = read_events(s)  # the server answers and closes without waiting for the body
    error = one_error(events)
    assert error["code"] == "invalid_request" and needle in error["text"]
    (record,) = log_lines(caplog, "malformed frame")
    assert record.exc_info is None and "\n" not in record.getMessage()


@pytest.mark.parametrize(
    "raw, needle",
    [
        (b"{not json\n", "not JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b"\xff\xfe\n", "not JSON"),
        (b"x" * (100 << 10), "longer than 65536 bytes"),
    ],
    ids=["json", "array", "binary", "long-line"],
)
def test_malformed_frames_get_one_error_and_one_log_line(synth, caplog, raw, needle):
    with running_server(synth) as server, connect(server.port) as s:
        s.sendall(raw)
        events = read_events(s)
    assert needle in one_error(events)["text"]
    records = log_lines(caplog, "malformed frame")
    assert len(records) == 1 and records[0].exc_info is None


def test_data_that_is_not_an_object_is_refused(synth):
    with running_server(synth) as server, connect(server.port) as s:
        s.sendall(b'{"type": "synthesize", "data_length": 3}\n[1]')
        assert "event data is not a JSON object" in one_error(read_events(s))["text"]


def test_a_request_with_the_longest_text_still_fits_the_data_limit(synth):
    """The negative control of the data bound: a long (escaped) text within --max-text-chars is read."""
    text = "é" * 1000 + "."
    with running_server(synth, max_text_chars=len(text)) as server, connect(server.port) as s:
        body = json.dumps({"text": text}, ensure_ascii=True).encode()
        s.sendall(json.dumps({"type": "synthesize", "data_length": len(body)}).encode() + b"\n" + body)
        s.shutdown(socket.SHUT_WR)
        events = read_events(s)
    assert "audio-start" in types(events) and types(events)[-1] == "audio-stop"


def test_idle_connections_are_closed_but_a_slow_synthesis_is_not(synth, caplog):
    caplog.set_level(logging.INFO, logger="yourtts_onnx.wyoming.handler")
    slow = SlowSynth(synth, delay=0.4)
    with running_server(slow, idle_timeout=0.3) as server:
        with connect(server.port) as s:
            assert s.recv(10) == b""  # closed by the server (state, not time: the log says why)
        assert log_lines(caplog, "idle for 0.3 s")
        # a request whose audio takes longer than the idle timeout is answered in full
        with connect(server.port) as s:
            s.sendall(frame("synthesize", {"text": "One. Two. Three."}))
            s.sendall(frame("describe"))
            time.sleep(1.5)  # silent while audio is made; the connection is kept
            s.shutdown(socket.SHUT_WR)
            events = read_events(s)
        assert types(events) == ["info", "audio-start", *["audio-chunk"] * (len(events) - 3), "audio-stop"]
        assert b"".join(p for h, p in events if h["type"] == "audio-chunk") == expected_pcm(
            synth, "One. Two. Three."
        )


def test_a_slow_frame_body_is_closed_by_the_idle_timeout(synth):
    with running_server(synth, idle_timeout=0.3) as server, connect(server.port) as s:
        s.sendall(b'{"type": "synthesize", "data_length": 100}\n{"text"')
        assert "did not arrive within 0.3 s" in one_error(read_events(s))["text"]


def test_the_connection_cap_refuses_politely_and_frees_slots(synth):
    with running_server(synth, max_connections=3) as server:
        held: list[socket.socket] = []
        deadline = time.monotonic() + TIMEOUT
        while len(held) < 3 and time.monotonic() < deadline:  # each served (so counted) before the next
            s = connect(server.port)
            s.sendall(frame("describe"))
            if b'"info"' in s.recv(1 << 16):
                held.append(s)
            else:  # refused while the start-up probe of running_server was still counted
                s.close()
                time.sleep(0.05)
        with connect(server.port) as extra:
            error = one_error(read_events(extra))
        assert error["code"] == "server_busy" and "3 connections" in error["text"]
        held.pop().close()
        deadline = time.monotonic() + TIMEOUT
        while True:  # the slot is freed once the server has seen the close
            with connect(server.port) as s:
                s.sendall(frame("synthesize", {"text": "Hi there."}))
                s.shutdown(socket.SHUT_WR)
                events = read_events(s)
            if "audio-stop" in types(events) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert b"".join(p for h, p in events if h["type"] == "audio-chunk") == expected_pcm(
            synth, "Hi there."
        )
        for s in held:
            s.close()


def _timer(local_port: int, remote_port: int) -> int:
    """The timer of a TCP connection in /proc/net/tcp (2: keepalive)."""
    with open("/proc/net/tcp") as fh:
        table = fh.read().splitlines()[1:]
    for line in table:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == local_port and int(remote.split(":")[1], 16) == remote_port:
            return int(fields[5].split(":")[0], 16)
    raise AssertionError("connection not found")


def test_accepted_connections_have_tcp_keepalive(synth):
    with running_server(synth) as server, connect(server.port) as s:
        s.sendall(frame("describe"))
        assert s.recv(1 << 16)
        assert _timer(server.port, s.getsockname()[1]) == 2  # the server's side runs a keepalive timer
        assert _timer(s.getsockname()[1], server.port) == 0  # the client's side does not (control)


def test_a_half_closed_client_gets_its_audio(synth):
    with running_server(synth) as server, connect(server.port) as s:
        s.sendall(frame("synthesize", {"text": "Hi there."}))
        s.shutdown(socket.SHUT_WR)
        events = read_events(s)
    assert types(events)[0] == "audio-start" and types(events)[-1] == "audio-stop"
    assert b"".join(p for h, p in events if h["type"] == "audio-chunk") == expected_pcm(synth, "Hi there.")


def test_a_client_reset_is_one_log_line_not_a_synthesis_failure(synth, caplog):
    caplog.set_level(logging.INFO, logger="yourtts_onnx.wyoming.handler")
    text = " ".join(f"This is sentence number {i}." for i in range(20))
    slow = SlowSynth(synth, delay=0.05)
    with running_server(slow) as server:
        s = connect(server.port)
        s.sendall(frame("synthesize", {"text": text}))
        assert s.recv(1 << 12)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
        deadline = time.monotonic() + TIMEOUT
        while not log_lines(caplog, "closed the connection") and time.monotonic() < deadline:
            time.sleep(0.05)
    assert log_lines(caplog, "closed the connection")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_long_voice_names_are_not_echoed_and_non_string_text_is_named(synth):
    cases = [
        ({"text": "Hi.", "voice": {"name": "x" * 20_000}}, "unknown_voice", "20000 characters"),
        ({"text": "Hi.", "voice": {"language": "y" * 20_000}}, "unknown_language", "20000 characters"),
        ({"text": "Hi.", "voice": {"name": 5}}, "invalid_request", "name must be a string, got a number"),
        ({"text": 5}, "invalid_request", "text must be a string, got a number"),
        ({"text": ["a"]}, "invalid_request", "text must be a string, got an array"),
        ({}, "empty_text", "no text"),
    ]
    with running_server(synth) as server:
        for data, code, needle in cases:
            with connect(server.port) as s:
                s.sendall(frame("synthesize", data))
                s.shutdown(socket.SHUT_WR)
                error = one_error(read_events(s))
            assert error["code"] == code and needle in error["text"], error
            assert len(error["text"]) < 200


def test_close_on_error_starts_no_pipelined_request(synth):
    slow = SlowSynth(synth)
    with running_server(slow, close_on_error=True) as server, connect(server.port) as s:
        s.sendall(
            frame("synthesize", {"text": "Hi.", "voice": {"name": "nobody"}})
            + frame("synthesize", {"text": "Pipelined after a failed request."})
        )
        events = read_events(s)
        assert types(events) == ["error"]
        time.sleep(0.3)
        assert slow.texts == []  # the second request was never started
