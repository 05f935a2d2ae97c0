"""The server's settings: one frozen, validated value built by ``yourtts-onnx serve`` (or by tests).

Nothing here imports FastAPI, so the CLI can build and check settings before importing the server stack.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import (
    MAX_HTTP_CONNECTIONS,
    MAX_TIMEOUT_SECONDS,
    MAX_UPLOAD_MB,
    check_float,
    check_int,
)
from yourtts_onnx.serving.load import (
    DEFAULT_MAX_TEXT_CHARS,
    DEFAULT_QUEUE_SIZE,
    LoadControl,
    available_cores,
)

if TYPE_CHECKING:
    from yourtts_onnx.runtime.options import SynthesisOptions

ENV_API_KEY = "YOURTTS_ONNX_API_KEY"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5002  # Coqui's tts-server port, so existing clients keep their URL
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_UPLOAD_MB = 20.0
RETRY_AFTER_SECONDS = 1
DEFAULT_MAX_CONNECTIONS = 256  # connections and requests at once (uvicorn's limit_concurrency)
DEFAULT_BODY_TIMEOUT = 30.0  # seconds between two pieces of a request body
DEFAULT_KEEP_ALIVE = 5.0  # seconds an idle keep-alive connection stays open (uvicorn's default)


def _no_options() -> SynthesisOptions:
    """The default: no server-wide synthesis defaults. Imported here, not at the top: ``yourtts-onnx --help``
    and every other command's argument parsing import this module, and the options pull in numpy and
    onnxruntime (a new process's start-up)."""
    from yourtts_onnx.runtime.options import SynthesisOptions

    return SynthesisOptions()


@dataclass(frozen=True)
class ServerSettings(LoadControl):
    """Everything ``create_app`` needs besides the model.

    The load fields (:class:`~yourtts_onnx.serving.load.LoadControl`): ``workers``: inference threads
    (default: the cores); ``threads``: ONNX Runtime intra-op threads per
    call (default: cores // workers, at least 1); ``queue_size``: requests that may wait for a worker
    beyond those running (more get 503); ``timeout``: seconds a request may take in all, queueing
    included (504 past it); ``max_text_chars``: longest text per request, counted as spoken (numbers written
    out; 422 past it); ``max_upload_mb``: largest request body (413 past it); ``voice_aliases``: voice map
    entries over the defaults (:mod:`~.voice_map`). Every number is bounded (:mod:`~yourtts_onnx.runtime.limits`).
    ``web_site``: a site written by ``yourtts-onnx web-export``, served at ``/local/``.
    ``max_connections``: connections and requests uvicorn serves at once (503 beyond); ``body_timeout``:
    seconds between two pieces of a request body (408 past it: a client trickling a body holds no worker);
    ``keep_alive``: seconds an idle keep-alive connection stays open. ``options``: the defaults of every
    request (scales, sentence pause, utterance cap, Coqui-exact tokenisation; ``loudness``: the integrated
    loudness, LUFS, every response is normalised to, streamed responses by a running measure), what a
    request sets goes on top (:mod:`~yourtts_onnx.serving.request_options`); ``lexicon``: a pronunciation lexicon file (default: the bundle's ``lexicon.json``, if any).
    """

    bundle: Path | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    voices_dir: Path | None = None
    api_key: str | None = None
    workers: int = field(default_factory=available_cores)
    threads: int | None = None
    queue_size: int = DEFAULT_QUEUE_SIZE
    timeout: float = DEFAULT_TIMEOUT
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    retry_after: int = RETRY_AFTER_SECONDS
    voice_aliases: Mapping[str, str] = field(default_factory=dict)
    web_site: Path | None = None  # a `web-export` site, served at /local/
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    keep_alive: float = DEFAULT_KEEP_ALIVE
    options: SynthesisOptions = field(default_factory=_no_options)  # every request's defaults
    lexicon: Path | None = None  # pronunciation lexicon; None: the bundle's lexicon.json, if any

    def __post_init__(self) -> None:
        self.check_load()
        check_int("retry_after", self.retry_after, 1, 3600)
        check_int("port", self.port, 0, 65535)
        check_float("max_upload_mb", self.max_upload_mb, 0.0, MAX_UPLOAD_MB, low_open=True)
        check_int("max_connections", self.max_connections, 1, MAX_HTTP_CONNECTIONS)
        check_float("body_timeout", self.body_timeout, 0.0, MAX_TIMEOUT_SECONDS, low_open=True)
        check_float("keep_alive", self.keep_alive, 0.0, MAX_TIMEOUT_SECONDS, low_open=True)
        from yourtts_onnx.serving.request_options import check_server_defaults

        check_server_defaults(self.options)
        if self.api_key is not None and not self.api_key.strip():
            raise InputError("the API key must not be empty (leave it unset to serve without one)")
        if self.api_key is not None and any(ord(c) < 32 or ord(c) == 127 for c in self.api_key):
            raise InputError("the API key must not hold control characters (it travels in an HTTP header)")

    def uvicorn_options(self) -> dict[str, Any]:
        """The connection bounds for ``uvicorn.run``/``uvicorn.Config`` (the body timeout is the app's)."""
        return {"limit_concurrency": self.max_connections, "timeout_keep_alive": self.keep_alive}

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


def api_key_from_env(given: str | None) -> str | None:
    """The ``--api-key`` value, else ``$YOURTTS_ONNX_API_KEY``, else ``None`` (no authentication)."""
    if given is not None:
        return given
    env = os.environ.get(ENV_API_KEY)
    return env if env else None
