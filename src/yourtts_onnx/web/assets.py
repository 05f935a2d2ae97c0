"""Where ``web-export`` finds what it copies into a site: the page (``web/site``), the bundle contract in
JavaScript (``js/``) and onnxruntime-web's files (``web/node_modules/onnxruntime-web/dist``, installed from the
committed lockfile by ``make web-deps``: ``cd web && npm ci``). These live in a checkout of the repository,
not in the wheel; ``--web-dir``/``--onnxruntime-web`` point elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from yourtts_onnx.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[3]
WEB_DIR = REPO_ROOT / "web"
JS_DIR = REPO_ROOT / "js"
ORT_PACKAGE = "onnxruntime-web"

# onnxruntime-web's entry points and the files each loads at run time: the plain WASM build (SIMD, threads when
# cross-origin isolated) and the WebGPU build (its WASM binary also runs the CPU kernels)
ORT_WASM_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
ORT_WEBGPU_FILES = (
    "ort.webgpu.min.mjs",
    "ort-wasm-simd-threaded.asyncify.mjs",
    "ort-wasm-simd-threaded.asyncify.wasm",
)


@dataclass(frozen=True)
class WebAssets:
    """The directories a site is assembled from."""

    site: Path  # the page: index.html, style.css, *.mjs
    js: Path  # the bundle contract (pure ES modules), copied to SITE/lib/
    ort_dist: Path  # onnxruntime-web's dist/
    ort_version: str

    def page_files(self) -> list[Path]:
        return sorted(p for p in self.site.iterdir() if p.is_file() and not p.name.startswith("."))

    def js_modules(self) -> list[Path]:
        return sorted(self.js.glob("*.mjs"))

    def ort_files(self) -> list[Path]:
        return [self.ort_dist / name for name in (*ORT_WASM_FILES, *ORT_WEBGPU_FILES)]


def pinned_ort_version(web_dir: Path) -> str:
    """The onnxruntime-web version ``web/package.json`` pins."""
    package = web_dir / "package.json"
    try:
        deps = json.loads(package.read_text(encoding="utf-8"))["dependencies"]
        return str(deps[ORT_PACKAGE])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{package}: cannot read the pinned {ORT_PACKAGE} version ({exc})") from None


def find_assets(web_dir: Path | None = None, ort_dir: Path | None = None) -> WebAssets:
    """The page, the JavaScript modules and onnxruntime-web; errors name what is missing and how to get it."""
    web = Path(web_dir) if web_dir is not None else WEB_DIR
    js = web.parent / "js" if web_dir is not None else JS_DIR
    site = web / "site"
    if not (site / "index.html").is_file() or not (js / "engine.mjs").is_file():
        raise InputError(
            f"web-export needs the page and JavaScript sources of a yourtts-onnx checkout ({site}, {js}); "
            "run it from a checkout or pass --web-dir CHECKOUT/web"
        )
    pinned = pinned_ort_version(web)
    package_dir = Path(ort_dir) if ort_dir is not None else web / "node_modules" / ORT_PACKAGE
    meta = package_dir / "package.json"
    if not meta.is_file():
        raise InputError(
            f"{ORT_PACKAGE} is not installed at {package_dir}: run `make web-deps` "
            "(cd web && npm ci, from the committed lockfile) or pass --onnxruntime-web DIR"
        )
    try:
        version = str(json.loads(meta.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{meta}: unreadable ({exc})") from None
    if version != pinned:
        raise InputError(
            f"{package_dir}: {ORT_PACKAGE} {version} is installed but web/package.json pins {pinned}: run `make web-deps`"
        )
    dist = package_dir / "dist"
    missing = [name for name in (*ORT_WASM_FILES, *ORT_WEBGPU_FILES) if not (dist / name).is_file()]
    if missing:
        raise InputError(
            f"{dist}: missing {', '.join(missing)} (a damaged {ORT_PACKAGE} install: run `make web-deps`)"
        )
    return WebAssets(site=site, js=js, ort_dist=dist, ort_version=version)
