"""Reading Wyoming frames with bounds: the ``wyoming`` library's reader trusts the lengths a client declares
(``readexactly(data_length)`` with no upper bound), so the server reads frames itself.

A frame is a JSON header line (at most :data:`~yourtts_onnx.runtime.limits.MAX_WYOMING_HEADER_BYTES`, the
stream reader's limit), then ``data_length`` bytes of JSON merged into the header's ``data`` (bounded by what a
request of the longest accepted text can need), then ``payload_length`` bytes (we accept no event that needs
one: bounded small). Every declared length is checked before a byte of it is read, and the body of a frame
must arrive within the idle timeout. Anything else is a :class:`FrameError` with a one-line reason.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from wyoming.event import Event

from yourtts_onnx.runtime.limits import (
    MAX_WYOMING_HEADER_BYTES,
    MAX_WYOMING_PAYLOAD_BYTES,
    wyoming_data_limit,
)


class FrameError(Exception):
    """A frame the server will not read: ``str(err)`` is a one-line reason."""


@dataclass(frozen=True)
class FrameLimits:
    header: int = MAX_WYOMING_HEADER_BYTES
    data: int = wyoming_data_limit(5000)
    payload: int = MAX_WYOMING_PAYLOAD_BYTES
    body_timeout: float = 60.0  # seconds the data and payload of a frame may take to arrive

    @classmethod
    def for_text(cls, max_text_chars: int, body_timeout: float) -> FrameLimits:
        return cls(data=wyoming_data_limit(max_text_chars), body_timeout=body_timeout)


def _length(header: dict[str, Any], key: str, limit: int) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FrameError(f"{key} must be a non-negative integer")
    if value > limit:
        raise FrameError(f"{key} {value} is over the limit of {limit} bytes")
    return value


def parse_header(line: bytes, limits: FrameLimits) -> tuple[dict[str, Any], int, int]:
    """The header's object and its checked data and payload lengths."""
    try:
        header = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise FrameError("the header line is not JSON") from None
    if not isinstance(header, dict):
        raise FrameError("the header is not a JSON object")
    if not isinstance(header.get("type"), str):
        raise FrameError("the header has no string 'type'")
    data = header.get("data")
    if data is not None and not isinstance(data, dict):
        raise FrameError("the header's 'data' is not an object")
    return (
        header,
        _length(header, "data_length", limits.data),
        _length(header, "payload_length", limits.payload),
    )


CLIENT_LIMITS = FrameLimits(data=1 << 20, payload=4 << 20)  # what a server may send us: audio chunks


async def read_event(reader: asyncio.StreamReader, limits: FrameLimits) -> Event | None:
    """One whole frame with bounds (``None`` at the end of the stream): for clients of a server we do not
    control. Raises :class:`FrameError`."""
    try:
        line = await reader.readline()
    except ValueError:
        raise FrameError(f"a header line longer than {limits.header} bytes") from None
    if not line:
        return None
    header, data_len, payload_len = parse_header(line, limits)
    try:
        return await read_body(reader, header, data_len, payload_len, limits)
    except asyncio.IncompleteReadError:
        return None


async def read_body(reader: asyncio.StreamReader, header: dict[str, Any], data_len: int, payload_len: int,
                    limits: FrameLimits) -> Event:  # fmt: skip
    """The rest of a frame whose header was read; the lengths were checked against ``limits``."""
    data = dict(header.get("data") or {})

    async def body() -> tuple[bytes, bytes | None]:
        raw = await reader.readexactly(data_len) if data_len else b""
        return raw, (await reader.readexactly(payload_len) if payload_len else None)

    try:
        raw, payload = await asyncio.wait_for(body(), limits.body_timeout)
    except asyncio.TimeoutError:
        raise FrameError(f"the frame's body did not arrive within {limits.body_timeout:g} s") from None
    if raw:
        try:
            extra = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            raise FrameError("the event data is not JSON") from None
        if not isinstance(extra, dict):
            raise FrameError("the event data is not a JSON object")
        data.update(extra)
    return Event(type=header["type"], data=data, payload=payload)
