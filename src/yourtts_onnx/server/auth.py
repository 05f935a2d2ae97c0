"""Optional API key: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` on every protected route.

``/health``, the web page and its static files, and the OpenAPI docs are public (a browser cannot send
a header when it opens a page; none of them runs the model or shows data). The page asks for the key and
sends it with its API calls.

Keys are compared as bytes: the header's raw bytes (which the ASGI server hands over as latin-1 text)
against the key's UTF-8 bytes, in constant time. So a non-ASCII key works when a client sends it as UTF-8,
and any other header bytes are simply a wrong key (401), never an error.
"""

from __future__ import annotations

import secrets

from fastapi import Depends
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

    expected_bytes = expected.encode("utf-8")

    async def check(
        bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
        header_key: str | None = Depends(_header),
    ) -> None:
        given = header_key if header_key else (bearer.credentials if bearer is not None else None)
        if given is None:
            raise ApiError(
                401,
                "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                "missing_api_key",
                {"WWW-Authenticate": "Bearer"},
            )
        if not secrets.compare_digest(header_bytes(given), expected_bytes):
            raise ApiError(401, "invalid API key", "invalid_api_key", {"WWW-Authenticate": "Bearer"})

    return Depends(check)
