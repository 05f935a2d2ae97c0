"""Coqui ``tts-server`` compatibility: ``GET/POST /api/tts`` (+ the MaryTTS endpoints it also serves).

Parameters as Coqui's server reads them: the headers ``text``, ``speaker-id``, ``language-id``,
``speaker-wav``, ``style-wav`` first, then query or form fields ``text``, ``speaker_id``, ``language_id``,
``speaker_wav``, ``style_wav`` (a JSON body with those keys works too). Differences, for safety and this
model: a reference recording is *uploaded* (multipart file field ``speaker_wav`` or ``style_wav``, one or
more) instead of named as a path on the server; a ``speaker_wav`` string may name a saved voice; a
``style_wav`` string (Coqui's GST style, unused by YourTTS) is ignored. ``speaker_id`` may be a built-in
speaker or a saved voice. The answer is always ``audio/wav``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.datastructures import UploadFile

from yourtts_onnx.server.errors import ApiError
from yourtts_onnx.server.formats import WAV
from yourtts_onnx.server.routes.deps import ServiceDep, synthesize_response
from yourtts_onnx.server.service import SpeechJob, TtsService

logger = logging.getLogger(__name__)
router = APIRouter(tags=["coqui"])

FIELDS = ("text", "speaker_id", "language_id", "style_wav", "speaker_wav")
WAV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"description": "WAV audio", "content": {"audio/wav": {}}}
}


@dataclass
class CoquiParams:
    values: dict[str, str] = field(default_factory=dict)
    uploads: list[bytes] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if value else None  # Coqui treats "" as not given


async def read_params(request: Request) -> CoquiParams:
    params = CoquiParams()
    for name in FIELDS:
        if name in request.query_params:
            params.values[name] = request.query_params[name]
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method == "POST" and content_type in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        form = await request.form()
        for name in FIELDS:
            for item in form.getlist(name):
                if isinstance(item, UploadFile):
                    if name in ("speaker_wav", "style_wav"):
                        params.uploads.append(await item.read())
                else:
                    params.values[name] = item
    elif request.method == "POST" and content_type == "application/json":
        try:
            body = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "the JSON body cannot be parsed", "invalid_json") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the JSON body must be an object", "invalid_json")
        for name in FIELDS:
            if isinstance(body.get(name), str):
                params.values[name] = body[name]
    for name in FIELDS:  # headers win, as in Coqui's server
        header = request.headers.get(name.replace("_", "-"))
        if header:
            params.values[name] = header
    return params


def speech_job(service: TtsService, params: CoquiParams) -> SpeechJob:
    text = params.get("text")
    if text is None or not text.strip():
        raise ApiError(400, "Text parameter is required", "empty_text")
    text = service.check_text(text, "text")
    language = params.get("language_id")
    speaker_wav = params.get("speaker_wav")
    if params.get("style_wav"):
        logger.info("ignoring style_wav: YourTTS has no style tokens")
    if params.uploads:
        references = service.check_references(params.uploads)
        return SpeechJob(text=text, options=service.options(language=language), references=references)
    voice = params.get("speaker_id")
    if speaker_wav is not None:
        if not service.store.exists(speaker_wav):
            raise ApiError(
                422,
                "speaker_wav must be an uploaded recording (multipart file field 'speaker_wav') or a saved voice id; "
                "paths on the server are not accepted",
                "invalid_speaker_wav",
            )
        voice = speaker_wav
    return SpeechJob(text=text, options=service.options(language=language, voice=voice))


@router.get("/api/tts", response_class=Response, responses=WAV_RESPONSE, operation_id="coqui_tts_get")
@router.post("/api/tts", response_class=Response, responses=WAV_RESPONSE, operation_id="coqui_tts_post")
async def coqui_tts(
    request: Request,
    service: ServiceDep,
    text: str | None = Query(None, description="The text to speak (or header 'text', or a form field)"),
    speaker_id: str | None = Query(None, description="A built-in speaker or saved voice id"),
    language_id: str | None = Query(None, description="A language of the model (default: en)"),
    speaker_wav: str | None = Query(
        None, description="A saved voice id; upload a file to clone (multipart POST)"
    ),
    style_wav: str | None = Query(None, description="Ignored (YourTTS has no style tokens)"),
) -> Response:
    """Coqui ``tts-server``'s endpoint: text → ``audio/wav``."""
    params = await read_params(request)
    job = speech_job(service, params)
    return await synthesize_response(service, job, WAV, request)


@router.get("/api/languages")
async def coqui_languages(service: ServiceDep) -> dict[str, object]:
    return {"languages": service.synth.languages, "default": service.synth.default_language}


@router.get("/api/speakers")
async def coqui_speakers(service: ServiceDep) -> dict[str, object]:
    return {"speakers": service.store.builtin_ids(), "saved": service.store.saved_ids()}


# -- MaryTTS (Coqui's server answers these too) ---------------------------------------------------


@router.get("/locales", response_class=PlainTextResponse, tags=["marytts"])
async def mary_locales(service: ServiceDep) -> str:
    return "".join(f"{lang}\n" for lang in service.synth.languages)


@router.get("/voices", response_class=PlainTextResponse, tags=["marytts"])
async def mary_voices(service: ServiceDep) -> str:
    locale = service.synth.default_language or service.synth.languages[0]
    return "".join(
        f"{voice} {locale} u\n" for voice in [*service.store.builtin_ids(), *service.store.saved_ids()]
    )


@router.get(
    "/process", response_class=Response, responses=WAV_RESPONSE, tags=["marytts"], operation_id="mary_get"
)
@router.post(
    "/process", response_class=Response, responses=WAV_RESPONSE, tags=["marytts"], operation_id="mary_post"
)
async def mary_process(request: Request, service: ServiceDep) -> Response:
    """MaryTTS: ``INPUT_TEXT``, ``VOICE``, ``LOCALE`` (query, or a urlencoded POST body) → ``audio/wav``."""
    values = dict(request.query_params)
    if request.method == "POST":
        try:
            body = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "the body must be UTF-8 url-encoded form data", "invalid_body") from None
        values.update({k: v[0] for k, v in parse_qs(body).items()})
    text = service.check_text(values.get("INPUT_TEXT"), "INPUT_TEXT")
    options = service.options(language=values.get("LOCALE") or None, voice=values.get("VOICE") or None)
    job = SpeechJob(text=text, options=options)
    return await synthesize_response(service, job, WAV, request)
