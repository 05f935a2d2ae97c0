"""The HTTP service (``yourtts-onnx serve``; needs the ``server`` extra: FastAPI, uvicorn, python-multipart).

``create_app(settings, synthesizer=None)`` builds the FastAPI application; see :mod:`.app`.
Importing this package does not import FastAPI: the names below load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ServerSettings", "create_app"]

if TYPE_CHECKING:
    from yourtts_onnx.server.app import create_app
    from yourtts_onnx.server.settings import ServerSettings


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from yourtts_onnx.server.app import create_app

        return create_app
    if name == "ServerSettings":
        from yourtts_onnx.server.settings import ServerSettings

        return ServerSettings
    raise AttributeError(f"module 'yourtts_onnx.server' has no attribute {name!r}")
