"""Health (public), Prometheus metrics and model details."""

from __future__ import annotations

from fastapi import APIRouter, Response

from yourtts_onnx.runtime.limits import MAX_REFERENCE_SECONDS, MAX_UPLOAD_FILES
from yourtts_onnx.server.formats import default_format, openai_formats, supported_formats
from yourtts_onnx.server.metrics import CONTENT_TYPE
from yourtts_onnx.server.models import DetailsModel, HealthModel, LanguagesModel, LimitsModel
from yourtts_onnx.server.routes.deps import ServiceDep, error_responses

public_router = APIRouter(tags=["system"])
router = APIRouter(tags=["system"])


@public_router.get("/health", response_model=HealthModel)
async def health(service: ServiceDep) -> HealthModel:
    """Liveness and load; never needs the API key."""
    runner = service.runner
    return HealthModel(
        workers=runner.workers, running=runner.running, queued=runner.queued, capacity=runner.capacity
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}}, **error_responses(401)},
)
async def metrics(service: ServiceDep) -> Response:
    """Prometheus text format."""
    return Response(service.metrics.render(service.runner), media_type=CONTENT_TYPE)


@router.get("/details", response_model=DetailsModel, responses=error_responses(401))
async def details(service: ServiceDep) -> DetailsModel:
    """What the model offers and what the server accepts."""
    synth, settings = service.synth, service.settings
    formats = {name: supported_formats()[name] for name in openai_formats()}
    return DetailsModel(
        model=dict(synth.config.model),
        sample_rate=synth.sample_rate,
        languages=synth.languages,
        default_language=synth.default_language,
        speakers=synth.speakers,
        can_clone=synth.can_clone,
        backend=synth.backend.name,
        formats=list(formats),
        default_format=default_format(),
        streaming_formats=[n for n, f in formats.items() if f.streamable],
        limits=LimitsModel(
            max_text_chars=settings.max_text_chars,
            max_upload_mb=settings.max_upload_mb,
            timeout_seconds=settings.timeout,
            max_reference_seconds=MAX_REFERENCE_SECONDS,
            max_reference_files=MAX_UPLOAD_FILES,
        ),
        auth_required=settings.api_key is not None,
    )


@router.get("/v1/languages", response_model=LanguagesModel, responses=error_responses(401))
async def languages(service: ServiceDep) -> LanguagesModel:
    return LanguagesModel(languages=service.synth.languages, default=service.synth.default_language)
