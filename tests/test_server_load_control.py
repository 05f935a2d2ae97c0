"""Behaviour under load: bounded queue (503), deadlines (504), cancellation when clients leave."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest

from server_support import TEXT, SlowSynth, error_message, live_server, make_app, step_until, wait_until

pytest_plugins = ["server_fixtures"]

pytest.importorskip("fastapi")

SPEECH = {"input": TEXT, "response_format": "wav"}


async def until(condition, timeout: float = 10.0) -> None:
    """Wait on the event loop until ``condition()`` holds (a state, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


# -- the job runner on its own ---------------------------------------------------------------------


def test_runner_admission_and_cancel_before_start():
    from yourtts_onnx.serving.jobs import JobRunner, QueueFullError

    async def scenario():
        runner = JobRunner(workers=1, queue_size=1, poll_seconds=0.01)
        gate = threading.Event()
        ran: list[str] = []

        def job(name):
            def work(token):
                ran.append(name)
                gate.wait(5)
                token.check()
                return name

            return work

        first = asyncio.create_task(runner.run(job("first"), timeout=5))
        await until(lambda: runner.running == 1)
        gone = False

        async def disconnected():
            return gone

        second = asyncio.create_task(runner.run(job("second"), timeout=5, disconnected=disconnected))
        await until(lambda: runner.queued == 1)
        with pytest.raises(QueueFullError):
            await runner.run(job("third"), timeout=5)
        gone = True  # the queued request's client leaves
        with pytest.raises(Exception, match="client disconnected"):
            await second
        assert runner.queued == 0
        gate.set()
        assert await first == "first"
        await until(lambda: runner.running == 0 and runner.queued == 0)
        assert ran == ["first"]  # the cancelled job never started, and nothing is left that could run it
        c = runner.counters
        assert (c.completed, c.rejected, c.cancelled) == (1, 1, 1)
        runner.shutdown()

    asyncio.run(scenario())


def test_runner_stream_and_deadline():
    from yourtts_onnx.serving.jobs import JobRunner, JobTimeoutError

    async def scenario():
        runner = JobRunner(workers=1, queue_size=0, poll_seconds=0.01)
        release = threading.Event()
        attempts: list[int] = []

        def produce(token, emit):
            for i in range(1000):
                if i == 3:
                    release.wait(10)  # stalls until the consumer's deadline has passed
                attempts.append(i)
                emit(i)

        stream = runner.start_stream(produce)
        deadline = time.monotonic() + 0.2
        got = []
        with pytest.raises(JobTimeoutError):
            while (item := await stream.next(deadline)) is not None:
                got.append(item)
        assert got == [0, 1, 2]
        release.set()
        await until(lambda: runner.running == 0)
        assert attempts == [0, 1, 2, 3]  # the producer stopped at its next emit
        assert runner.counters.timed_out == 1
        runner.shutdown()

    asyncio.run(scenario())


# -- over HTTP, in-process -------------------------------------------------------------------------


def test_queue_full_is_503_with_retry_after(server_synth, tmp_path):
    gate = threading.Event()
    slow = SlowSynth(server_synth, gate=gate)
    app = make_app(slow, tmp_path, workers=1, queue_size=1)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
            running = asyncio.create_task(client.post("/v1/audio/speech", json=SPEECH))
            await asyncio.to_thread(slow.started.wait, 10)
            queued = asyncio.create_task(client.post("/v1/audio/speech", json=SPEECH))
            await until(lambda: app.state.service.runner.queued == 1)
            refused = await client.post("/v1/audio/speech", json=SPEECH)
            health = await client.get("/health")
            gate.set()
            return await running, await queued, refused, health

    running, queued, refused, health = asyncio.run(scenario())
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert "busy" in error_message(refused)
    assert health.json()["running"] == 1 and health.json()["queued"] == 1
    assert running.status_code == 200 and queued.status_code == 200


def test_bad_input_refused_even_when_busy(server_synth, tmp_path):
    gate = threading.Event()
    slow = SlowSynth(server_synth, gate=gate)
    app = make_app(slow, tmp_path, workers=1, queue_size=0)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
            running = asyncio.create_task(client.post("/v1/audio/speech", json=SPEECH))
            await asyncio.to_thread(slow.started.wait, 10)
            bad = await client.post("/v1/audio/speech", json={"input": TEXT, "voice": "nobody"})
            gate.set()
            await running
            return bad

    assert asyncio.run(scenario()).status_code == 404  # unknown voice


def test_timeout_is_504_and_frees_the_worker(server_synth, tmp_path):
    gate = threading.Event()
    slow = SlowSynth(server_synth, gate=gate)
    app = make_app(slow, tmp_path, workers=1, queue_size=0, timeout=0.3)
    service = app.state.service

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
            late = await client.post("/v1/audio/speech", json={**SPEECH, "input": "One. Two. Three. Four."})
            # the reply came while the job still held the worker, stuck at the closed gate before its first
            # sentence: the deadline answered without waiting for the work
            at_reply = (service.runner.running, slow.sentences, gate.is_set())
            gate.set()
            await asyncio.to_thread(wait_until, lambda: service.runner.running == 0)
            made = slow.sentences
            after = await client.post("/v1/audio/speech", json=SPEECH)
            streamed = await client.post("/v1/audio/speech", json={**SPEECH, "stream": True})
            return late, at_reply, made, after, streamed

    late, at_reply, made, after, streamed = asyncio.run(scenario())
    assert late.status_code == 504 and "longer than 0.3 s" in error_message(late)
    assert at_reply == (1, 0, False)
    assert made <= 2  # stopped at the first check after the deadline, not all four sentences
    assert service.runner.counters.timed_out == 1
    assert after.status_code == 200 and streamed.status_code == 200


# -- over real sockets: clients that disconnect ---------------------------------------------------


def _send_raw(url: str, path: str, body: bytes) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


def test_queued_job_of_a_departed_client_never_runs(server_synth, tmp_path):
    gate = threading.Event()
    slow = SlowSynth(server_synth, gate=gate)
    app = make_app(slow, tmp_path, workers=1, queue_size=4)
    runner = app.state.service.runner
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        result: dict[str, httpx.Response] = {}
        first = threading.Thread(target=lambda: result.update(r=client.post("/v1/audio/speech", json=SPEECH)))
        first.start()
        assert slow.started.wait(10)
        sock = _send_raw(
            url, "/v1/audio/speech", b'{"input": "Queued and abandoned.", "response_format": "wav"}'
        )
        wait_until(lambda: runner.queued == 1)
        sock.close()
        wait_until(lambda: runner.queued == 0 and runner.counters.cancelled == 1)
        gate.set()
        first.join(10)
        assert result["r"].status_code == 200
        wait_until(lambda: runner.running == 0 and runner.queued == 0)
        assert slow.texts == [TEXT]  # idle with an empty queue: the abandoned job can no longer run
        metrics = client.get("/metrics").text
        assert 'yourtts_jobs_total{outcome="cancelled"} 1' in metrics
        assert 'status="499"' in metrics


def test_stream_stops_when_client_disconnects(server_synth, tmp_path):
    slow = SlowSynth(server_synth, steps=threading.Semaphore(1))  # lockstep: one sentence, then one per step
    app = make_app(slow, tmp_path, workers=1, queue_size=0)
    runner = app.state.service.runner
    text = " ".join(f"Sentence number {i}." for i in range(40))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        with client.stream(
            "POST", "/v1/audio/speech", json={"input": text, "stream": True, "response_format": "pcm"}
        ) as r:
            assert r.status_code == 200
            next(r.iter_raw())  # the first sentence arrived; now leave
        made = step_until(slow, lambda: runner.counters.cancelled == 1, limit=38)
        wait_until(lambda: runner.running == 0, timeout=10)
        # noticed within a few sentences, and the job stopped in the one it was making: no more can come
        assert slow.sentences <= made + 1 < 40, (made, slow.sentences)
        assert runner.counters.cancelled == 1
        # the worker is free again
        assert client.post("/v1/audio/speech", json=SPEECH).status_code == 200


def test_running_job_stops_when_client_disconnects(server_synth, tmp_path):
    slow = SlowSynth(server_synth, steps=threading.Semaphore(0))  # lockstep: a sentence per step
    app = make_app(slow, tmp_path, workers=1, queue_size=0)
    runner = app.state.service.runner
    text = " ".join(f"Sentence number {i}." for i in range(40))
    with live_server(app) as url:
        sock = _send_raw(url, "/v1/audio/speech", f'{{"input": "{text}", "response_format": "wav"}}'.encode())
        assert slow.started.wait(10)
        sock.close()
        made = step_until(slow, lambda: runner.counters.cancelled == 1, limit=38)
        wait_until(lambda: runner.running == 0, timeout=10)
        assert slow.sentences <= made + 1 < 40, (made, slow.sentences)
        assert runner.counters.cancelled == 1 and runner.counters.completed == 0
