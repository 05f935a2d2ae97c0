"""Atomic file output: write to a temporary sibling, then ``os.replace`` it over the destination.

Readers never see a half-written file, and a failure (or Ctrl-C, or SIGTERM in the CLI) leaves nothing
behind. Any ``OSError`` becomes an :class:`~yourtts_onnx.errors.InputError` naming the path: the output
location is the user's choice.

Special files are never replaced: a character device (``/dev/null``, ``/dev/full``) or a FIFO is written
into directly, as a shell redirect would; a block device, socket or directory is refused. A symbolic link
is followed: the file it points to is replaced, the link stays.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from yourtts_onnx.errors import InputError, raise_if_terminated


def is_special_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a character device or a FIFO (written into, never replaced)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early, before any work, when ``path`` cannot be written; returns it as a Path."""
    dest = Path(path)
    try:
        mode: int | None = os.stat(dest).st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"cannot write '{dest}': it is a directory")
    if mode is not None and (stat.S_ISBLK(mode) or stat.S_ISSOCK(mode)):
        kind = "a block device" if stat.S_ISBLK(mode) else "a socket"
        raise InputError(f"cannot write '{dest}': it is {kind}; write to a file, a FIFO or standard output")
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        if not os.access(dest, os.W_OK):
            raise InputError(f"cannot write '{dest}': permission denied")
        return dest
    dest = _resolve_link(dest)
    parent = dest.parent if str(dest.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write '{dest}': directory '{parent}' does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write '{dest}': directory '{parent}' is not writable")
    if dest.exists() and not os.access(dest, os.W_OK):
        raise InputError(f"cannot write '{dest}': the existing file is read-only")
    return dest


def _resolve_link(dest: Path) -> Path:
    """The file a symbolic link points to (so that the link is kept), else ``dest``."""
    return Path(os.path.realpath(dest)) if dest.is_symlink() else dest


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], temp_dir: str | os.PathLike[str] | None = None
) -> Iterator[BinaryIO]:
    """``with atomic_open(p) as fh: fh.write(...)`` — ``p`` appears complete or not at all.

    ``temp_dir``: where the temporary file lives until the rename (default: beside ``p``; it must be on the
    same file system), e.g. a hidden directory so that a killed process leaves nothing beside ``p``.
    A character device or FIFO at ``p`` is opened and written directly (the handle may not seek)."""
    dest = check_writable(path)
    if is_special_file(dest):
        try:
            with open(dest, "wb") as fh:
                yield fh
        except OSError as exc:
            raise InputError(f"cannot write '{dest}': {exc.strerror or exc}") from exc
        return
    tmp_name: str | None = None
    try:
        tmp_dir = dest.parent if temp_dir is None else Path(temp_dir)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=tmp_dir)
        with os.fdopen(fd, "w+b") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600 files; keep an existing file's mode, else the usual 0644 (umask applied).
        try:
            mode = dest.stat().st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_name, mode)
        raise_if_terminated()  # a termination whose exception Python dropped still stops the publish
        os.replace(tmp_name, dest)
        tmp_name = None
    except OSError as exc:
        raise InputError(f"cannot write '{dest}': {exc.strerror or exc}") from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, temp_dir: str | os.PathLike[str] | None = None
) -> None:
    with atomic_open(path, temp_dir) as fh:
        fh.write(data)


@contextlib.contextmanager
def cache_temp_path(dest: str | os.PathLike[str]) -> Iterator[Path | None]:
    """For a cache entry written by a producer that takes a file name (ONNX Runtime's optimised model):
    ``with cache_temp_path(p) as tmp: produce(tmp)`` — a fresh temporary file beside ``p``, renamed over ``p``
    on a clean exit when the producer wrote something into it.

    Best effort, as a cache may be: ``tmp`` is ``None`` when no temporary file can be created there (produce
    without caching), and a failed rename leaves ``p`` as it was. The temporary file never outlives the block.
    """
    dest = Path(dest)
    tmp: str | None = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        os.close(fd)
    except OSError:
        tmp = None
    try:
        yield None if tmp is None else Path(tmp)
        if tmp is not None:
            with contextlib.suppress(OSError):
                if os.path.getsize(tmp) > 0:
                    os.replace(tmp, dest)
                    tmp = None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def replace_dir(src: Path, dest: Path) -> None:
    """Move the finished directory ``src`` to ``dest``, replacing an older ``dest`` as one rename.

    Only for directories inside our own cache; a directory at a user's path is replaced with
    :func:`yourtts_onnx.runtime.output_dir.install_output_dir`, which proves it ours first.

    ``src`` usually comes from ``tempfile.mkdtemp`` (mode 0700); it gets the usual directory mode first.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(src, 0o777 & ~umask)
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
        os.replace(src, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(src, dest)
