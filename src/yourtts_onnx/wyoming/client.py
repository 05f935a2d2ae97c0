"""A small Wyoming TTS client that talks as Home Assistant's Wyoming integration does, and times the answer.

* :func:`describe`: ``describe`` → ``info``;
* :func:`synthesize`: one ``synthesize`` → audio until ``audio-stop`` (or an ``error``);
* :func:`synthesize_streaming`: ``synthesize-start``, text chunks, the whole text again as ``synthesize``
  (Home Assistant sends it for servers without streaming), ``synthesize-stop`` — written by one task while
  another reads the audio until ``synthesize-stopped``, as Home Assistant does.

It works against any Wyoming TTS server (the tests and ``scripts/wyoming_latency.py`` run it against this
project's server and wyoming-piper alike). Times are ``time.perf_counter()`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeVoice,
)

from yourtts_onnx.wyoming.frames import CLIENT_LIMITS, FrameError, read_event

DEFAULT_TIMEOUT = 60.0


class ServerClosedError(ConnectionError):
    """The server closed the connection before the answer was complete."""


@dataclass
class Reply:
    """What came back for one request.

    ``formats``: ``(rate, width, channels)`` of each ``audio-start``; ``chunks``: ``(arrival time, bytes)``
    of each ``audio-chunk``; ``errors``: the ``error`` events; ``types``: every event type, in order.
    ``sent``: when the request (the first event) was written; ``stop_sent``: when ``synthesize-stop`` was
    written (streaming); ``text_sent``: when each text chunk was written (streaming).
    """

    sent: float = 0.0
    formats: list[tuple[int, int, int]] = field(default_factory=list)
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    text_sent: list[float] = field(default_factory=list)
    stop_sent: float | None = None
    done: float = 0.0

    @property
    def audio(self) -> bytes:
        return b"".join(data for _, data in self.chunks)

    @property
    def first_audio(self) -> float | None:
        """Arrival time of the first audio chunk."""
        return self.chunks[0][0] if self.chunks else None

    @property
    def rate(self) -> int | None:
        return self.formats[0][0] if self.formats else None


async def describe(host: str, port: int, *, timeout: float = DEFAULT_TIMEOUT) -> Info:
    async with AsyncTcpClient(host, port, read_timeout=timeout) as client:
        await client.write_event(Describe().event())
        while True:
            event = await _read(client)
            if Info.is_type(event.type):
                return Info.from_event(event)


async def synthesize(
    host: str, port: int, text: str, voice: SynthesizeVoice | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> Reply:
    """One ``synthesize``; reads until ``audio-stop`` or an ``error``."""
    result = Reply()
    async with AsyncTcpClient(host, port, read_timeout=timeout) as client:
        result.sent = time.perf_counter()
        await client.write_event(Synthesize(text=text, voice=voice).event())
        while True:
            event = await _read(client)
            _record(result, event)
            if AudioStop.is_type(event.type) or Error.is_type(event.type):
                break
    result.done = time.perf_counter()
    return result


async def synthesize_streaming(
    host: str,
    port: int,
    chunks: Sequence[str],
    voice: SynthesizeVoice | None = None,
    *,
    chunk_delay: float = 0.0,
    hold_stop_for_audio: float | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Reply:
    """Stream ``chunks`` of text (``chunk_delay`` seconds apart) and read the audio until ``synthesize-stopped``.

    ``hold_stop_for_audio``: wait up to this many seconds for the first audio before sending the whole
    text and ``synthesize-stop`` (how a test shows that audio starts before the text has ended).
    """
    result = Reply()
    first_audio = asyncio.Event()
    async with AsyncTcpClient(host, port, read_timeout=timeout) as client:

        async def write() -> None:
            result.sent = time.perf_counter()
            await client.write_event(SynthesizeStart(voice=voice).event())
            for i, chunk in enumerate(chunks):
                if i and chunk_delay:
                    await asyncio.sleep(chunk_delay)
                await client.write_event(SynthesizeChunk(text=chunk).event())
                result.text_sent.append(time.perf_counter())
            if hold_stop_for_audio is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(first_audio.wait(), hold_stop_for_audio)
            await client.write_event(Synthesize(text="".join(chunks), voice=voice).event())
            result.stop_sent = time.perf_counter()
            await client.write_event(SynthesizeStop().event())

        writer = asyncio.ensure_future(write())
        try:
            while True:
                event = await _read(client)
                _record(result, event)
                if AudioChunk.is_type(event.type):
                    first_audio.set()
                if SynthesizeStopped.is_type(event.type):
                    break
            await writer
        finally:
            writer.cancel()
    result.done = time.perf_counter()
    return result


async def _read(client: AsyncTcpClient) -> Event:
    """The next event, read with bounds (a server's declared lengths are checked before reading) and the
    client's read timeout."""
    reader = client._reader  # the wyoming library's own reader trusts declared lengths
    if reader is None:
        raise ServerClosedError("not connected")
    try:
        event = await asyncio.wait_for(read_event(reader, CLIENT_LIMITS), client.read_timeout)
    except FrameError as exc:
        raise ServerClosedError(f"the server sent a malformed frame ({exc})") from None
    if event is None:
        raise ServerClosedError("the server closed the connection")
    return event


def _record(result: Reply, event: Event) -> None:
    now = time.perf_counter()
    result.types.append(event.type)
    if AudioStart.is_type(event.type):
        start = AudioStart.from_event(event)
        result.formats.append((start.rate, start.width, start.channels))
    elif AudioChunk.is_type(event.type):
        result.chunks.append((now, AudioChunk.from_event(event).audio))
    elif Error.is_type(event.type):
        result.errors.append(Error.from_event(event))
