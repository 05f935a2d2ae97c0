"""The user's cache directory of yourtts-onnx: ``$YOURTTS_ONNX_CACHE``, else ``$XDG_CACHE_HOME/yourtts-onnx``
(``~/.cache/yourtts-onnx``). Downloads, verified-integrity stamps, saved optimised graphs and bundles shipped
to batch workers each live in a folder of their own below it; losing any of them only costs time."""

from __future__ import annotations

import os
from pathlib import Path

ENV_CACHE = "YOURTTS_ONNX_CACHE"


def cache_root(override: str | os.PathLike[str] | None = None) -> Path:
    """``override``, else ``$YOURTTS_ONNX_CACHE``, else ``$XDG_CACHE_HOME/yourtts-onnx`` (``~/.cache``)."""
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "yourtts-onnx"
