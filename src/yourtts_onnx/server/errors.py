"""HTTP errors: every failure is a JSON body ``{"error": {"message", "type", "code"}}`` (OpenAI's shape).

Domain errors from the runtime (:mod:`yourtts_onnx.errors`) map to status codes here, once; routes raise
:class:`ApiError` for HTTP-specific cases (not found, conflict, too large, busy, timeout).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from yourtts_onnx.errors import (
    AudioError,
    BundleError,
    InputError,
    MissingDependencyError,
    YourTTSError,
)

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with its HTTP status, a one-line message, a machine-readable code and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


def error_type(status: int) -> str:
    if status == 401:
        return "authentication_error"
    if status == 404:
        return "not_found_error"
    if status in (503, 504):
        return "overloaded_error" if status == 503 else "timeout_error"
    if status >= 500:
        return "server_error"
    return "invalid_request_error"


def error_body(status: int, message: str, code: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type(status), "code": code, **extra}}


def error_response(
    status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        error_body(status, message, code, **extra), status_code=status, headers=dict(headers or {})
    )


def domain_status(exc: YourTTSError) -> tuple[int, str]:
    """Status code and error code for a runtime error."""
    if isinstance(exc, AudioError):
        return 422, "invalid_audio"
    if isinstance(exc, InputError):
        return 422, "invalid_input"
    if isinstance(exc, MissingDependencyError):
        return 500, "missing_dependency"
    if isinstance(exc, BundleError):
        return 500, "bundle_error"
    return 500, "internal_error"


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(
            str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")
        )
        msg = str(err.get("msg", "invalid value"))
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.code, exc.headers)

    @app.exception_handler(YourTTSError)
    async def _domain_error(_request: Request, exc: YourTTSError) -> JSONResponse:
        status, code = domain_status(exc)
        if status >= 500:
            logger.error("request failed: %s", exc)
        return error_response(status, str(exc), code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, _validation_message(exc), "invalid_request")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), None, exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, f"internal server error ({type(exc).__name__})", "internal_error")
