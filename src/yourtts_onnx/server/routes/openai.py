"""OpenAI-compatible speech: ``POST /v1/audio/speech``, ``GET /v1/models`` and ``GET /v1/models/{model}``.

As OpenAI's API: ``model`` is one of :data:`MODEL_IDS` (all run the one model; another name is 404
``model_not_found``), ``voice`` a string or ``{"id": ...}`` (built-in speakers, saved voices, and aliases
such as ``alloy``: :mod:`~yourtts_onnx.server.voice_map`), ``pcm`` is 24 kHz, ``stream_format="sse"``
sends ``speech.audio.delta``/``speech.audio.done`` events, ``instructions`` is accepted and ignored, and
every error is ``{"error": {"message", "type", "param", "code"}}``. Beyond OpenAI: ``word_timestamps: true``
adds ``speech.audio.words`` events to the SSE stream (opt-in, so OpenAI's clients see no change).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

from yourtts_onnx.server.errors import ApiError
from yourtts_onnx.server.formats import OPENAI_PCM_RATE, openai_formats
from yourtts_onnx.server.models import ModelCard, ModelList, SpeechRequest
from yourtts_onnx.server.routes.deps import (
    SYNTHESIS_ERRORS,
    ServiceDep,
    error_responses,
    sse_response,
    streaming_response,
    synthesize_response,
)
from yourtts_onnx.server.service import SpeechJob

logger = logging.getLogger(__name__)
router = APIRouter(tags=["openai"])
MODEL_ID = "yourtts"
# OpenAI's speech models, all served by this server's one model, then ours
MODEL_IDS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", MODEL_ID)

AUDIO_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The audio in the requested format, or server-sent events with stream_format 'sse' "
        "(speech.audio.delta, speech.audio.done; with word_timestamps also speech.audio.words: "
        '{"type": "speech.audio.words", "words": [{word, start_time, end_time, start_char, end_char}]})',
        "content": {
            **{t: {} for t in ("audio/mpeg", "audio/wav", "audio/flac", "audio/ogg", "audio/pcm")},
            "text/event-stream": {},
        },
    },
    **error_responses(400, *SYNTHESIS_ERRORS),
}


def check_model(model: str) -> str:
    if model not in MODEL_IDS:
        raise ApiError(
            404,
            f"the model '{model}' does not exist (models: {', '.join(MODEL_IDS)})",
            "model_not_found",
            param="model",
        )
    return model


@router.post("/v1/audio/speech", response_class=Response, responses=AUDIO_RESPONSES)
async def create_speech(body: SpeechRequest, request: Request, service: ServiceDep) -> Response:
    """Text to speech, as OpenAI's endpoint; ``speed`` 0.25-4.0 sets the length scale to default / speed."""
    check_model(body.model)
    text = service.check_text(body.input, "input")
    sse = body.stream_format == "sse"
    fmt = service.audio_format(body.response_format, offered=openai_formats())
    if body.instructions:
        logger.debug("ignoring 'instructions': YourTTS has no control of style by prompt")
    if body.word_timestamps and sse:
        service.check_word_times("word_timestamps")
    options = service.options(
        language=body.language,
        voice=body.voice_id,
        length_scale=service.default_length_scale / body.speed,
        noise_scale=body.noise_scale,
        noise_scale_dp=body.noise_scale_dp,
    )
    await service.check_spoken(text, options, "input")
    job = SpeechJob(text=text, options=options)
    if sse:
        return await sse_response(service, job, fmt, request, OPENAI_PCM_RATE, words=body.word_timestamps)
    if body.stream and fmt.streamable:  # other formats come whole, once encoded
        return await streaming_response(service, job, fmt, request, OPENAI_PCM_RATE)
    return await synthesize_response(service, job, fmt, request, OPENAI_PCM_RATE)


@router.get("/v1/models", response_model=ModelList, responses=error_responses(401))
async def list_models() -> ModelList:
    """The model names /v1/audio/speech accepts (OpenAI's TTS models and ``yourtts``: all one model)."""
    return ModelList(data=[ModelCard(id=m) for m in MODEL_IDS])


@router.get("/v1/models/{model}", response_model=ModelCard, responses=error_responses(401, 404))
async def get_model(model: str) -> ModelCard:
    """One model; 404 ``model_not_found`` for names this server does not serve."""
    return ModelCard(id=check_model(model))
