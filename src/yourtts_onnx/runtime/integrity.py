"""Bundle integrity without hashing hundreds of megabytes on every start.

``config.json`` records every file's SHA-256 and size. Hashing them all (100-270 MB) was the largest part of
a cold start, so a full check is done once and remembered: a *verified stamp* in the user's cache records, per
file, the SHA-256 that was verified together with the file's identity at that moment (device, inode, size,
modification and status-change times in nanoseconds). On the next start a file whose identity is unchanged
is not hashed again; any write to it changes its mtime and ctime (ctime cannot be set back from user space),
a replaced file has another inode, so a changed file is always hashed again and caught.

Modes: ``"full"`` hashes everything (``verify`` and ``--verify-hashes``), ``"stamp"`` (the default) hashes
only files not verified before in their current state, ``"none"`` checks existence and size only.
The stamp is a cache: losing it only costs one full check; failing to write it is not an error.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime.atomic import atomic_write_bytes
from yourtts_onnx.runtime.limits import MAX_CONFIG_BYTES
from yourtts_onnx.runtime.user_cache import cache_root

INTEGRITY_MODES = ("full", "stamp", "none")
STAMP_VERSION = 1


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def stamp_dir() -> Path:
    """``verified/`` in the user cache (:func:`~yourtts_onnx.runtime.user_cache.cache_root`)."""
    return cache_root() / "verified"


def _identity(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _stamp_path(root: Path) -> Path:
    key = hashlib.sha256(os.fsencode(root.resolve())).hexdigest()[:32]
    return stamp_dir() / f"{key}.json"


def _read_stamp(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:  # a stamp lists the bundle's files: far smaller
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("version") != STAMP_VERSION
        or not isinstance(data.get("files"), dict)
    ):
        return {}
    return data["files"]


def _write_stamp(path: Path, root: Path, files: Mapping[str, Any]) -> None:
    """Best effort, atomic: a cache that cannot be written only costs speed."""
    stamp = {"version": STAMP_VERSION, "root": str(root.resolve()), "files": dict(files)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(stamp).encode("utf-8"))
    except (OSError, InputError):
        pass


def check_integrity(
    root: Path, files: Mapping[str, Any], mode: str = "stamp", where: str = "config.json"
) -> int:
    """Check every file listed in ``files`` (relative path → ``{"sha256", "bytes"}``) under ``root``.

    Raises :class:`BundleError` naming the first missing, resized or changed file. Returns how many files
    were hashed (0 on a warm start with the stamp).
    """
    if mode not in INTEGRITY_MODES:
        raise InputError(f"unknown integrity mode {mode!r}; choose one of {', '.join(INTEGRITY_MODES)}")
    stamp_path = _stamp_path(root)
    stamp = _read_stamp(stamp_path) if mode == "stamp" else {}
    new_stamp: dict[str, Any] = {}
    hashed = 0
    for rel, meta in files.items():
        path = root / rel
        try:
            st = path.stat()
        except OSError:
            raise BundleError(f"{root}: missing file '{rel}' listed in {where}") from None
        if not path.is_file():
            raise BundleError(f"{root}: '{rel}' listed in {where} is not a regular file")
        meta = meta if isinstance(meta, dict) else {}
        size, expected = meta.get("bytes"), meta.get("sha256")
        if isinstance(size, int) and st.st_size != size:
            raise BundleError(
                f"{path}: {st.st_size} bytes, but {where} says {size} (file changed or truncated)"
            )
        if mode == "none" or not isinstance(expected, str):
            continue
        identity = _identity(st)
        seen = stamp.get(rel)
        if isinstance(seen, dict) and seen.get("identity") == identity and seen.get("sha256") == expected:
            new_stamp[rel] = seen
            continue
        hashed += 1
        if sha256_file(path) != expected:
            raise BundleError(f"{path}: SHA-256 mismatch (file changed or corrupt since export)")
        new_stamp[rel] = {"identity": identity, "sha256": expected}
    if mode != "none" and (hashed or new_stamp != stamp):
        _write_stamp(stamp_path, root, new_stamp)
    return hashed
