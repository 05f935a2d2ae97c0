"""The web page at ``/``: static HTML + JS from the package (no CDN, works offline); and, when one is given,
a site built by ``yourtts-onnx web-export`` at ``/local/`` (the model runs in the browser), served with the
cross-origin isolation headers that multi-threaded WASM needs."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from yourtts_onnx.errors import InputError

WEB_SITE_PATH = "/local"
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}

router = APIRouter(include_in_schema=False)


def static_dir() -> Path:
    return Path(str(resources.files("yourtts_onnx.server") / "static"))


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(
        static_dir() / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


class IsolatedSite(StaticFiles):
    """Static files sent with COOP/COEP, so the page is cross-origin isolated (WASM threads)."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers.update(ISOLATION_HEADERS)
        return response


def mount_web_site(app: FastAPI, directory: Path) -> None:
    """Serve the ``web-export`` site in ``directory`` at ``/local/``."""
    if not (directory / "site.json").is_file() or not (directory / "index.html").is_file():
        raise InputError(
            f"{directory}: not a site written by 'yourtts-onnx web-export' (no site.json/index.html)"
        )
    app.mount(WEB_SITE_PATH, IsolatedSite(directory=directory, html=True), name="web-site")
