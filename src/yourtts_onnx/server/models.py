"""Typed request and response bodies (pydantic); FastAPI validates requests against them (422 otherwise)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MIN_SPEED = 0.25
MAX_SPEED = 4.0


class SpeechRequest(BaseModel):
    """``POST /v1/audio/speech``: OpenAI's body, plus ``language``, ``stream`` and the noise scales."""

    model_config = ConfigDict(extra="ignore")  # OpenAI clients send fields we do not use (instructions, ...)

    model: str = Field("yourtts", description="Accepted and ignored: the server serves one model.")
    input: str = Field(description="The text to speak.")
    voice: str | None = Field(
        None,
        description="A built-in speaker or a saved voice id (GET /v1/voices); default: the first built-in.",
    )
    response_format: str | None = Field(
        None,
        description="wav, pcm (16-bit little-endian mono), flac, mp3, opus; default mp3 (wav where mp3 is unavailable).",
    )
    speed: float = Field(
        1.0, ge=MIN_SPEED, le=MAX_SPEED, description="1.0 is normal; length scale = default / speed."
    )
    language: str | None = Field(
        None, description="A language of the model (GET /api/languages); default: en."
    )
    stream: bool = Field(
        False, description="Send audio sentence by sentence as it is made (wav and pcm only)."
    )
    noise_scale: float | None = Field(None, ge=0.0, le=2.0)
    noise_scale_dp: float | None = Field(None, ge=0.0, le=2.0)


class ClipModel(BaseModel):
    sha256: str
    duration: float
    sample_rate: int


class VoiceModel(BaseModel):
    id: str
    name: str
    builtin: bool
    created: str | None = None
    sources: list[ClipModel] = Field(default_factory=list)


class VoiceList(BaseModel):
    object: Literal["list"] = "list"
    data: list[VoiceModel]


class DeletedVoice(BaseModel):
    id: str
    deleted: bool = True


class LanguagesModel(BaseModel):
    languages: list[str]
    default: str | None


class LimitsModel(BaseModel):
    max_text_chars: int
    max_upload_mb: float
    timeout_seconds: float
    min_speed: float = MIN_SPEED
    max_speed: float = MAX_SPEED


class DetailsModel(BaseModel):
    """What the bundle offers and the server accepts (used by the web page)."""

    model: dict[str, object]
    sample_rate: int
    languages: list[str]
    default_language: str | None
    speakers: list[str]
    can_clone: bool
    formats: list[str]
    default_format: str
    streaming_formats: list[str]
    limits: LimitsModel
    auth_required: bool


class HealthModel(BaseModel):
    status: Literal["ok"] = "ok"
    workers: int
    running: int
    queued: int
    capacity: int


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    owned_by: str = "yourtts-onnx"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
