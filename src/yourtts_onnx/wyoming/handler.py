"""One Wyoming connection: its events in, its audio out.

Requests are checked on the event loop as they arrive (voice, language, text); what they ask to say goes,
in order, into the connection's outbox, and one sender task per connection runs each item on the shared
worker pool (:class:`~yourtts_onnx.serving.jobs.JobRunner`) and writes its audio as the chunks come. The
event loop never runs a model, so other clients (and this client's next ``synthesize-chunk``) are served
while audio is made. When the client goes, the sender is cancelled and so is its job, at the next chunk.

Events:

* ``describe`` → ``info`` at once (voices read anew each time);
* ``synthesize`` → ``audio-start``, ``audio-chunk``\\ s as the engine makes them, ``audio-stop``;
* ``synthesize-start``, ``synthesize-chunk``\\ s, (``synthesize``, ignored: sent for older servers),
  ``synthesize-stop`` → for each sentence as soon as it is complete: ``audio-start``, chunks, ``audio-stop``;
  then ``synthesize-stopped``;
* a request that cannot be served → one ``error`` event (``text`` says why, ``code`` what kind) in its
  place; the connection stays open. In a text stream the rest of the stream is then dropped, and
  ``synthesize-stopped`` still ends it.

Frames are read with bounds (:mod:`yourtts_onnx.wyoming.frames`): a malformed or oversized frame gets one
``error`` event and the connection is closed, with one line in the log. A connection that sends nothing for
``idle_timeout`` seconds while nothing is being said for it is closed. A client that half-closes its side
after its requests still gets their audio; a client that resets the connection is logged in one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.server import AsyncEventHandler
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeStopped

from yourtts_onnx.errors import AudioError, InputError
from yourtts_onnx.runtime.limits import MAX_VOICE_FIELD_CHARS, MAX_WYOMING_PENDING
from yourtts_onnx.runtime.loudness import RunningNormalizer
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.serving.jobs import JobCancelledError, JobTimeoutError, QueueFullError, StreamJob
from yourtts_onnx.serving.request_options import request_options
from yourtts_onnx.serving.text_checks import (
    EMPTY_TEXT,
    INVALID_TEXT,
    TextRefused,
    check_length,
    check_text,
    json_type,
)
from yourtts_onnx.wyoming.catalog import UnknownLanguageError, UnknownVoiceError
from yourtts_onnx.wyoming.frames import FrameError, FrameLimits, parse_header, read_body
from yourtts_onnx.wyoming.sentences import SentenceAssembler
from yourtts_onnx.wyoming.speech import CHANNELS, SAMPLE_WIDTH, Speech, produce

if TYPE_CHECKING:  # the service does not import this module: no cycle either way
    from yourtts_onnx.wyoming.service import WyomingService

log = logging.getLogger(__name__)

LINGER_SECONDS = 1.0  # after a malformed frame: how long its rest is read and dropped before closing
LINGER_BYTES = 1 << 20  # ... and how much of it at most

# error codes (the ``code`` of an ``error`` event; the text ones are serving.text_checks')
UNKNOWN_VOICE = "unknown_voice"
UNKNOWN_LANGUAGE = "unknown_language"
INVALID_REQUEST = INVALID_TEXT  # "invalid_request"
SERVER_BUSY = "server_busy"
TIMEOUT = "timeout"
SYNTHESIS_FAILED = "synthesis_failed"
SERVER_ERROR = "server_error"


class RequestError(Exception):
    """A request refused on the event loop, with its error code."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


@dataclass(eq=False)
class TextStream:
    """One ``synthesize-start`` … ``synthesize-stop``. ``failed``: an error was reported, the rest is dropped."""

    options: SynthesisOptions | None
    assembler: SentenceAssembler | None
    chars: int = 0
    has_text: bool = False
    failed: bool = False
    spoken: int = 0  # sentences that gave audio (counted by the sender)
    loudness: RunningNormalizer | None = None  # one running loudness measure across the stream's sentences


@dataclass(frozen=True, eq=False)
class Say:
    speech: Speech
    stream: TextStream | None = None


@dataclass(frozen=True, eq=False)
class Fail:
    code: str
    text: str
    request: bool = False  # the failure ends a plain synthesize request (not a text stream)


@dataclass(frozen=True, eq=False)
class EndStream:
    stream: TextStream


@dataclass(frozen=True, eq=False)
class Close:
    """The client half-closed its side: send what was asked before, then end the connection."""


Item = Say | Fail | EndStream | Close


class IdleTimeoutError(Exception):
    """The client sent nothing for the idle timeout while nothing was being said for it."""


