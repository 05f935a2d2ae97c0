"""Serving: the wyoming library's async server on the settings' URI, and the optional zeroconf announcement."""

from __future__ import annotations

import asyncio
import logging

from wyoming.server import AsyncServer

from yourtts_onnx.errors import require
from yourtts_onnx.wyoming.service import WyomingService
from yourtts_onnx.wyoming.settings import WyomingSettings

log = logging.getLogger(__name__)

WILDCARD_HOSTS = ("0.0.0.0", "::", "")


async def announce(settings: WyomingSettings) -> object | None:
    """Register ``_wyoming._tcp`` over mDNS (as wyoming-piper's ``--zeroconf`` does), so Home Assistant
    discovers the server; ``None`` when the settings ask for no announcement."""
    if settings.zeroconf is None or settings.tcp_address is None:
        return None
    require("zeroconf", "wyoming")
    from wyoming.zeroconf import HomeAssistantZeroconf

    host, port = settings.tcp_address
    if host.startswith("127.") or host in ("localhost", "::1"):
        log.warning("announcing %s over zeroconf: only this machine can reach it (listen on 0.0.0.0)", host)
    # a wildcard address is no address to announce: let the announcer find this machine's own
    announcer = HomeAssistantZeroconf(
        port=port, name=settings.zeroconf, host=None if host in WILDCARD_HOSTS else host
    )
    await announcer.register_server()
    log.info("announced '%s' over zeroconf", settings.zeroconf)
    return announcer


async def serve(service: WyomingService) -> None:
    """Listen on ``service.settings.uri`` and serve until cancelled (or SIGTERM)."""
    settings = service.settings
    server = AsyncServer.from_uri(settings.uri)
    await announce(settings)
    log.info("serving Wyoming on %s", settings.uri)
    try:
        await server.run(service.handler)
    finally:
        await server.stop()


def run(service: WyomingService) -> None:
    """Serve in this thread until interrupted; the worker pool is shut down at the end."""
    try:
        asyncio.run(serve(service))
    finally:
        service.close()
