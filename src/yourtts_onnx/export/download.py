"""Fetch the released YourTTS checkpoint into a local cache (standard library only: no torch, no requests).

``resolve_checkpoint("your_tts")`` returns the cached checkpoint directory, downloading and unpacking it
on first use; an existing directory path is returned unchanged. The archive is the one Coqui's model
registry (``TTS/.models.json`` of coqui-ai/TTS) lists for ``tts_models/multilingual/multi-dataset/your_tts``:
``https://coqui.gateway.scarf.sh/v0.10.1_models/tts_models--multilingual--multi-dataset--your_tts.zip``,
a redirect to the GitHub release asset of coqui-ai/TTS ``v0.10.1_models``, which is fetched directly.

* Mirrors: ``--url`` or ``$YOURTTS_ONNX_DOWNLOAD_URL`` replace the URL (any urllib scheme).
* Cache: ``$YOURTTS_ONNX_CACHE``, else ``$XDG_CACHE_HOME/yourtts-onnx``, else ``~/.cache/yourtts-onnx``;
  the archive downloads to ``downloads/NAME.part`` and unpacks to ``models/NAME/``.
* Interrupted transfers resume with an HTTP ``Range`` request (automatically ``retries`` times, and on the
  next run); a server that ignores the range restarts from zero.
* Integrity: with ``--sha256`` (or a known hash) a mismatch deletes the download and fails; without one
  the SHA-256 is printed so that it can be pinned.
* Limits (:mod:`~.limits`): the archive may be at most 2 GiB (declared and counted while downloading); a
  resumed transfer must continue at the byte asked for (``Content-Range``), else it restarts from zero.
  Before unpacking, the entries' declared sizes (4 GiB in all) and compression ratios (200x for entries
  over 1 MB) are checked, and the bytes are counted while unpacking.
* The archive is unpacked into a temporary directory beside the cache entry and renamed into place, so
  ``models/NAME/`` is complete or absent. A nested top folder is fine: the directory holding
  ``config.json`` becomes the checkpoint.

Licence: the released YourTTS weights are licensed CC BY-NC-ND 4.0 (non-commercial, no derivatives);
bundles exported from them carry the same licence.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO

from yourtts_onnx.errors import CheckpointError, DownloadError
from yourtts_onnx.progress import TerminalLine, bar_text
from yourtts_onnx.runtime.atomic import replace_dir
from yourtts_onnx.runtime.limits import (
    MAX_ARCHIVE_MEMBERS,
    MAX_COMPRESSION_RATIO,
    MAX_DOWNLOAD_BYTES,
    MAX_UNPACKED_BYTES,
    RATIO_FREE_BYTES,
)
from yourtts_onnx.runtime.user_cache import cache_root

ENV_URL = "YOURTTS_ONNX_DOWNLOAD_URL"
METADATA_NAME = ".yourtts-onnx-download.json"
CHUNK = 1 << 20
TIMEOUT_S = 30.0
USER_AGENT = "yourtts-onnx-download/1 (+urllib)"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ModelSource:
    name: str
    url: str
    archive: str
    license: str
    registry_url: str = ""
    sha256: str | None = None  # no published checksum for the Coqui release; pin one with --sha256
    description: str = ""


YOURTTS = ModelSource(
    name="your_tts",
    url=(
        "https://github.com/coqui-ai/TTS/releases/download/v0.10.1_models/"
        "tts_models--multilingual--multi-dataset--your_tts.zip"
    ),
    registry_url="https://coqui.gateway.scarf.sh/v0.10.1_models/tts_models--multilingual--multi-dataset--your_tts.zip",
    archive="tts_models--multilingual--multi-dataset--your_tts.zip",
    license="CC BY-NC-ND 4.0",
    description="Coqui YourTTS (multilingual: en, fr-fr, pt-br), from coqui-ai/TTS release v0.10.1_models",
)

KNOWN_MODELS: dict[str, ModelSource] = {YOURTTS.name: YOURTTS}
ALIASES: dict[str, str] = {
    "yourtts": "your_tts",
    "your-tts": "your_tts",
    "tts_models/multilingual/multi-dataset/your_tts": "your_tts",
    "tts_models--multilingual--multi-dataset--your_tts": "your_tts",
}

LICENSE_NOTICE = (
    "licence: the released YourTTS weights are licensed CC BY-NC-ND 4.0 (non-commercial use, no derivatives; "
    "https://creativecommons.org/licenses/by-nc-nd/4.0/); bundles exported from them carry that licence"
)


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def known_model(name: str) -> ModelSource | None:
    key = name.strip()
    return KNOWN_MODELS.get(ALIASES.get(key.lower(), key.lower()))


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """``override``, else the user cache (:func:`~yourtts_onnx.runtime.user_cache.cache_root`)."""
    return cache_root(override)


def model_dir(name: str, cache: str | os.PathLike[str] | None = None) -> Path:
    return cache_dir(cache) / "models" / name


def _is_checkpoint(path: Path) -> bool:
    return (path / "config.json").is_file()


# -- transfer -----------------------------------------------------------------------------------------


class _Bar:
    """Bytes received, as a bar when the total is known, on one line of stderr (only on a terminal)."""

    def __init__(self, total: int | None, start: int, enabled: bool) -> None:
        self.total, self.done = total, start
        self.line = TerminalLine(sys.stderr, enabled)
        self.t0, self.start, self.last = time.monotonic(), start, 0.0

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= 0.1 or (self.total is not None and self.done >= self.total):
            self.last = now
            rate = (self.done - self.start) / max(now - self.t0, 1e-6) / 1e6
            mb = self.done / 1e6
            if self.total:
                frac = min(self.done / self.total, 1.0)
                self.line.draw(
                    f"[{bar_text(self.done, self.total)}] {frac * 100:5.1f}% {mb:8.1f}/{self.total / 1e6:.1f} MB "
                    f"{rate:6.1f} MB/s"
                )
            else:
                self.line.draw(f"{mb:8.1f} MB {rate:6.1f} MB/s")

    def close(self) -> None:
        self.line.close()


def _content_range(response: IO[bytes]) -> tuple[int, int | None] | None:
    """``(first byte, total or None)`` of a ``Content-Range: bytes FIRST-LAST/TOTAL`` header."""
    value = response.headers.get("Content-Range")  # type: ignore[attr-defined]
    m = re.match(r"bytes\s+(\d+)-\d+/(\d+|\*)", value or "")
    if not m:
        return None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) != "*" else None)


def _total_from(response: IO[bytes], offset: int) -> int | None:
    content_range = _content_range(response)
    if content_range is not None and content_range[1] is not None:
        return content_range[1]
    length = response.headers.get("Content-Length")  # type: ignore[attr-defined]
    return offset + int(length) if length and length.isdigit() else None


def _too_big(url: str, size: int, limit: int) -> DownloadError:
    return DownloadError(
        f"download of {url} is {size} bytes, more than the limit of {limit} bytes; refusing it"
    )


def _open(url: str, offset: int) -> IO[bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    return urllib.request.urlopen(request, timeout=TIMEOUT_S)


def _transfer_once(url: str, part: Path, show_bar: bool, max_bytes: int | None = None) -> None:
    """One attempt: resume ``part`` from its current size. Raises DownloadError or OSError-ish errors."""
    max_bytes = MAX_DOWNLOAD_BYTES if max_bytes is None else max_bytes
    offset = part.stat().st_size if part.exists() else 0
    try:
        response = _open(url, offset)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            total = _range_total(exc.headers.get("Content-Range"))
            if total == offset:
                return  # the partial file is already complete
            part.unlink(missing_ok=True)  # stale partial file: start again
            raise _Retry("the server refused to resume; restarting") from None
        raise DownloadError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    with response:
        status = getattr(response, "status", 200)
        if offset and status != 206:
            offset = 0  # the server ignored the Range header: start over
        elif offset:
            content_range = _content_range(response)
            if content_range is None or content_range[0] != offset:
                # a 206 for other bytes than asked for: appending them would corrupt the archive
                part.unlink(missing_ok=True)
                got = "no Content-Range" if content_range is None else f"bytes from {content_range[0]}"
                raise _Retry(f"the server answered a resume from byte {offset} with {got}; restarting")
        total = _total_from(response, offset)
        if total is not None and total > max_bytes:
            raise _too_big(url, total, max_bytes)
        mode = "ab" if offset else "wb"
        bar = _Bar(total, offset, show_bar)
        written = offset
        try:
            with part.open(mode) as fh:
                while True:
                    block = response.read(CHUNK)
                    if not block:
                        break
                    written += len(block)
                    if written > max_bytes or (total is not None and written > total):
                        fh.close()
                        part.unlink(missing_ok=True)
                        limit = f"its declared {total}" if total is not None else f"the limit of {max_bytes}"
                        raise DownloadError(f"{url} sent more than {limit} bytes; the download was deleted")
                    fh.write(block)
                    bar.update(len(block))
        finally:
            bar.close()
    if total is not None and written < total:
        raise _Retry(f"connection closed after {written} of {total} bytes")


class _Retry(Exception):
    """A transfer that stopped early but can be resumed."""


def _range_total(content_range: str | None) -> int | None:
    m = re.match(r"bytes\s+\*/(\d+)", content_range or "")
    return int(m.group(1)) if m else None


def fetch(
    url: str,
    part: Path,
    *,
    retries: int = 3,
    progress: Progress = _stderr,
    show_bar: bool | None = None,
) -> Path:
    """Download ``url`` into ``part`` (resuming what is there); returns ``part`` once complete."""
    part.parent.mkdir(parents=True, exist_ok=True)
    show = sys.stderr.isatty() if show_bar is None else show_bar
    attempts = max(1, retries)
    reason = ""
    for attempt in range(1, attempts + 1):
        try:
            _transfer_once(url, part, show)
            return part
        except _Retry as exc:
            reason = str(exc)
        except urllib.error.URLError as exc:
            reason = f"cannot reach {url}: {getattr(exc, 'reason', exc)}"
        except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, IncompleteRead
            reason = f"transfer interrupted: {exc.__class__.__name__}: {exc}".rstrip(": ")
        if attempt < attempts:
            have = part.stat().st_size if part.exists() else 0
            progress(f"  {reason}; resuming from byte {have} (attempt {attempt + 1} of {attempts})")
            time.sleep(min(0.5 * attempt, 3.0))
    have = part.stat().st_size if part.exists() else 0
    raise DownloadError(f"{reason}; {have} bytes kept in {part}, run the command again to resume")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


# -- unpacking ------------------------------------------------------------------------------------------


def _safe_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's entries, checked before anything is unpacked: names stay inside the target, and the
    declared sizes and compression ratios are within :mod:`~.limits` (a "zip bomb" is refused unread)."""
    infos = archive.infolist()
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise DownloadError(
            f"the archive has {len(infos)} entries, more than {MAX_ARCHIVE_MEMBERS}; refusing to unpack"
        )
    members = []
    declared = 0
    for info in infos:
        name = PurePosixPath(info.filename)
        if (
            name.is_absolute()
            or ".." in name.parts
            or info.filename.startswith(("\\", "/"))
            or ":" in name.parts[0]
        ):
            raise DownloadError(
                f"archive entry '{info.filename}' points outside the archive; refusing to unpack"
            )
        declared += info.file_size
        if declared > MAX_UNPACKED_BYTES:
            raise DownloadError(
                f"the archive unpacks to more than {MAX_UNPACKED_BYTES / (1 << 30):g} GiB; refusing to unpack"
            )
        if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise DownloadError(
                f"archive entry '{info.filename}' unpacks to {info.file_size} bytes from {info.compress_size} "
                f"(more than {MAX_COMPRESSION_RATIO}x); refusing to unpack"
            )
        members.append(info)
    return members


