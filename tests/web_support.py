"""Helpers for the browser-build tests (tests/test_web*.py): Chromium through Playwright, as the server page
test does it (Debian's /usr/bin/chromium; Playwright's own browser download is never used).

Without Chromium, Playwright or ``web/node_modules`` (``make web-deps``) the tests skip with the reason, except
in CI (``$CI`` set), where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import ROOT
from yourtts_onnx.web.chromium import CHROMIUM_ARGS as BASE_CHROMIUM_ARGS
from yourtts_onnx.web.chromium import FAKE_MEDIA_ARGS, chromium_executable

CHROMIUM = chromium_executable()
ORT_WEB = ROOT / "web" / "node_modules" / "onnxruntime-web"
CHROMIUM_ARGS = [*BASE_CHROMIUM_ARGS, *FAKE_MEDIA_ARGS]
READY = "() => document.body.dataset.ready"


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI: run scripts/install-system-deps.sh and `make web-deps`)")
    pytest.skip(reason)


def require_web_deps() -> None:
    if not (ORT_WEB / "package.json").is_file():
        unavailable(f"{ORT_WEB} is missing: run `make web-deps` (cd web && npm ci)")


# WebGPU without a GPU: Chromium's software adapter (SwiftShader), slow but complete
WEBGPU_ARGS = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"]


def launch(playwright, fake_microphone: Path | None = None, webgpu: bool = False):  # type: ignore[no-untyped-def]
    """Chromium headless; ``fake_microphone``: a WAV file the fake capture device plays in a loop;
    ``webgpu``: a (software) WebGPU adapter instead of none."""
    if not Path(CHROMIUM).is_file():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    args = list(CHROMIUM_ARGS)
    if webgpu:
        args = [a for a in args if a != "--disable-gpu"] + WEBGPU_ARGS
    if fake_microphone is not None:
        args.append(f"--use-file-for-fake-audio-capture={fake_microphone}")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args, timeout=60_000)


def open_page(context, url: str, errors: list[str], timeout_ms: int = 120_000):  # type: ignore[no-untyped-def]
    """A page at ``url`` once its model is loaded (or failed to load); JavaScript errors go to ``errors``."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_function(READY, timeout=timeout_ms)
    return page
