"""Saved (cloned) and built-in voices: ``/v1/voices``."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Request, UploadFile

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import MAX_BLEND_CHARS, MAX_UPLOAD_FILES, MAX_VOICE_LABEL_CHARS
from yourtts_onnx.server.errors import ApiError
from yourtts_onnx.server.models import DeletedVoice, VoiceList, VoiceModel
from yourtts_onnx.server.routes.deps import ServiceDep, error_responses
from yourtts_onnx.server.service import TtsService
from yourtts_onnx.server.voice_store import (
    BuiltinVoiceError,
    VoiceExistsError,
    VoiceNotFoundError,
    VoiceRecord,
    check_voice_id,
)

router = APIRouter(tags=["voices"])


def _model(record: VoiceRecord) -> VoiceModel:
    return VoiceModel.model_validate(record.to_dict())


@router.get("/v1/voices", response_model=VoiceList, responses=error_responses(401))
async def list_voices(service: ServiceDep) -> VoiceList:
    """Built-in speakers (``builtin: true``), saved voices (``damaged: true`` when their files cannot be
    read), then the aliases of the voice map (``alias_of``: OpenAI's alloy, ash, ... by default)."""
    return VoiceList(data=[_model(r) for r in service.store.list()])


@router.get("/v1/voices/{voice_id}", response_model=VoiceModel, responses=error_responses(401, 404))
async def get_voice(voice_id: str, service: ServiceDep) -> VoiceModel:
    try:
        return _model(service.store.record(voice_id))
    except VoiceNotFoundError as exc:
        raise ApiError(404, str(exc), "voice_not_found", param="voice_id") from None


@router.post(
    "/v1/voices",
    response_model=VoiceModel,
    status_code=201,
    responses=error_responses(400, 401, 409, 413, 422, 503, 504),
)
async def create_voice(
    request: Request,
    service: ServiceDep,
    name: str = Form(..., max_length=MAX_VOICE_LABEL_CHARS, description="A name for people (not blank)"),
    voice_id: str | None = Form(
        None,
        alias="id",
        description="The id to save it under (default, or empty: from the name)",
    ),
    files: list[UploadFile] | None = File(
        None, description="One or more recordings of the voice (WAV/FLAC/OGG/MP3)"
    ),
    file: UploadFile | None = File(None, description="A single recording (same as one 'files' part)"),
    blend: str | None = Form(
        None,
        max_length=MAX_BLEND_CHARS,
        description="Instead of recordings: a blend of voices, 'name(weight)+name(weight)...'",
    ),
) -> VoiceModel:
    """Clone a voice from one or more recordings, or mix one from others (``blend``), and save it; ``201``
    with the new voice."""
    if not name.strip():
        raise ApiError(422, "'name' must not be blank", "invalid_input")
    if blend is not None and (files or file is not None):
        raise ApiError(422, "give either recordings or 'blend', not both", "invalid_input", param="blend")
    if voice_id is not None and voice_id != "":
        check_voice_id(voice_id)
        if service.store.exists(voice_id):
            raise ApiError(
                409,
                f"voice '{voice_id}' already exists; choose another id or delete it first",
                "voice_exists",
            )
    if files and len(files) > MAX_UPLOAD_FILES:
        raise ApiError(
            422,
            f"{len(files)} files were uploaded; at most {MAX_UPLOAD_FILES} are taken",
            "invalid_audio",
            param="files",
        )
    if blend is not None:
        return _model(_save_blend(service, voice_id, name.strip(), blend))
    uploads = [*(files or []), *([file] if file is not None else [])]
    recordings = [await f.read() for f in uploads]
    cloned = await service.clone(recordings, request.is_disconnected)
    for _attempt in range(3):  # an id chosen from the name may be taken meanwhile: choose again
        new_id = voice_id or service.store.new_id(name)
        try:
            record = service.store.create(new_id, name.strip(), cloned)
            break
        except VoiceExistsError as exc:
            if voice_id:
                raise ApiError(409, str(exc), "voice_exists") from None
    else:
        raise ApiError(409, "could not choose a free voice id; give one with 'id'", "voice_exists")
    return _model(record)


def _save_blend(service: TtsService, voice_id: str | None, name: str, blend: str) -> VoiceRecord:
    for _attempt in range(3):
        new_id = voice_id or service.store.new_id(name)
        try:
            return service.store.save_blend(new_id, name, blend)
        except VoiceNotFoundError as exc:
            raise ApiError(404, str(exc), "voice_not_found", param="blend") from None
        except VoiceExistsError as exc:
            if voice_id:
                raise ApiError(409, str(exc), "voice_exists") from None
        except InputError as exc:
            raise ApiError(422, str(exc), "invalid_input", param="blend") from None
    raise ApiError(409, "could not choose a free voice id; give one with 'id'", "voice_exists")


@router.delete("/v1/voices/{voice_id}", response_model=DeletedVoice, responses=error_responses(401, 403, 404))
async def delete_voice(voice_id: str, service: ServiceDep) -> DeletedVoice:
    """Delete a saved voice, damaged or not; built-in speakers and aliases cannot be deleted (403)."""
    try:
        service.store.delete(voice_id)
    except BuiltinVoiceError as exc:
        raise ApiError(403, str(exc), "builtin_voice", param="voice_id") from None
    except VoiceNotFoundError as exc:
        raise ApiError(404, str(exc), "voice_not_found", param="voice_id") from None
    return DeletedVoice(id=voice_id)
