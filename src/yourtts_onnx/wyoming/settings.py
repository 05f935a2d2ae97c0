"""The Wyoming server's settings: one frozen, validated value built by ``yourtts-onnx wyoming`` (or tests).

Nothing here imports the ``wyoming`` package, so the CLI checks its arguments before the extra is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import (
    MAX_WYOMING_CONNECTIONS,
    MAX_WYOMING_IDLE_SECONDS,
    MAX_WYOMING_SAMPLES_PER_CHUNK,
    check_float,
    check_int,
)
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.serving.load import DEFAULT_MAX_TEXT_CHARS, DEFAULT_QUEUE_SIZE, LoadControl, available_cores
from yourtts_onnx.serving.request_options import check_server_defaults
from yourtts_onnx.wyoming.defaults import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_SAMPLES_PER_CHUNK,
    DEFAULT_TIMEOUT,
    DEFAULT_URI,
)

SCHEMES = ("tcp", "unix")


@dataclass(frozen=True)
class WyomingSettings(LoadControl):
    """Everything the server needs besides the model.

    ``uri``: ``tcp://HOST:PORT`` or ``unix://PATH``. ``default_voice``: a built-in speaker
    or saved voice (``None``: the first built-in speaker); ``default_language``: any spelling the bundle
    resolves (``None``: the bundle's default). ``zeroconf``: the service name to announce over mDNS
    (tcp only), ``None`` for no announcement. ``workers``: inference threads shared by all clients;
    ``threads``: ONNX Runtime threads per call (default: cores // workers). ``queue_size``: syntheses
    that may wait for a worker (more get a "busy" error). ``timeout``: seconds one synthesis may take,
    waiting included. ``max_text_chars``: longest text of a request or of a whole text stream.
    ``samples_per_chunk``: audio samples per ``audio-chunk`` event at most. ``streaming``: accept
    ``synthesize-start``/``-chunk``/``-stop`` (advertised as ``supports_synthesize_streaming``).
    ``close_on_error``: after the ``error`` event of a failed ``synthesize`` (not of a text stream, which
    ``synthesize-stopped`` ends anyway), close the connection: Home Assistant's Wyoming TTS client reads
    until ``audio-stop`` and ignores ``error`` events, so a closed connection is how it learns of the failure.
    ``idle_timeout``: seconds a connection may stay silent while nothing is being said for it (and the most
    a frame's body may take to arrive) before it is closed. ``max_connections``: client connections open at
    once; one more gets a ``server_busy`` error and is closed.
    ``options``: how to speak (scales, sentence pause; voice and language are set per request).
    """

    uri: str = DEFAULT_URI
    voices_dir: Path | None = None
    default_voice: str | None = None
    default_language: str | None = None
    zeroconf: str | None = None
    workers: int = field(default_factory=available_cores)
    threads: int | None = None
    queue_size: int = DEFAULT_QUEUE_SIZE
    timeout: float = DEFAULT_TIMEOUT
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    samples_per_chunk: int = DEFAULT_SAMPLES_PER_CHUNK
    streaming: bool = True
    close_on_error: bool = False
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    options: SynthesisOptions = field(default_factory=SynthesisOptions)

    def __post_init__(self) -> None:
        scheme = self.scheme
        if scheme not in SCHEMES:
            raise InputError(f"--uri must start with tcp:// or unix://, got '{self.uri}'")
        if scheme == "tcp":
            parsed = urlparse(self.uri)
            try:
                port = parsed.port
            except ValueError:
                port = None
            if not parsed.hostname or port is None:
                raise InputError(
                    f"--uri needs a host and a port, e.g. tcp://0.0.0.0:10200 (got '{self.uri}')"
                )
        if scheme == "unix" and not urlparse(self.uri).path:
            raise InputError(f"--uri needs a socket path, e.g. unix:///run/yourtts.sock (got '{self.uri}')")
        if self.zeroconf is not None:
            if scheme != "tcp":
                raise InputError("--zeroconf announces a TCP service: use a tcp:// --uri")
            if not self.zeroconf.strip():
                raise InputError("the --zeroconf name must not be empty")
        self.check_load()
        check_int("samples_per_chunk", self.samples_per_chunk, 1, MAX_WYOMING_SAMPLES_PER_CHUNK)
        check_float("idle_timeout", self.idle_timeout, 0.0, MAX_WYOMING_IDLE_SECONDS, low_open=True)
        check_int("max_connections", self.max_connections, 1, MAX_WYOMING_CONNECTIONS)
        check_server_defaults(self.options)

    @property
    def scheme(self) -> str:
        return urlparse(self.uri).scheme

    @property
    def tcp_address(self) -> tuple[str, int] | None:
        """``(host, port)`` of a tcp:// URI, else ``None``."""
        if self.scheme != "tcp":
            return None
        parsed = urlparse(self.uri)
        return parsed.hostname or "", parsed.port or 0  # both present: checked in __post_init__
