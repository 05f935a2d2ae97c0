"""Coqui ``tts-server`` compatibility: ``GET/POST /api/tts``, ``/api/languages``, ``/api/speakers``.

Parameters as Coqui's server reads them: the headers ``text``, ``speaker-id``, ``language-id``,
``speaker-wav``, ``style-wav`` first, then query or form fields ``text``, ``speaker_id``, ``language_id``,
``speaker_wav``, ``style_wav`` (a JSON body with those keys works too). Differences, for safety and this
model:

* a reference recording is *uploaded* (multipart file field ``speaker_wav``, one or more: several are
  averaged into one voice, as ``synth --speaker-wav`` does) instead of named as a path on the server; a
  ``speaker_wav`` string may name a saved voice;
* one rule picks the voice when several are given: uploaded ``speaker_wav`` recordings, else a
  ``speaker_wav`` saved voice id, else ``speaker_id`` (what it passes over is logged);
* ``style_wav`` (Coqui's GST style, which YourTTS does not have) is ignored, string or upload;
* an unknown ``speaker_id`` or ``language_id`` is 404; the answer is always ``audio/wav``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import UploadFile

from yourtts_onnx.runtime.limits import MAX_UPLOAD_FILES
from yourtts_onnx.server.errors import ApiError
from yourtts_onnx.server.formats import WAV
from yourtts_onnx.server.routes.deps import SYNTHESIS_ERRORS, ServiceDep, error_responses, synthesize_response
from yourtts_onnx.server.service import SpeechJob, TtsService

logger = logging.getLogger(__name__)
router = APIRouter(tags=["coqui"])

FIELDS = ("text", "speaker_id", "language_id", "style_wav", "speaker_wav")
WAV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"description": "WAV audio", "content": {"audio/wav": {}}},
    **error_responses(400, *SYNTHESIS_ERRORS),
}
_TEXT = {"type": "string", "minLength": 1, "description": "The text to speak"}
_OPTIONAL = {
    "speaker_id": {"type": "string", "description": "A built-in speaker, saved voice id or alias"},
    "language_id": {"type": "string", "description": "A language of the model (default: en)"},
    "style_wav": {"type": "string", "description": "Ignored (YourTTS has no style tokens)"},
}
_FORM = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": _TEXT,
        **_OPTIONAL,
        "speaker_wav": {"type": "string", "description": "A saved voice id (upload a file to clone)"},
    },
}
_JSON = {
    "type": "object",
    "required": ["text"],
    "properties": {
        name: {**schema, "type": ["string", "null"]} if name != "text" else schema
        for name, schema in _FORM["properties"].items()
    },
}
_MULTIPART = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": _TEXT,
        **_OPTIONAL,
        "speaker_wav": {
            "type": "array",
            "items": {"type": "string", "format": "binary", "contentMediaType": "audio/*"},
            "maxItems": MAX_UPLOAD_FILES,
            "description": "Recordings to clone the voice from (WAV/FLAC/OGG/MP3; several are averaged)",
        },
    },
}
POST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": _MULTIPART},
            "application/x-www-form-urlencoded": {"schema": _FORM},
            "application/json": {"schema": _JSON},
        },
    }
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
        multipart = content_type == "multipart/form-data"
        for name in FIELDS:
            for item in form.getlist(name):
                if isinstance(item, UploadFile):
                    if name == "speaker_wav":
                        params.uploads.append(await item.read())
                    else:
                        logger.info("ignoring an uploaded %s: YourTTS has no style tokens", name)
                elif multipart and name == "speaker_wav":
                    raise ApiError(
                        422,
                        "in a multipart body speaker_wav must be an uploaded file; name a saved voice with speaker_id",
                        "invalid_speaker_wav",
                        param="speaker_wav",
                    )
                else:
                    params.values[name] = item
    elif request.method == "POST" and content_type == "application/json":
        try:
            body = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ApiError(400, "the JSON body cannot be parsed", "invalid_json") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the JSON body must be an object", "invalid_json")
        for name in FIELDS:
            if name in body and body[name] is not None and not isinstance(body[name], str):
                raise ApiError(422, f"'{name}' must be a string", "invalid_request", param=name)
            if isinstance(body.get(name), str):
                params.values[name] = body[name]
    for name in FIELDS:  # headers win, as in Coqui's server
        header = request.headers.get(name.replace("_", "-"))
        if header:
            params.values[name] = header
    return params


def voice_source(service: TtsService, params: CoquiParams) -> tuple[str | None, str]:
    """The voice the request asks for, by one rule: uploaded ``speaker_wav`` recordings, else a
    ``speaker_wav`` saved voice id, else ``speaker_id``, else the default (``None``). Returns the voice
    (``None`` for uploads or the default) and the field it came from; what the rule passes over is logged."""
    speaker_wav, speaker_id = params.get("speaker_wav"), params.get("speaker_id")
    if params.uploads:
        passed = [f"{n}={v!r}" for n, v in (("speaker_wav", speaker_wav), ("speaker_id", speaker_id)) if v]
        if passed:
            logger.info("cloning from the uploaded speaker_wav; ignoring %s", ", ".join(passed))
        return None, "speaker_wav"
    if speaker_wav is not None:
        if speaker_id is not None:
            logger.info("using speaker_wav=%r; ignoring speaker_id=%r", speaker_wav, speaker_id)
        if not service.store.known(speaker_wav):
            raise ApiError(
                404,
                f"speaker_wav '{speaker_wav}' is not a saved voice id; upload a recording (multipart file field "
                "'speaker_wav') to clone a voice: paths on the server are not accepted",
                "voice_not_found",
                param="speaker_wav",
            )
        return speaker_wav, "speaker_wav"
    return speaker_id, "speaker_id"


async def speech_job(service: TtsService, params: CoquiParams) -> SpeechJob:
    text = params.get("text")
    if text is None or not text.strip():
        raise ApiError(400, "Text parameter is required", "empty_text", param="text")
    text = service.check_text(text, "text")
    if params.get("style_wav"):
        logger.info("ignoring style_wav: YourTTS has no style tokens")
    voice, voice_field = voice_source(service, params)
    options = service.options(
        language=params.get("language_id"), voice=voice, language_field="language_id", voice_field=voice_field
    )
    await service.check_spoken(text, options, "text")
    if params.uploads:
        if len(params.uploads) > MAX_UPLOAD_FILES:
            raise ApiError(
                422,
                f"{len(params.uploads)} speaker_wav files were uploaded; at most {MAX_UPLOAD_FILES} are taken",
                "invalid_audio",
                param="speaker_wav",
            )
        return SpeechJob(
            text=text, options=options, references=service.check_references(params.uploads, "speaker_wav")
        )
    return SpeechJob(text=text, options=options)


@router.get("/api/tts", response_class=Response, responses=WAV_RESPONSE, operation_id="coqui_tts_get")
async def coqui_tts_get(
    request: Request,
    service: ServiceDep,
    text: str | None = Query(None, description="The text to speak (or header 'text'); required"),
    speaker_id: str | None = Query(None, description="A built-in speaker, saved voice id or alias"),
    language_id: str | None = Query(None, description="A language of the model (default: en)"),
    speaker_wav: str | None = Query(None, description="A saved voice id (POST a multipart upload to clone)"),
    style_wav: str | None = Query(None, description="Ignored (YourTTS has no style tokens)"),
) -> Response:
    """Coqui ``tts-server``'s endpoint: text → ``audio/wav``. Voice: a ``speaker_wav`` saved voice id, else
    ``speaker_id`` (when both are given, ``speaker_wav`` is used), else the default speaker."""
    params = await read_params(request)
    job = await speech_job(service, params)
    return await synthesize_response(service, job, WAV, request)


@router.post(
    "/api/tts",
    response_class=Response,
    responses=WAV_RESPONSE,
    operation_id="coqui_tts_post",
    openapi_extra=POST_BODY,
)
async def coqui_tts_post(request: Request, service: ServiceDep) -> Response:
    """Coqui ``tts-server``'s endpoint: text → ``audio/wav``, the fields in a form, multipart (with
    ``speaker_wav`` recordings to clone from; several are averaged) or JSON body; query parameters and
    Coqui's headers work too. Voice, by one rule: uploaded ``speaker_wav`` recordings, else a ``speaker_wav``
    saved voice id, else ``speaker_id``, else the default speaker."""
    params = await read_params(request)
    job = await speech_job(service, params)
    return await synthesize_response(service, job, WAV, request)


@router.get("/api/languages", responses=error_responses(401))
async def coqui_languages(service: ServiceDep) -> dict[str, object]:
    return {"languages": service.synth.languages, "default": service.synth.default_language}


@router.get("/api/speakers", responses=error_responses(401))
async def coqui_speakers(service: ServiceDep) -> dict[str, object]:
    return {"speakers": service.store.builtin_ids(), "saved": service.store.saved_ids()}
