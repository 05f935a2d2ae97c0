"""How this project drives headless Chromium (the browser-build benchmark, scripts/web_bench.py, and the
browser tests): the system's Chromium (Playwright's own browser download is never used) and its flags."""

from __future__ import annotations

import os
import shutil

#: flags of every headless run: no sandbox (containers), no GPU, no background traffic, audio may autoplay
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
)
#: a fake microphone and camera, granted without asking (pages that record)
FAKE_MEDIA_ARGS: tuple[str, ...] = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")


def chromium_executable() -> str:
    """``$YOURTTS_ONNX_CHROMIUM``, else ``chromium`` on the PATH, else Debian's ``/usr/bin/chromium``."""
    return os.environ.get("YOURTTS_ONNX_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
