"""Shared route helpers: the service from the app state, and audio responses."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request, Response
from fastapi.responses import StreamingResponse

from yourtts_onnx.runtime.waveform import Audio
from yourtts_onnx.server.formats import AudioFormat, encode, stream_chunk, stream_header
from yourtts_onnx.server.service import SpeechJob, TtsService


def get_service(request: Request) -> TtsService:
    return request.app.state.service


ServiceDep = Annotated[TtsService, Depends(get_service)]


def audio_headers(fmt: AudioFormat, sample_rate: int, filename: str = "speech") -> dict[str, str]:
    return {
        "Content-Disposition": f'inline; filename="{filename}.{fmt.extension}"',
        "X-Sample-Rate": str(sample_rate),
        "Cache-Control": "no-store",
    }


async def audio_response(audio: Audio, fmt: AudioFormat) -> Response:
    """The whole audio, encoded off the event loop (MP3/Opus encoding of minutes of audio takes a while)."""
    body = await anyio.to_thread.run_sync(encode, audio, fmt)
    headers = audio_headers(fmt, audio.sample_rate)
    headers["X-Audio-Duration"] = f"{audio.duration:.3f}"
    return Response(content=body, media_type=fmt.media_type, headers=headers)


async def synthesize_response(
    service: TtsService, job: SpeechJob, fmt: AudioFormat, request: Request
) -> Response:
    audio = await service.synthesize(job, request.is_disconnected)
    return await audio_response(audio, fmt)


async def streaming_response(
    service: TtsService, job: SpeechJob, fmt: AudioFormat, request: Request
) -> Response:
    """Audio sentence by sentence (chunked): a WAV header of unknown length then PCM, or raw PCM.

    Errors before the first sentence is ready still get their status code; later ones (a model error,
    the deadline) abort the connection, so a client never takes a cut stream for a whole one. A client
    that disconnects stops the job before its next sentence.
    """
    deadline = time.monotonic() + service.settings.timeout
    first, stream = await service.open_stream(job, request.is_disconnected, deadline)
    sample_rate = service.synth.sample_rate

    async def body() -> AsyncIterator[bytes]:
        try:
            yield stream_header(fmt, sample_rate) + (
                stream_chunk(first.samples) if first is not None else b""
            )
            while True:
                chunk = await stream.next(deadline)
                if chunk is None:
                    break
                service.metrics.add_audio(chunk.duration)
                yield stream_chunk(chunk.samples)
        finally:
            stream.cancel()

    return StreamingResponse(body(), media_type=fmt.media_type, headers=audio_headers(fmt, sample_rate))