def peer_name(writer: asyncio.StreamWriter) -> str:
    """``host:port`` of a TCP peer (``unix`` for a Unix socket), for one-line log messages."""
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return "unix socket client"


class SpeechEventHandler(AsyncEventHandler):
    """The events of one client connection (created by the server for each)."""

    def __init__(
        self, service: WyomingService, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        super().__init__(reader, writer)
        self.service = service
        self._outbox: asyncio.Queue[Item] = asyncio.Queue(MAX_WYOMING_PENDING)
        self._sender: asyncio.Task[None] | None = None
        self._write_lock = asyncio.Lock()
        self._stream: TextStream | None = None
        self._working = False  # the sender is on an item
        self._closing = False  # no more requests: the connection ends after the current write
        settings = service.settings
        self._limits = FrameLimits.for_text(settings.max_text_chars, settings.idle_timeout)
        self.peer = peer_name(writer)

    # -- frames in ------------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Read and handle events until the client leaves, idles, sends a bad frame, or the server stops."""
        self._is_running = True
        try:
            while self._is_running and not self._closing:
                try:
                    event = await self._read_event()
                except FrameError as exc:
                    log.warning("%s: malformed frame (%s); closing the connection", self.peer, exc)
                    with contextlib.suppress(Exception):
                        await self._write(Error(text=f"malformed frame: {exc}", code=INVALID_REQUEST).event())
                        await self._linger()
                    break
                except IdleTimeoutError:
                    log.info(
                        "%s: idle for %g s; closing the connection", self.peer, self._limits.body_timeout
                    )
                    break
                except (ConnectionError, OSError, asyncio.IncompleteReadError) as exc:
                    log.info("%s: the client closed the connection (%s)", self.peer, _reason(exc))
                    break
                if event is None:  # end of input: a half-closed client still gets what it asked for
                    await self._finish()
                    break
                try:
                    keep = await self.handle_event(event)
                except (ConnectionError, OSError) as exc:  # a reply could not be written
                    log.info("%s: the client closed the connection (%s)", self.peer, _reason(exc))
                    break
                if not keep:
                    break
        finally:
            await self.disconnect()
            self.writer.close()

    async def _linger(self) -> None:
        """End our side, then discard what the client is still sending for a moment (bounded), so that closing
        with unread input (which resets the connection) does not destroy the error event on its way."""
        if self.writer.can_write_eof():
            self.writer.write_eof()

        async def drop() -> None:
            discarded = 0
            while discarded < LINGER_BYTES and (chunk := await self.reader.read(1 << 16)):
                discarded += len(chunk)

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(drop(), LINGER_SECONDS)

    def _busy(self) -> bool:
        return self._working or not self._outbox.empty()

    async def _read_event(self) -> Event | None:
        while True:
            try:  # a cancelled readline leaves what it had read in the buffer
                line = await asyncio.wait_for(self.reader.readline(), self._limits.body_timeout)
                break
            except asyncio.TimeoutError:
                if not self._busy():  # audio is still being made for the client: it may wait in silence
                    raise IdleTimeoutError from None
            except ValueError:  # the stream reader's limit: no newline within it
                raise FrameError(f"a header line longer than {self._limits.header} bytes") from None
        if not line:
            return None
        if not line.endswith(b"\n"):
            raise asyncio.IncompleteReadError(line, None)  # the client left in the middle of a header
        header, data_len, payload_len = parse_header(line, self._limits)
        return await read_body(self.reader, header, data_len, payload_len, self._limits)

    async def _finish(self) -> None:
        """Send what the client asked for before it closed its side (each item has its own deadline)."""
        if self._sender is None or self._sender.done():
            return
        await self._enqueue(Close())
        with contextlib.suppress(Exception):
            await self._sender

    # -- events in ----------------------------------------------------------------------------------------

    async def handle_event(self, event: Event) -> bool:
        try:
            await self._dispatch(event)
        except (ConnectionError, OSError):
            raise  # the client is gone
        except Exception:  # a fault of ours: say so, and keep the connection
            log.exception("could not handle a %s event", event.type)
            await self._enqueue(
                Fail(SERVER_ERROR, f"the server failed to handle a {event.type} event (see its log)")
            )
        return True

    async def _dispatch(self, event: Event) -> None:
        if self._closing:
            return  # --close-on-error closed the connection: nothing more is started
        if Describe.is_type(event.type):
            await self._write(self.service.info().event())
            return
        streaming = self.service.settings.streaming
        if Synthesize.is_type(event.type):
            if self._stream is None:  # inside a text stream it only repeats the streamed text
                await self._request(event.data)
        elif streaming and SynthesizeStart.is_type(event.type):
            await self._start(event.data)
        elif streaming and SynthesizeChunk.is_type(event.type):
            await self._chunk(event.data)
        elif streaming and SynthesizeStop.is_type(event.type):
            await self._stop()

    async def _request(self, data: dict[str, Any]) -> None:
        try:
            text = self._text(data.get("text"))
            options = self._options(data)
        except RequestError as exc:
            await self._enqueue(Fail(exc.code, str(exc), request=True))
            return
        await self._enqueue(Say(Speech(text, options)))

    async def _start(self, data: dict[str, Any]) -> None:
        if self._stream is not None:  # a new stream before the last one stopped: end that one first
            await self._stop()
        try:
            options = self._options(data)
        except RequestError as exc:
            self._stream = TextStream(None, None, failed=True)
            await self._enqueue(Fail(exc.code, str(exc)))
            return
        loudness = (
            RunningNormalizer(self.service.synth.sample_rate, options.loudness)
            if options.loudness is not None
            else None
        )
        self._stream = TextStream(options, SentenceAssembler(options.language), loudness=loudness)

    async def _chunk(self, data: dict[str, Any]) -> None:
        stream = self._stream
        if stream is None:
            await self._enqueue(Fail(INVALID_REQUEST, "synthesize-chunk before synthesize-start"))
            return
        text = data.get("text")
        if stream.failed or stream.assembler is None or stream.options is None:
            return
        if not isinstance(text, str):
            await self._fail_stream(stream, INVALID_REQUEST, "synthesize-chunk needs a text")
            return
        stream.chars += len(text)
        try:
            check_length(stream.chars, self.service.settings.max_text_chars, "the streamed text")
        except TextRefused as exc:
            await self._fail_stream(stream, exc.code, str(exc))
            return
        stream.has_text = stream.has_text or bool(text.strip())
        for sentence in stream.assembler.add(text):
            await self._say_sentence(stream, stream.options, sentence)

    async def _stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return  # nothing to stop
        if not stream.failed and stream.assembler is not None and stream.options is not None:
            for sentence in stream.assembler.finish():
                await self._say_sentence(stream, stream.options, sentence)
        await self._enqueue(EndStream(stream))

    async def _say_sentence(self, stream: TextStream, options: SynthesisOptions, sentence: str) -> None:
        # the pause before it is decided by the sender, which knows whether a sentence before gave audio
        await self._enqueue(
            Say(Speech(sentence, options, skip_unspeakable=True, loudness=stream.loudness), stream)
        )

    async def _fail_stream(self, stream: TextStream, code: str, text: str) -> None:
        stream.failed = True
        await self._enqueue(Fail(code, text))

    # -- request checks (event loop, cheap) ---------------------------------------------------------------

    def _text(self, text: object) -> str:
        try:
            return check_text(text, self.service.settings.max_text_chars)
        except TextRefused as exc:
            raise RequestError(exc.code, str(exc)) from None

    def _options(self, data: dict[str, Any]) -> SynthesisOptions:
        text_format = data.get("text_format")
        if text_format not in (None, "text"):
            raise RequestError(
                INVALID_REQUEST, f"text_format '{text_format}' is not supported (only plain text)"
            )
        voice = data.get("voice") or {}
        if not isinstance(voice, dict):
            raise RequestError(INVALID_REQUEST, "voice must be an object with name, language and speaker")
        for key in ("name", "language", "speaker"):
            value = voice.get(key)
            if value is not None and not isinstance(value, str):
                raise RequestError(INVALID_REQUEST, f"voice {key} must be a string, got {json_type(value)}")
            if value is not None and len(value) > MAX_VOICE_FIELD_CHARS:
                raise RequestError(
                    UNKNOWN_LANGUAGE if key == "language" else UNKNOWN_VOICE,
                    f"voice {key} '{value[:40]}…' is {len(value)} characters long; at most "
                    f"{MAX_VOICE_FIELD_CHARS}",
                )
        try:
            # the raw fields: wyoming's SynthesizeVoice drops a language given together with a name
            selection = self.service.catalog.select(
                voice.get("name"), voice.get("language"), voice.get("speaker")
            )
        except UnknownVoiceError as exc:
            raise RequestError(UNKNOWN_VOICE, str(exc)) from None
        except UnknownLanguageError as exc:
            raise RequestError(UNKNOWN_LANGUAGE, str(exc)) from None
        except (InputError, AudioError) as exc:
            raise RequestError(INVALID_REQUEST, str(exc)) from None
        return request_options(
            self.service.options, embedding=selection.embedding, language=selection.language
        )

    # -- audio out (the sender task) ----------------------------------------------------------------------

    async def _enqueue(self, item: Item) -> None:
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_all(), name="yourtts wyoming sender")
        if not self._outbox.full():
            self._outbox.put_nowait(item)
            return
        # back-pressure: stop reading this client until its outbox has room (or its sender has ended)
        put = asyncio.ensure_future(self._outbox.put(item))
        await asyncio.wait({put, self._sender}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()

    async def _send_all(self) -> None:
        try:
            while not self._closing:
                item = await self._outbox.get()
                if isinstance(item, Close):
                    return
                self._working = True
                if isinstance(item, Fail):
                    await self._write(Error(text=item.text, code=item.code).event())
                    if item.request:
                        await self._after_request_error()
                elif isinstance(item, EndStream):
                    await self._end_stream(item.stream)
                elif item.stream is None or not item.stream.failed:
                    await self._say(item)
                self._working = False
        except (ConnectionError, OSError) as exc:  # the client is gone; the read loop ends the connection
            log.info(
                "%s: the client closed the connection while audio was sent (%s)", self.peer, _reason(exc)
            )
        except Exception:  # a fault of ours: close the connection rather than leave the client waiting
            log.exception("the sender of a Wyoming connection failed")
            self.writer.close()

    async def _end_stream(self, stream: TextStream) -> None:
        if not stream.failed and stream.spoken == 0:
            code, text = (
                (SYNTHESIS_FAILED, "the text has nothing the model can pronounce")
                if stream.has_text
                else (EMPTY_TEXT, "the streamed text is empty")
            )
            await self._write(Error(text=text, code=code).event())
        await self._write(SynthesizeStopped().event())

    async def _say(self, item: Say) -> None:
        service = self.service
        speech = item.speech
        if item.stream is not None and item.stream.spoken:
            speech = dataclasses.replace(speech, pause_before=True, skip_unspeakable=True)
        try:
            job: StreamJob[bytes] = service.runner.start_stream(partial(produce, service.synth, speech))
        except QueueFullError as exc:
            await self._refuse(item, SERVER_BUSY, str(exc))
            return
        deadline = time.monotonic() + service.settings.timeout
        rate = service.synth.sample_rate
        position = 0  # samples sent for this item
        try:
            while (pcm := await job.next(deadline)) is not None:
                if position == 0:
                    await self._write(AudioStart(rate, SAMPLE_WIDTH, CHANNELS, timestamp=0).event())
                for piece in _pieces(pcm, service.settings.samples_per_chunk * SAMPLE_WIDTH):
                    event = AudioChunk(rate, SAMPLE_WIDTH, CHANNELS, piece, timestamp=position * 1000 // rate)
                    await self._write(event.event())
                    position += len(piece) // SAMPLE_WIDTH
            if position:
                await self._write(AudioStop(timestamp=position * 1000 // rate).event())
                if item.stream is not None:
                    item.stream.spoken += 1
            elif item.stream is None:
                await self._refuse(item, SYNTHESIS_FAILED, "the synthesis gave no audio")
        except JobTimeoutError:
            await self._refuse(
                item, TIMEOUT, f"the synthesis took longer than {service.settings.timeout:g} s"
            )
        except JobCancelledError:  # cancelled from here (the client left): nothing more to send
            return
        except (ConnectionError, OSError):
            raise  # the client is gone (a reset): not a synthesis failure
        except (InputError, AudioError) as exc:
            await self._refuse(item, INVALID_REQUEST, str(exc))
        except Exception:  # a model failure: report it, keep serving
            log.exception("synthesis failed")
            await self._refuse(item, SYNTHESIS_FAILED, "synthesis failed (see the server's log)")
        finally:
            job.cancel()  # no-op when it finished; else the worker stops at its next chunk

    async def _refuse(self, item: Say, code: str, text: str) -> None:
        if item.stream is not None:
            item.stream.failed = True
        await self._write(Error(text=text, code=code).event())
        if item.stream is None:
            await self._after_request_error()

    async def _after_request_error(self) -> None:
        if self.service.settings.close_on_error:
            self._closing = True  # requests read after this one (pipelined) are not started
            self.writer.close()

    async def _write(self, event: Event) -> None:
        async with self._write_lock:
            await self.write_event(event)

    # -- end ----------------------------------------------------------------------------------------------

    async def disconnect(self) -> None:
        """The client is gone (or the server stops): cancel what is queued and running for it."""
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.IncompleteReadError):
        return "in the middle of a frame"
    return type(exc).__name__ + (f": {exc.strerror}" if isinstance(exc, OSError) and exc.strerror else "")
