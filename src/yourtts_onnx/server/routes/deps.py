"""Shared route helpers: the service from the app state, audio responses (whole, streamed, and OpenAI's
server-sent events), and the error responses every route documents."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Request, Response
from fastapi.responses import StreamingResponse

from yourtts_onnx.runtime.waveform import Audio
from yourtts_onnx.runtime.words import Word
from yourtts_onnx.server.formats import AudioFormat, ChunkEncoder, encode, output_rate
from yourtts_onnx.server.models import ErrorModel
from yourtts_onnx.server.service import SpeechJob, TtsService

ERROR_DESCRIPTIONS = {
    400: "The request cannot be parsed",
    401: "An API key is required, or the key is wrong",
    403: "Built-in speakers and aliases cannot be deleted",
    404: "The model, voice, language or route does not exist",
    409: "A voice with that id exists already",
    413: "The request body is larger than the upload limit",
    422: "A parameter is invalid (the message names it)",
    503: "The server is busy (see Retry-After)",
    504: "The request took longer than the server's timeout",
}
SYNTHESIS_ERRORS = (401, 404, 413, 422, 503, 504)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these status codes, all with the error body."""
    return {code: {"description": ERROR_DESCRIPTIONS[code], "model": ErrorModel} for code in codes}


def get_service(request: Request) -> TtsService:
    return request.app.state.service


ServiceDep = Annotated[TtsService, Depends(get_service)]


def audio_headers(fmt: AudioFormat, sample_rate: int, filename: str = "speech") -> dict[str, str]:
    return {
        "Content-Disposition": f'inline; filename="{filename}.{fmt.extension}"',
        "X-Sample-Rate": str(sample_rate),
        "Cache-Control": "no-store",
    }


async def audio_response(audio: Audio, fmt: AudioFormat, pcm_rate: int | None = None) -> Response:
    """The whole audio, encoded off the event loop (MP3/Opus encoding of minutes of audio takes a while)."""
    body = await anyio.to_thread.run_sync(encode, audio, fmt, pcm_rate)
    headers = audio_headers(fmt, output_rate(fmt, audio.sample_rate, pcm_rate))
    headers["X-Audio-Duration"] = f"{audio.duration:.3f}"
    return Response(content=body, media_type=fmt.media_type, headers=headers)


async def synthesize_response(
    service: TtsService, job: SpeechJob, fmt: AudioFormat, request: Request, pcm_rate: int | None = None
) -> Response:
    audio = await service.synthesize(job, request.is_disconnected)
    return await audio_response(audio, fmt, pcm_rate)


async def _chunks(service: TtsService, job: SpeechJob, request: Request) -> AsyncIterator[Audio]:
    """The job's audio chunk by chunk. Errors before the first chunk is ready still get their status code
    (this generator's first step runs before the response starts); later ones (a model error, the deadline)
    abort the connection, so a client never takes a cut stream for a whole one. A client that disconnects
    stops the job before its next window."""
    deadline = time.monotonic() + service.settings.timeout
    first, stream = await service.open_stream(job, request.is_disconnected, deadline)
    try:
        if first is not None:
            yield first
        while True:
            chunk = await stream.next(deadline)
            if chunk is None:
                break
            service.metrics.add_audio(chunk.duration)
            yield chunk
    finally:
        stream.cancel()


async def _started(gen: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``gen`` with its first item already produced (so its errors happen before the response starts)."""
    first = await gen.__anext__()

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for item in gen:
            yield item

    return rest()


async def streaming_response(
    service: TtsService, job: SpeechJob, fmt: AudioFormat, request: Request, pcm_rate: int | None = None
) -> Response:
    """Audio as it is made (chunked): a WAV header of unknown length then PCM, or raw PCM."""
    sample_rate = service.synth.sample_rate
    encoder = ChunkEncoder(fmt, sample_rate, pcm_rate)

    async def body() -> AsyncIterator[bytes]:
        chunks = _chunks(service, job, request)
        try:
            first = True
            async for chunk in chunks:
                data = encoder.push(chunk.samples)
                yield (encoder.header() + data) if first else data
                first = False
            if first:
                yield encoder.header()
            tail = encoder.finish()
            if tail:
                yield tail
        finally:
            await chunks.aclose()

    stream = await _started(body())
    rate = output_rate(fmt, sample_rate, pcm_rate)
    return StreamingResponse(stream, media_type=fmt.media_type, headers=audio_headers(fmt, rate))


def sse_event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def word_dicts(words: Sequence[Word] | None) -> list[dict[str, Any]]:
    return [w.to_dict() for w in words or ()]


async def sse_response(
    service: TtsService,
    job: SpeechJob,
    fmt: AudioFormat,
    request: Request,
    pcm_rate: int | None = None,
    *,
    words: bool = False,
) -> Response:
    """OpenAI's ``stream_format="sse"``: ``speech.audio.delta`` events carrying base64 audio as it is made
    (streamable formats; others in one delta once the whole file is encoded), then ``speech.audio.done``
    with ``usage`` (input_tokens: characters of input; output_tokens: audio frames of the model).
    ``words``: a ``speech.audio.words`` event (``{"type", "words": [...]}``) before each sentence's first
    delta (all of them before the one delta of a format that cannot stream)."""
    sample_rate = service.synth.sample_rate
    hop = service.synth.config.hop_length

    def delta(data: bytes) -> bytes:
        return sse_event({"type": "speech.audio.delta", "audio": base64.b64encode(data).decode("ascii")})

    def word_event(chunk_words: Sequence[Word] | None) -> bytes:
        return sse_event({"type": "speech.audio.words", "words": word_dicts(chunk_words)})

    async def body() -> AsyncIterator[bytes]:
        chunks = _chunks(service, job, request)
        samples = 0
        try:
            if fmt.streamable:
                encoder = ChunkEncoder(fmt, sample_rate, pcm_rate)
                header = encoder.header()
                async for chunk in chunks:
                    samples += len(chunk)
                    if words and chunk.words:
                        yield word_event(chunk.words)
                    yield delta(header + encoder.push(chunk.samples))
                    header = b""
                tail = header + encoder.finish()
                if tail:
                    yield delta(tail)
            else:
                parts = [chunk async for chunk in chunks]
                audio = Audio.concatenate(parts, sample_rate)
                samples = len(audio)
                if words and audio.words:
                    yield word_event(audio.words)
                yield delta(await anyio.to_thread.run_sync(encode, audio, fmt, pcm_rate))
        finally:
            await chunks.aclose()
        frames = -(-samples // hop)
        usage = {
            "input_tokens": len(job.text),
            "output_tokens": frames,
            "total_tokens": len(job.text) + frames,
        }
        yield sse_event({"type": "speech.audio.done", "usage": usage})

    stream = await _started(body())
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
