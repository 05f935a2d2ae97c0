"""A local static server for a built site, with the headers multi-threaded WASM needs (COOP/COEP), for
trying a site, the browser tests and the benchmark script. ``yourtts-onnx serve --web-site`` is the other
way (the site at ``/local/`` beside the HTTP API); any static host works for deployment.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}
EXTRA_TYPES = {
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".onnx": "application/octet-stream",
    ".npy": "application/octet-stream",
}


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files with COOP/COEP (``isolate``) and no caching by the HTTP cache (the page caches itself)."""

    isolate = True
    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map, **EXTRA_TYPES}

    def end_headers(self) -> None:
        if self.isolate:
            for name, value in ISOLATION_HEADERS.items():
                self.send_header(name, value)
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_site(directory: str | Path, *, isolate: bool = True, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``directory`` on a free port in a background thread; yields the base URL (``http://host:port/``)."""
    handler = type("Handler", (SiteHandler,), {"isolate": isolate})
    server = ThreadingHTTPServer((host, 0), functools.partial(handler, directory=str(directory)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-preview", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
