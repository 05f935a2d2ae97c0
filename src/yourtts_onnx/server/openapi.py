"""The OpenAPI document, made true for this server: what FastAPI derives from the routes, plus what only
the running server knows (its text limit, the formats its libsndfile writes) and what the compatibility
routes read by hand (Coqui's and MaryTTS's parameters, which may come from the query, a form, JSON or
headers, so FastAPI cannot validate them itself).

Schemathesis runs against this document in the test suite (``tests/test_schemathesis.py``) with zero
failures: every status a route answers is documented, every parameter it reads is described, and values
the schema allows are accepted.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from yourtts_onnx.runtime.limits import MAX_UPLOAD_FILES, MAX_VOICE_LABEL_CHARS
from yourtts_onnx.server.formats import openai_formats
from yourtts_onnx.server.settings import ServerSettings
from yourtts_onnx.server.voice_store import VOICE_ID

# texts must hold more than white space (as Python's str.strip() sees it: also U+001C-U+001F and U+0085,
# which JSON Schema's ECMAScript \s does not count)
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"


def _text(max_chars: int, description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": max_chars,
        "pattern": NOT_BLANK,
        "description": description,
    }


def _query_param(operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    for param in operation.get("parameters", []):
        if param.get("in") == "query" and param.get("name") == name:
            return param
    return None


def _require_text(operation: dict[str, Any], name: str, max_chars: int) -> None:
    param = _query_param(operation, name)
    if param is not None:
        param["required"] = True
        param["schema"] = _text(max_chars, param.get("description", ""))


def _enum(operation: dict[str, Any], name: str, values: list[str]) -> None:
    param = _query_param(operation, name)
    if param is not None:
        param["schema"] = {"type": "string", "enum": values}


def _body_schemas(operation: dict[str, Any]) -> list[dict[str, Any]]:
    content = operation.get("requestBody", {}).get("content", {})
    return [media["schema"] for media in content.values() if isinstance(media.get("schema"), dict)]


def adjust(schema: dict[str, Any], settings: ServerSettings) -> dict[str, Any]:
    """Fill in the server's own limits and the hand-read parameters' constraints."""
    limit = settings.max_text_chars
    paths = schema.get("paths", {})
    components = schema.get("components", {}).get("schemas", {})

    # errors are JSON on every route, also those whose answer is audio or text
    error_ref = {"$ref": "#/components/schemas/ErrorModel"}
    for methods in paths.values():
        for operation in methods.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400 and "ErrorModel" in components:
                    response["content"] = {"application/json": {"schema": error_ref}}

    for name in ("SpeechRequest", "CaptionedSpeechRequest"):
        speech = components.get(name, {}).get("properties", {})
        if "input" in speech:
            speech["input"] = _text(limit, speech["input"].get("description", ""))
        if "response_format" in speech:
            speech["response_format"] = {
                "anyOf": [{"type": "string", "enum": openai_formats()}, {"type": "null"}],
                "description": speech["response_format"].get("description", ""),
            }

    coqui_get = paths.get("/api/tts", {}).get("get")
    if coqui_get is not None:
        _require_text(coqui_get, "text", limit)
    coqui_post = paths.get("/api/tts", {}).get("post")
    if coqui_post is not None:
        for body in _body_schemas(coqui_post):
            body["properties"]["text"] = _text(limit, "The text to speak")

    mary_get = paths.get("/process", {}).get("get")
    if mary_get is not None:
        from yourtts_onnx.server.routes.marytts import AUDIO_TYPES

        _require_text(mary_get, "INPUT_TEXT", limit)
        _enum(mary_get, "INPUT_TYPE", ["TEXT", "SSML"])
        _enum(mary_get, "OUTPUT_TYPE", ["AUDIO"])
        _enum(mary_get, "AUDIO", list(AUDIO_TYPES))
    mary_post = paths.get("/process", {}).get("post")
    if mary_post is not None:
        for body in _body_schemas(mary_post):
            body["properties"]["INPUT_TEXT"] = _text(limit, "The text to speak")

    voices_post = paths.get("/v1/voices", {}).get("post")
    if voices_post is not None:
        for body in _body_schemas(voices_post):
            ref = body.get("$ref", "")
            target = components.get(ref.rsplit("/", 1)[-1], body) if ref else body
            target["anyOf"] = [{"required": ["files"]}, {"required": ["file"]}]
            props = target.get("properties", {})
            if "name" in props:
                props["name"] = {
                    **_text(MAX_VOICE_LABEL_CHARS, "A name for people"),
                    "maxLength": MAX_VOICE_LABEL_CHARS,
                }
            if "id" in props:
                props["id"] = {
                    "type": "string",
                    "pattern": VOICE_ID.pattern.replace("^", "^(", 1).replace("$", ")?$"),
                    "description": "The id to save it under (default, or empty: from the name)",
                }
            files = target.get("properties", {}).get("files")
            if isinstance(files, dict):
                target["properties"]["files"] = {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_UPLOAD_FILES,
                    "items": {"type": "string", "format": "binary", "contentMediaType": "audio/*"},
                    "description": files.get("description", ""),
                }
            single = target.get("properties", {}).get("file")
            if isinstance(single, dict):
                target["properties"]["file"] = {
                    "type": "string",
                    "format": "binary",
                    "contentMediaType": "audio/*",
                    "description": single.get("description", ""),
                }
    return schema


def install_openapi(app: FastAPI, settings: ServerSettings) -> None:
    """Serve :func:`adjust`'s document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            # a deep copy: FastAPI shares the routes' openapi_extra dicts (module constants) with the document
            app.openapi_schema = adjust(copy.deepcopy(schema), settings)
        return app.openapi_schema

    setter: Callable[[], dict[str, Any]] = openapi
    app.openapi = setter  # type: ignore[method-assign]
