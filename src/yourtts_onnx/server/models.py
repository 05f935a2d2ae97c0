"""Typed request and response bodies (pydantic); FastAPI validates requests against them (422 otherwise)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yourtts_onnx.runtime.limits import MAX_INSTRUCTIONS_CHARS, MAX_SPEED, MIN_SPEED


class VoiceRef(BaseModel):
    """OpenAI's custom-voice form: ``{"id": "voice_1234"}``."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=256, description="A voice id (GET /v1/voices)")


class SpeechRequest(BaseModel):
    """``POST /v1/audio/speech``: OpenAI's body, plus ``language``, ``stream`` and the noise scales."""

    model_config = ConfigDict(extra="ignore")  # OpenAI clients may send fields we do not know

    model: str = Field(
        "yourtts",
        min_length=1,
        max_length=256,
        description="tts-1, tts-1-hd, gpt-4o-mini-tts, gpt-4o-mini-tts-2025-12-15 or yourtts (GET /v1/models): "
        "all run this server's one model; any other name is 404 model_not_found.",
    )
    input: str = Field(  # length and blankness are checked by the route, with clearer messages
        description="The text to speak: at most the server's max_text_chars (GET /details), counted as "
        "spoken (numbers written out as words); it must hold something the model can pronounce.",
    )
    voice: str | VoiceRef | None = Field(
        None,
        description="A built-in speaker, a saved voice id or an alias such as 'alloy' (GET /v1/voices), as a "
        'string or {"id": ...}; default: the first built-in speaker. An unknown voice is 404 voice_not_found.',
    )
    instructions: str | None = Field(
        None,
        max_length=MAX_INSTRUCTIONS_CHARS,
        description="Accepted for compatibility and ignored: YourTTS has no control of style by prompt.",
    )
    response_format: str | None = Field(
        None,
        description="wav, pcm (24 kHz 16-bit little-endian mono, as OpenAI's), flac, mp3, opus; default mp3 "
        "(wav where mp3 is unavailable). All but pcm and opus keep the model's sample rate.",
    )
    speed: float = Field(
        1.0,
        ge=MIN_SPEED,
        le=MAX_SPEED,
        allow_inf_nan=False,
        description="1.0 is normal; length scale = default / speed.",
    )
    stream_format: Literal["audio", "sse"] | None = Field(
        None,
        description="'sse': server-sent events (speech.audio.delta with base64 audio, then speech.audio.done); "
        "'audio' (default): the audio itself, streamed when 'stream' is true.",
    )
    language: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="A language of the model (GET /v1/languages); default: en. Unknown: 404 language_not_found.",
    )
    stream: bool = Field(
        False, description="Send audio as it is made (wav and pcm; other formats come whole, once encoded)."
    )
    noise_scale: float | None = Field(None, ge=0.0, le=2.0, allow_inf_nan=False)
    noise_scale_dp: float | None = Field(None, ge=0.0, le=2.0, allow_inf_nan=False)
    word_timestamps: bool = Field(
        False,
        description="With stream_format 'sse': also send a 'speech.audio.words' event (words with start_time "
        "and end_time in seconds from the start of the audio, start_char and end_char in 'input') before "
        "each sentence's first audio delta. Off by default, so OpenAI's clients see only OpenAI's events; "
        "ignored without stream_format 'sse' (POST /dev/captioned_speech returns words with whole audio).",
    )

    @property
    def voice_id(self) -> str | None:
        return self.voice.id if isinstance(self.voice, VoiceRef) else self.voice


class WordTimestamp(BaseModel):
    """When one word of the input is spoken (see docs/consumers.md, "Word timestamps")."""

    word: str = Field(
        description="The word as written in the input (punctuation attached, numbers unexpanded)"
    )
    start_time: float = Field(description="Seconds from the start of the audio to the word's first letter")
    end_time: float = Field(description="Seconds from the start of the audio to the end of its last letter")
    start_char: int = Field(description="input[start_char:end_char] is the word (Unicode code points)")
    end_char: int


class CaptionedSpeechRequest(BaseModel):
    """``POST /dev/captioned_speech``: Kokoro-FastAPI's body (``model``, ``input``, ``voice``,
    ``response_format``, ``speed``, ``stream``, ``return_timestamps``, ``lang_code``) plus ``language`` and
    the noise scales."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = Field(None, description="Accepted and ignored: this server runs one model.")
    input: str = Field(description="The text to speak (the same limits as /v1/audio/speech).")
    voice: str | None = Field(
        None,
        description="A built-in speaker, saved voice id or alias (GET /v1/voices); default: the first speaker.",
    )
    response_format: str | None = Field(
        None, description="wav, pcm (24 kHz), flac, mp3, opus; default mp3 (wav where mp3 is unavailable)."
    )
    speed: float = Field(
        1.0, ge=MIN_SPEED, le=MAX_SPEED, allow_inf_nan=False, description="length scale = default / speed"
    )
    stream: bool = Field(
        True,
        description="true (default, as Kokoro-FastAPI): application/x-ndjson, one JSON object per line per audio "
        "chunk, each with that chunk's audio and the words whose sentence starts in it (times from the start of "
        "the whole audio; a format that cannot stream comes in one line); false: one JSON object.",
    )
    return_timestamps: bool = Field(True, description="false: 'timestamps' is null")
    lang_code: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Kokoro-FastAPI's language letter (a, b: en; f: fr-fr; p: pt-br) or a language name; "
        "'language' wins when both are given.",
    )
    language: str | None = Field(
        None, min_length=1, max_length=64, description="A language of the model (GET /v1/languages)."
    )
    noise_scale: float | None = Field(None, ge=0.0, le=2.0, allow_inf_nan=False)
    noise_scale_dp: float | None = Field(None, ge=0.0, le=2.0, allow_inf_nan=False)


class CaptionedSpeechResponse(BaseModel):
    """Kokoro-FastAPI's response: base64 audio, its media type, and the words (also each NDJSON line)."""

    audio: str = Field(description="The audio (this chunk's, when streaming), base64-encoded")
    audio_format: str = Field(description="The audio's media type, e.g. audio/mpeg (as Kokoro-FastAPI)")
    timestamps: list[WordTimestamp] | None = Field(
        description="The words, in order, with monotonic times inside the audio; null when not asked for"
    )


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorModel(BaseModel):
    """Every error: OpenAI's shape."""

    error: ErrorDetail


class ClipModel(BaseModel):
    sha256: str
    duration: float
    sample_rate: int


class VoiceModel(BaseModel):
    id: str
    name: str
    builtin: bool = Field(description="A built-in speaker or an alias: cannot be deleted")
    created: str | None = None
    sources: list[ClipModel] = Field(default_factory=list)
    alias_of: str | None = Field(None, description="For an alias of the voice map: the voice it stands for")
    damaged: bool = Field(False, description="A saved voice whose files cannot be read: delete it")


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
    max_text_chars: int = Field(
        description="Longest text per request, counted as spoken (numbers written out)"
    )
    max_upload_mb: float
    timeout_seconds: float
    max_reference_seconds: float = Field(description="Longest reference recording decoded for cloning")
    max_reference_files: int = Field(description="Recordings averaged into one voice per request")
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
    backend: str = Field(description="The decoding graphs in use: split, components or model (--backend)")
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
    created: int = 0
    owned_by: str = "yourtts-onnx"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
