"""OpenAI-compatible speech: ``POST /v1/audio/speech`` and ``GET /v1/models``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from yourtts_onnx.server.models import ModelCard, ModelList, SpeechRequest
from yourtts_onnx.server.routes.deps import ServiceDep, streaming_response, synthesize_response
from yourtts_onnx.server.service import SpeechJob

router = APIRouter(tags=["openai"])
MODEL_ID = "yourtts"

AUDIO_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The audio, in the requested format",
        "content": {t: {} for t in ("audio/mpeg", "audio/wav", "audio/flac", "audio/ogg", "audio/pcm")},
    }
}


@router.post("/v1/audio/speech", response_class=Response, responses=AUDIO_RESPONSES)
async def create_speech(body: SpeechRequest, request: Request, service: ServiceDep) -> Response:
    """Text to speech, as OpenAI's endpoint; ``speed`` 0.25-4.0 sets the length scale to default / speed."""
    text = service.check_text(body.input, "input")
    fmt = service.audio_format(body.response_format, stream=body.stream)
    options = service.options(
        language=body.language,
        voice=body.voice,
        length_scale=service.synth.defaults.length_scale / body.speed,
        noise_scale=body.noise_scale,
        noise_scale_dp=body.noise_scale_dp,
    )
    job = SpeechJob(text=text, options=options)
    if body.stream:
        return await streaming_response(service, job, fmt, request)
    return await synthesize_response(service, job, fmt, request)


@router.get("/v1/models", response_model=ModelList)
async def list_models() -> ModelList:
    """The one model this server runs (any ``model`` value is accepted by /v1/audio/speech)."""
    return ModelList(data=[ModelCard(id=MODEL_ID)])
