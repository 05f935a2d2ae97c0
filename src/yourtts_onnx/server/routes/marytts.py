"""MaryTTS compatibility (as Coqui's server offers it): ``/locales``, ``/voices``, ``/process``.

Written for clients such as Home Assistant's MaryTTS integration (``speak2mary``), which POST
``INPUT_TEXT``, ``INPUT_TYPE=TEXT``, ``OUTPUT_TYPE=AUDIO``, ``LOCALE`` (default ``en_US``), ``AUDIO``
(``WAVE_FILE``, ``AU_FILE`` or ``AIFF_FILE``) and ``VOICE`` (default ``cmu-slt-hsmm``) url-encoded, without
a content type:

* a ``VOICE`` this server does not have falls back to the default voice (logged), so a client configured
  for MaryTTS's own voices works out of the box;
* ``LOCALE`` is matched forgivingly (``en_US`` → ``en``, ``fr`` → ``fr-fr``); one the model lacks is 404;
* ``AUDIO`` picks WAV, Sun AU or AIFF (16-bit PCM at the model's rate);
* MaryTTS's ``effect_*`` parameters are ignored (logged);
* ``INPUT_TYPE=SSML`` requires an SSML document; with ``TEXT`` a text starting with ``<speak`` is SSML anyway
  (the engine's rule).

``/voices`` lists every voice once per language of the model (YourTTS speaks every language with every
voice), as MaryTTS's ``name locale gender type`` lines; ``/locales`` lists the languages as MaryTTS
locales (``fr-fr`` → ``fr_FR``).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from yourtts_onnx.server.errors import ApiError
from yourtts_onnx.server.formats import supported_formats
from yourtts_onnx.server.routes.deps import SYNTHESIS_ERRORS, ServiceDep, error_responses, synthesize_response
from yourtts_onnx.server.service import SpeechJob, TtsService

logger = logging.getLogger(__name__)
router = APIRouter(tags=["marytts"])

# MaryTTS's AUDIO values → our format names
AUDIO_TYPES = {
    "WAVE_FILE": "wav",
    "WAVE": "wav",
    "AU_FILE": "au",
    "AU": "au",
    "AIFF_FILE": "aiff",
    "AIFF": "aiff",
}
DEFAULT_AUDIO = "WAVE_FILE"
PARAMS = ("INPUT_TEXT", "INPUT_TYPE", "OUTPUT_TYPE", "LOCALE", "VOICE", "AUDIO")
_MEDIA = {"audio/wav": {}, "audio/basic": {}, "audio/aiff": {}}
AUDIO_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"description": "The audio, as AUDIO asks (WAV, AU or AIFF)", "content": _MEDIA},
    **error_responses(*SYNTHESIS_ERRORS),
}
_FIELDS = {
    "INPUT_TEXT": {"type": "string", "minLength": 1, "description": "The text to speak"},
    "INPUT_TYPE": {"type": "string", "enum": ["TEXT", "SSML"], "description": "TEXT or SSML"},
    "OUTPUT_TYPE": {"type": "string", "enum": ["AUDIO"], "description": "Only AUDIO"},
    "LOCALE": {"type": "string", "description": "A language of the model, e.g. en_US, fr, pt_BR"},
    "VOICE": {"type": "string", "description": "A voice (GET /voices); unknown ones use the default voice"},
    "AUDIO": {
        "type": "string",
        "enum": list(AUDIO_TYPES),
        "description": "The audio format (default WAVE_FILE)",
    },
}
POST_BODY = {
    "requestBody": {
        "required": True,
        "description": "The parameters url-encoded (MaryTTS clients send them without a content type)",
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "required": ["INPUT_TEXT"], "properties": _FIELDS}
            }
        },
    }
}


def mary_locale(language: str) -> str:
    """``fr-fr`` → ``fr_FR``, ``en`` → ``en``: MaryTTS's spelling of a language."""
    primary, _, region = language.replace("_", "-").partition("-")
    return f"{primary.lower()}_{region.upper()}" if region else primary.lower()


def voice_gender(name: str) -> str:
    words = name.lower().replace("_", "-").split("-")
    return "female" if "female" in words else "male" if "male" in words else "unknown"


