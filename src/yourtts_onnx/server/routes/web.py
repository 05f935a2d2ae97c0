"""The web page at ``/``: static HTML + JS from the package (no CDN, works offline)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)


def static_dir() -> Path:
    return Path(str(resources.files("yourtts_onnx.server") / "static"))


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(
        static_dir() / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
    )
