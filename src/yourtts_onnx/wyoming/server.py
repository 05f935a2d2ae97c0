"""Serving: our own listener on the settings' URI (TCP or a Unix socket), and the optional zeroconf announcement.

The ``wyoming`` library's ``AsyncServer`` is not used: it reads frames without bounds and keeps any number of
connections forever. Here every connection gets TCP keepalive, a header-line limit (the stream reader's
``limit``), at most ``max_connections`` are served at once (one more is told ``server_busy`` and closed), and
each handler closes a connection that stays idle (``SpeechEventHandler.run``). SIGTERM stops the server: the
listener closes, every connection is ended and its work cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from pathlib import Path
from urllib.parse import urlparse

from wyoming.error import Error
from wyoming.event import async_write_event

from yourtts_onnx.errors import require
from yourtts_onnx.runtime.limits import MAX_WYOMING_HEADER_BYTES
from yourtts_onnx.wyoming.handler import SERVER_BUSY, SpeechEventHandler, peer_name
from yourtts_onnx.wyoming.service import WyomingService
from yourtts_onnx.wyoming.settings import WyomingSettings

log = logging.getLogger(__name__)

WILDCARD_HOSTS = ("0.0.0.0", "::", "")
KEEPALIVE_IDLE = 60  # seconds of silence before the first probe
KEEPALIVE_INTERVAL = 10  # seconds between probes
KEEPALIVE_PROBES = 5  # unanswered probes before the peer is declared gone


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


def set_keepalive(sock: socket.socket | None) -> None:
    """TCP keepalive on an accepted connection, so a peer that vanished (power cut, cable) is noticed."""
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (
            ("TCP_KEEPIDLE", KEEPALIVE_IDLE),
            ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL),
            ("TCP_KEEPCNT", KEEPALIVE_PROBES),
        ):
            option = getattr(socket, name, None)
            if option is not None:
                sock.setsockopt(socket.IPPROTO_TCP, option, value)


class Connections:
    """The open connections of one server: accepts (within the cap), tracks and stops them."""

    def __init__(self, service: WyomingService) -> None:
        self.service = service
        self.handlers: set[SpeechEventHandler] = set()

    async def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        set_keepalive(writer.get_extra_info("socket"))
        limit = self.service.settings.max_connections
        if len(self.handlers) >= limit:
            log.warning("%s: refused, %d connections are open (--max-connections)", peer_name(writer), limit)
            message = f"the server is busy: {limit} connections are open; try again later"
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    async_write_event(Error(text=message, code=SERVER_BUSY).event(), writer), 5
                )
            writer.close()
            return
        handler = SpeechEventHandler(self.service, reader, writer)
        self.handlers.add(handler)
        try:
            await handler.run()
        finally:
            self.handlers.discard(handler)

    async def stop(self) -> None:
        await asyncio.gather(*(h.stop() for h in list(self.handlers)), return_exceptions=True)


async def serve(service: WyomingService) -> None:
    """Listen on ``service.settings.uri`` and serve until cancelled (or SIGTERM)."""
    settings = service.settings
    connections = Connections(service)
    if settings.tcp_address is not None:
        host, port = settings.tcp_address
        server = await asyncio.start_server(
            connections.accept, host=host, port=port, limit=MAX_WYOMING_HEADER_BYTES
        )
        path = None
    else:
        path = Path(urlparse(settings.uri).path)
        path.unlink(missing_ok=True)
        server = await asyncio.start_unix_server(
            connections.accept, path=path, limit=MAX_WYOMING_HEADER_BYTES
        )
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    signalled = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, stopped.set)
        signalled = True
    await announce(settings)
    log.info("serving Wyoming on %s (backend %s)", settings.uri, service.synth.backend.name)
    try:
        await server.start_serving()
        await stopped.wait()
    finally:
        if signalled:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGTERM)
        server.close()  # no new connections; then end the open ones (wait_closed waits for them)
        await connections.stop()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5)
        if path is not None:
            path.unlink(missing_ok=True)


def run(service: WyomingService) -> None:
    """Serve in this thread until interrupted; the worker pool is shut down at the end."""
    try:
        asyncio.run(serve(service))
    finally:
        service.close()