def _extract(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], dest: Path) -> None:
    """Unpack ``members`` into ``dest``, counting the bytes written: an entry producing more than it
    declared, or all of them more than :data:`MAX_UNPACKED_BYTES`, stops the unpacking."""
    written = 0
    for info in members:
        target = dest / info.filename
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        produced = 0
        with archive.open(info) as src, target.open("wb") as out:
            while block := src.read(CHUNK):
                produced += len(block)
                written += len(block)
                if produced > info.file_size or written > MAX_UNPACKED_BYTES:
                    raise DownloadError(
                        f"archive entry '{info.filename}' unpacks to more than it declares; refusing to unpack"
                    )
                out.write(block)


def _checkpoint_root(tree: Path) -> Path:
    """The directory holding ``config.json``: the shallowest one (a nested top folder is common)."""
    found = sorted(tree.rglob("config.json"), key=lambda p: (len(p.relative_to(tree).parts), str(p)))
    if not found:
        raise DownloadError("the archive holds no config.json: it is not a Coqui checkpoint")
    depth = len(found[0].relative_to(tree).parts)
    shallowest = [p for p in found if len(p.relative_to(tree).parts) == depth]
    if len(shallowest) > 1:
        raise DownloadError(
            f"the archive holds {len(shallowest)} config.json files at the same level; which one?"
        )
    return found[0].parent