@router.get("/locales", response_class=PlainTextResponse, responses=error_responses(401))
async def mary_locales(service: ServiceDep) -> str:
    """The model's languages as MaryTTS locales, one per line."""
    return "".join(f"{mary_locale(lang)}\n" for lang in service.synth.languages)


@router.get("/voices", response_class=PlainTextResponse, responses=error_responses(401))
async def mary_voices(service: ServiceDep) -> str:
    """``name locale gender type`` per voice and language (every voice speaks every language)."""
    voices = [*service.store.builtin_ids(), *service.store.saved_ids()]
    return "".join(
        f"{voice} {mary_locale(lang)} {voice_gender(voice)} yourtts\n"
        for voice in voices
        for lang in service.synth.languages
    )


def _choice(values: dict[str, str], name: str, allowed: list[str], default: str) -> str:
    value = values.get(name, default)
    if value not in allowed:
        raise ApiError(
            422,
            f"{name} '{value}' is not supported (supported: {', '.join(allowed)})",
            "invalid_request",
            param=name,
        )
    return value


def _voice(service: TtsService, requested: str | None) -> str | None:
    """The requested voice when this server has it, else the default voice (``None``), logged."""
    if not requested:
        return None
    known = service.store.known(requested)
    if not known:
        logger.info("MaryTTS voice '%s' is not a voice of this server; using the default voice", requested)
        return None
    return requested


async def _process(request: Request, service: TtsService, values: dict[str, str]) -> Response:
    ignored = sorted(k for k in values if k.startswith("effect_"))
    if ignored:
        logger.info("ignoring MaryTTS effects: %s", ", ".join(ignored))
    text = service.check_text(values.get("INPUT_TEXT"), "INPUT_TEXT")
    input_type = _choice(values, "INPUT_TYPE", ["TEXT", "SSML"], "TEXT")
    _choice(values, "OUTPUT_TYPE", ["AUDIO"], "AUDIO")
    audio = _choice(values, "AUDIO", list(AUDIO_TYPES), DEFAULT_AUDIO)
    fmt = supported_formats().get(AUDIO_TYPES[audio])
    if fmt is None:
        raise ApiError(
            422, f"AUDIO '{audio}' cannot be written here (libsndfile lacks it)", "unsupported_format"
        )
    options = service.options(
        language=values.get("LOCALE") or None,
        voice=_voice(service, values.get("VOICE")),
        language_field="LOCALE",
        voice_field="VOICE",
    )
    if input_type == "SSML":
        options = options.with_(ssml=True)
    await service.check_spoken(text, options, "INPUT_TEXT")
    return await synthesize_response(service, SpeechJob(text=text, options=options), fmt, request)


@router.get("/process", response_class=Response, responses=AUDIO_RESPONSE, operation_id="mary_get")
async def mary_process_get(
    request: Request,
    service: ServiceDep,
    INPUT_TEXT: str | None = Query(None, description="The text to speak; required"),
    INPUT_TYPE: str | None = Query(None, description="TEXT or SSML"),
    OUTPUT_TYPE: str | None = Query(None, description="Only AUDIO"),
    LOCALE: str | None = Query(None, description="A language of the model, e.g. en_US, fr, pt_BR"),
    VOICE: str | None = Query(None, description="A voice; unknown ones use the default voice"),
    AUDIO: str | None = Query(None, description="WAVE_FILE (default), AU_FILE or AIFF_FILE"),
) -> Response:
    """MaryTTS: text → audio, the parameters in the query string."""
    return await _process(request, service, dict(request.query_params))


@router.post(
    "/process",
    response_class=Response,
    responses={**AUDIO_RESPONSE, **error_responses(400)},
    operation_id="mary_post",
    openapi_extra=POST_BODY,
)
async def mary_process_post(request: Request, service: ServiceDep) -> Response:
    """MaryTTS: text → audio, the parameters url-encoded in the body (any or no content type; query
    parameters work too, the body wins)."""
    values = dict(request.query_params)
    try:
        body = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the body must be UTF-8 url-encoded form data", "invalid_body") from None
    try:
        fields = parse_qs(body, max_num_fields=1000)
    except ValueError:
        raise ApiError(400, "the body has too many fields", "invalid_body") from None
    values.update({k: v[0] for k, v in fields.items()})
    return await _process(request, service, values)
