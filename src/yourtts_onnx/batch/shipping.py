"""Getting the bundle to a worker's node: its own path when the node sees the same bundle there, else a
copy shipped through Ray's object store and unpacked once per node into the local cache.

The driver reads the bundle's files (``config.json`` and every file it lists) into one object (``ray.put``,
once per run); a worker whose node sees ``spec.bundle`` with the same ``config.json`` (same SHA-256, hence
the same files) uses it and never fetches the object. Otherwise the first worker on the node fetches it and
writes it to ``<cache>/bundles/<config sha>/`` (atomic rename; later workers and later runs reuse it;
``<cache>`` is ``$YOURTTS_ONNX_CACHE`` or ``$XDG_CACHE_HOME/yourtts-onnx``). Measured costs: README, "batch".
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from yourtts_onnx.errors import BundleError
from yourtts_onnx.runtime.bundle import CONFIG_NAME, Bundle
from yourtts_onnx.runtime.user_cache import cache_root

Packed = dict[str, bytes]  # relative path → content


def config_sha256(root: Path) -> str:
    return hashlib.sha256((root / CONFIG_NAME).read_bytes()).hexdigest()


def _safe_relative(name: str) -> str:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise BundleError(f"bundle file name '{name}' must be a relative path inside the bundle")
    return str(p)


def pack_bundle(bundle: Bundle) -> Packed:
    """``config.json`` and every file it lists, as bytes (what a node without the bundle needs)."""
    names = [CONFIG_NAME, *(_safe_relative(n) for n in bundle.config.files)]
    return {name: (bundle.root / name).read_bytes() for name in dict.fromkeys(names)}


def bundle_cache_root() -> Path:
    return cache_root() / "bundles"


@dataclass(frozen=True)
class Located:
    path: Path
    source: str  # "path" (the driver's path), "cache" (unpacked before), "shipped" (fetched and unpacked now)
    fetch_seconds: float = 0.0


def locate_bundle(
    path: str, sha256: str, fetch: Callable[[], Packed] | None, prefer_path: bool = True
) -> Located:
    """Where this node finds the bundle whose ``config.json`` has ``sha256`` (see the module docstring)."""
    given = Path(path)
    if prefer_path:
        with contextlib.suppress(OSError):
            if (given / CONFIG_NAME).is_file() and config_sha256(given) == sha256:
                return Located(given, "path")
    cached = bundle_cache_root() / sha256[:32]
    if (cached / CONFIG_NAME).is_file():
        return Located(cached, "cache")
    if fetch is None:
        raise BundleError(
            f"bundle '{path}' is not on node {socket.gethostname()} (or is a different one there): copy it to the "
            "same path on every node, or let batch ship it through Ray (--ship-bundle always)"
        )
    t0 = time.perf_counter()
    files = fetch()
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{cached.name}.", dir=cached.parent))
    try:
        for name, data in files.items():
            dest = tmp / _safe_relative(name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, cached)  # atomic; another worker of this node may have won the race
        except OSError:
            if not (cached / CONFIG_NAME).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Located(cached, "shipped", time.perf_counter() - t0)
