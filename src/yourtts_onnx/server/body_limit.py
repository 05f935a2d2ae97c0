"""Request-body size limit (413), enforced before a large upload is read into memory or onto disk, and a
body timeout (408): a client that pauses longer than ``body_timeout`` seconds between two pieces of its body
holds no worker and no memory for long.

A declared ``Content-Length`` over the limit is answered at once; a chunked body is counted as it
arrives, and once it passes the limit (or stalls) the application sees the body end there and its response is
replaced by the 413 (or 408).
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yourtts_onnx.server.errors import error_body


def too_large_message(limit_bytes: int) -> str:
    return f"request body is larger than the upload limit of {limit_bytes / (1024 * 1024):g} MB"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit_bytes: int, body_timeout: float = 30.0) -> None:
        self.app = app
        self.limit = limit_bytes
        self.body_timeout = body_timeout

    async def _reject(self, send: Send, refusal: tuple[int, str, str] | None = None) -> None:
        status, message, code = refusal or (413, too_large_message(self.limit), "upload_too_large")
        body = json.dumps(error_body(status, message, code)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await self._reject(send)
                    return
        received = 0
        exceeded = False
        refusal: tuple[int, str, str] | None = None
        body_done = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded, refusal, body_done
            if exceeded:
                return {"type": "http.disconnect"}
            if body_done:  # later receives wait for the client to leave: no timeout
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except asyncio.TimeoutError:
                exceeded = True
                refusal = (
                    408,
                    f"the request body paused for more than {self.body_timeout:g} s; send it without pauses",
                    "request_timeout",
                )
                return {"type": "http.request", "body": b"", "more_body": False}
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > self.limit:
                    exceeded = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                if not started:
                    started = True
                    await self._reject(send, refusal)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)
        if exceeded and not started:
            await self._reject(send, refusal)
