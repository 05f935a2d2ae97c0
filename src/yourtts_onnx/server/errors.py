"""HTTP errors: every failure is a JSON body ``{"error": {"message", "type", "param", "code"}}`` (OpenAI's
shape, on every route).

Domain errors from the runtime (:mod:`yourtts_onnx.errors`) map to status codes here, once; routes raise
:class:`ApiError` for HTTP-specific cases (not found, conflict, too large, busy, timeout). Server faults
(5xx: a damaged bundle or saved voice, an unwritable voices directory, a bug) answer with a message that
names no server path; the details go to the log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
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

GENERIC_FAULT = "internal server error; the details are in the server log"
# HTTP methods the routes may list in an ``Allow`` header, in this order
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class ApiError(Exception):
    """An error with its HTTP status, a one-line message, a machine-readable code, the request field it
    is about (``param``) and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = dict(headers or {})


class ServerFault(YourTTSError):
    """A fault of the server's own state (not of the request): answered 500 with :attr:`public`, a message
    without server paths; ``str(fault)`` (the log line) may name them."""

    def __init__(self, detail: str, public: str, code: str = "internal_error") -> None:
        super().__init__(detail)
        self.public = public
        self.code = code


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


def error_body(
    status: int, message: str, code: str | None = None, param: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type(status), "param": param, "code": code, **extra}}


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    param: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(status, message, code, param), status_code=status, headers=dict(headers or {})
    )


def domain_status(exc: YourTTSError) -> tuple[int, str]:
    """Status code and error code for a runtime error."""
    if isinstance(exc, ServerFault):
        return 500, exc.code
    if isinstance(exc, AudioError):
        return 422, "invalid_audio"
    if isinstance(exc, InputError):
        return 422, "invalid_input"
    if isinstance(exc, MissingDependencyError):
        return 500, "missing_dependency"
    if isinstance(exc, BundleError):
        return 500, "bundle_error"
    return 500, "internal_error"


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    parts = []
    params = []
    for err in exc.errors():
        loc = ".".join(
            str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")
        )
        msg = str(err.get("msg", "invalid value"))
        parts.append(f"{loc}: {msg}" if loc else msg)
        if loc:
            params.append(loc)
    return "; ".join(parts) or "invalid request", (params[0] if params else None)


def route_methods(routers: Iterable[Any]) -> list[tuple[re.Pattern[str], set[str]]]:
    """Each route's path pattern and methods, for :func:`allowed_methods` (kept on ``app.state``)."""
    return [
        (route.path_regex, set(route.methods))
        for router in routers
        for route in router.routes
        if getattr(route, "methods", None) and getattr(route, "path_regex", None) is not None
    ]


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (routes of one path may be registered apart)."""
    methods: set[str] = set()
    path = request.url.path
    for pattern, route_methods in getattr(request.app.state, "route_methods", []):
        if pattern.match(path):
            methods.update(route_methods)
    return [m for m in METHOD_ORDER if m in methods] + sorted(methods - set(METHOD_ORDER))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.code, exc.headers, exc.param)

    @app.exception_handler(YourTTSError)
    async def _domain_error(_request: Request, exc: YourTTSError) -> JSONResponse:
        status, code = domain_status(exc)
        if status >= 500:
            logger.error("request failed: %s", exc)
            public = exc.public if isinstance(exc, ServerFault) else GENERIC_FAULT
            return error_response(status, public, code)
        return error_response(status, str(exc), code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(exc)
        return error_response(422, message, "invalid_request", param=param)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        code = {400: "invalid_body", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return error_response(exc.status_code, str(exc.detail), code, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, GENERIC_FAULT, "internal_error")
