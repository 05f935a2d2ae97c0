"""``POST /dev/captioned_speech``: audio and word timestamps, in Kokoro-FastAPI's request and response shape.

``stream: false`` gives one JSON object ``{"audio": base64, "audio_format": media type, "timestamps":
[{"word", "start_time", "end_time", "start_char", "end_char"}]}``. ``stream: true`` (the default, as
Kokoro-FastAPI's) gives ``application/x-ndjson``: one such object per line per audio chunk, in order, each
with its chunk's audio (the first one with the WAV header; formats that cannot stream come in one line) and
the words of the sentences that start in it; all times are seconds from the start of the whole audio, so a
client concatenates the audio and the timestamps as they come. The words follow the rule of
:mod:`yourtts_onnx.runtime.words` (docs/consumers.md, "Word timestamps").
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from yourtts_onnx.runtime.waveform import Audio
from yourtts_onnx.server.formats import OPENAI_PCM_RATE, ChunkEncoder, encode, openai_formats
from yourtts_onnx.server.models import CaptionedSpeechRequest, CaptionedSpeechResponse
from yourtts_onnx.server.routes.deps import (
    SYNTHESIS_ERRORS,
    ServiceDep,
    _chunks,
    _started,
    error_responses,
    word_dicts,
)
from yourtts_onnx.server.service import SpeechJob

router = APIRouter(tags=["captions"])

NDJSON = "application/x-ndjson"
# Kokoro-FastAPI's language letters for the languages YourTTS speaks
KOKORO_LANG_CODES = {"a": "en", "b": "en", "f": "fr-fr", "p": "pt-br"}

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The audio and its words: one JSON object (stream: false), or one per line per audio "
        "chunk (stream: true, application/x-ndjson)",
        "content": {NDJSON: {"schema": {"type": "string", "description": "CaptionedSpeechResponse lines"}}},
    },
    **error_responses(400, *SYNTHESIS_ERRORS),
}


def _line(audio: bytes, media_type: str, words: list[dict[str, Any]] | None) -> bytes:
    payload = {
        "audio": base64.b64encode(audio).decode("ascii"),
        "audio_format": media_type,
        "timestamps": words,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


@router.post("/dev/captioned_speech", response_model=CaptionedSpeechResponse, responses=RESPONSES)
async def captioned_speech(body: CaptionedSpeechRequest, request: Request, service: ServiceDep) -> Response:
    """Text to speech with word-level timestamps (Kokoro-FastAPI's ``/dev/captioned_speech``)."""
    text = service.check_text(body.input, "input")
    fmt = service.audio_format(body.response_format, offered=openai_formats())
    if body.return_timestamps:
        service.check_word_times("return_timestamps")
    language, field = body.language, "language"
    if language is None and body.lang_code is not None:
        language, field = KOKORO_LANG_CODES.get(body.lang_code.strip().lower(), body.lang_code), "lang_code"
    options = service.options(
        language=language,
        language_field=field,
        voice=body.voice,
        length_scale=service.default_length_scale / body.speed,
        noise_scale=body.noise_scale,
        noise_scale_dp=body.noise_scale_dp,
    )
    await service.check_spoken(text, options, "input")
    job = SpeechJob(text=text, options=options)
    stamps = body.return_timestamps

    if not body.stream:
        audio = await service.synthesize(job, request.is_disconnected)
        data = await anyio.to_thread.run_sync(encode, audio, fmt, OPENAI_PCM_RATE)
        payload = CaptionedSpeechResponse(
            audio=base64.b64encode(data).decode("ascii"),
            audio_format=fmt.media_type,
            timestamps=word_dicts(audio.words) if stamps else None,  # type: ignore[arg-type]
        )
        return JSONResponse(payload.model_dump(), headers={"Cache-Control": "no-store"})

    sample_rate = service.synth.sample_rate

    async def lines() -> AsyncIterator[bytes]:
        chunks = _chunks(service, job, request)
        try:
            if fmt.streamable:
                encoder = ChunkEncoder(fmt, sample_rate, OPENAI_PCM_RATE)
                header = encoder.header()
                async for chunk in chunks:
                    data = header + encoder.push(chunk.samples)
                    header = b""
                    yield _line(data, fmt.media_type, word_dicts(chunk.words) if stamps else None)
                tail = header + encoder.finish()
                if tail:
                    yield _line(tail, fmt.media_type, [] if stamps else None)
            else:
                audio = Audio.concatenate([chunk async for chunk in chunks], sample_rate)
                data = await anyio.to_thread.run_sync(encode, audio, fmt, OPENAI_PCM_RATE)
                yield _line(data, fmt.media_type, word_dicts(audio.words) if stamps else None)
        finally:
            await chunks.aclose()

    stream = await _started(lines())
    return StreamingResponse(
        stream, media_type=NDJSON, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