def unpack(archive_path: Path, dest: Path, metadata: dict[str, object]) -> Path:
    """Unpack the checkpoint in ``archive_path`` to ``dest`` atomically; returns ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        try:
            with zipfile.ZipFile(archive_path) as archive:
                _extract(archive, _safe_members(archive), tmp)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
            raise DownloadError(f"{archive_path}: not a valid zip archive ({exc})") from None
        root = _checkpoint_root(tmp)
        (root / METADATA_NAME).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        replace_dir(root, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


# -- public entry points ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadResult:
    checkpoint: Path
    sha256: str | None
    downloaded: bool
    url: str


def download_model(
    name: str = "your_tts",
    *,
    url: str | None = None,
    sha256: str | None = None,
    cache: str | os.PathLike[str] | None = None,
    force: bool = False,
    keep_archive: bool = False,
    retries: int = 3,
    progress: Progress = _stderr,
    show_bar: bool | None = None,
) -> DownloadResult:
    """Make sure the checkpoint ``name`` is in the cache; download and unpack it when missing.

    Raises:
        CheckpointError: ``name`` is not a known model.
        DownloadError: the transfer, the checksum or the archive failed (nothing is left in ``models/``).
    """
    source = known_model(name)
    if source is None:
        raise CheckpointError(f"unknown model '{name}' (known: {', '.join(KNOWN_MODELS)})")
    dest = model_dir(source.name, cache)
    if _is_checkpoint(dest) and not force:
        return DownloadResult(dest, _recorded_sha(dest), downloaded=False, url="")
    chosen_url = url or os.environ.get(ENV_URL) or source.url
    expected = (sha256 or source.sha256 or "").strip().lower() or None
    if expected is not None and not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise DownloadError(f"--sha256 must be 64 hexadecimal digits, got '{sha256}'")
    downloads = cache_dir(cache) / "downloads"
    part = downloads / f"{source.archive}.part"
    progress(f"downloading {source.name} from {chosen_url}")
    progress(LICENSE_NOTICE)
    try:
        downloads.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create cache directory '{downloads}': {exc.strerror or exc}") from None
    fetch(chosen_url, part, retries=retries, progress=progress, show_bar=show_bar)
    digest = sha256_of(part)
    if expected is not None and digest != expected:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"SHA-256 mismatch for {chosen_url}: expected {expected}, got {digest}; the download was deleted"
        )
    if expected is None:
        progress(f"sha256 {digest} (no published checksum: pass --sha256 {digest} to pin it)")
    metadata = {
        "model": source.name,
        "url": chosen_url,
        "sha256": digest,
        "bytes": part.stat().st_size,
        "license": source.license,
        "downloaded": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    try:
        unpack(part, dest, metadata)
    except DownloadError:
        part.unlink(missing_ok=True)  # a corrupt archive cannot be resumed into a good one
        raise
    except OSError as exc:
        raise DownloadError(f"cannot unpack into '{dest}': {exc.strerror or exc}") from None
    if keep_archive:
        os.replace(part, downloads / source.archive)
    else:
        part.unlink(missing_ok=True)
    progress(f"unpacked to {dest}")
    return DownloadResult(dest, digest, downloaded=True, url=chosen_url)


def _recorded_sha(dest: Path) -> str | None:
    try:
        value = json.loads((dest / METADATA_NAME).read_text(encoding="utf-8")).get("sha256")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def resolve_checkpoint(
    name_or_path: str | os.PathLike[str],
    *,
    cache: str | os.PathLike[str] | None = None,
    progress: Progress = _stderr,
) -> Path:
    """An existing directory unchanged; a known model name (``your_tts``) → its cached checkpoint
    directory, downloaded on first use.

    Raises:
        CheckpointError: neither an existing directory nor a known model name.
        DownloadError: the download failed.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return Path(name_or_path)
    source = known_model(os.fspath(name_or_path))
    if source is None:
        raise CheckpointError(
            f"checkpoint '{os.fspath(name_or_path)}' is not a directory nor a known model name "
            f"(known: {', '.join(KNOWN_MODELS)})"
        )
    return download_model(source.name, cache=cache, progress=progress).checkpoint
