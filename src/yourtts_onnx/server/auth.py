"""Optional API key: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` on every protected route.

``/health``, the web page and its static files, and the OpenAPI docs are public (a browser cannot send
a header when it opens a page; none of them runs the model or shows data). The page asks for the key and
sends it with its API calls.

Keys are compared as bytes, in constant time: the header's raw bytes (which the ASGI server hands over as
latin-1 text) against the key's UTF-8 bytes, and against its latin-1 bytes when it has them (what Python's
``requests`` and ``http.client`` send for a ``str`` header). So a non-ASCII key works as clients send it,
and any other header bytes are simply a wrong key (401), never an error. Every credential sent must be
the key: both headers when both are sent, and an ``Authorization`` header of another scheme is wrong.
"""

from __future__ import annotations

import contextlib
import secrets

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from yourtts_onnx.server.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API key>")


def header_bytes(value: str) -> bytes:
    """The bytes a header value arrived as (Starlette decodes headers as latin-1)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # not from the wire (a test client, an embedding app): compare its UTF-8
        return value.encode("utf-8", "surrogatepass")


def api_key_dependency(expected: str | None) -> object:
    """A FastAPI dependency that checks the key, or one that does nothing when no key is set."""
    if expected is None:

        async def no_auth() -> None:
            return None

        return Depends(no_auth)

    accepted = [expected.encode("utf-8")]
    with contextlib.suppress(UnicodeEncodeError):
        accepted.append(expected.encode("latin-1"))

    def valid(key: str) -> bool:
        given_bytes = header_bytes(key)
        matches = [secrets.compare_digest(given_bytes, k) for k in accepted]  # all compared: constant time
        return any(matches)

    async def check(
        request: Request,
        _bearer_doc: HTTPAuthorizationCredentials | None = Depends(_bearer),  # for the OpenAPI document
        _header_doc: str | None = Depends(_header),
    ) -> None:
        given = []
        header_key = request.headers.get("x-api-key")
        if header_key is not None:
            given.append(header_key)
        authorization = request.headers.get("authorization")
        if authorization is not None:
            scheme, _, credentials = authorization.strip().partition(" ")
            given.append(credentials.strip() if scheme.lower() == "bearer" else "")  # other schemes: wrong
        if not given:
            raise ApiError(
                401,
                "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                "missing_api_key",
                {"WWW-Authenticate": "Bearer"},
            )
        if not all([valid(key) for key in given]):  # every credential sent must be the key
            raise ApiError(401, "invalid API key", "invalid_api_key", {"WWW-Authenticate": "Bearer"})

    return Depends(check)
