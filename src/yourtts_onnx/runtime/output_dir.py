"""Output directories that a command writes whole (a bundle, a site, a voice model, a random checkpoint).

Such a directory is built in a temporary sibling and renamed into place; an older one at the same path is
replaced only when it is **proven ours by content we wrote**: an owner file, :data:`OWNER_FILE`, with a format
stamp, the kind of directory and the list of every file and directory written. A directory without it (a
project that happens to hold a ``site.json`` or ``config.json``), of another kind, or holding anything that
is not on its list (a ``CNAME`` or ``blog/`` the user added) is refused with a one-line error naming what is
in the way; nothing is deleted. The output may never be, contain or lie inside an input (the bundle or
checkpoint read), nor be the current directory or one of its ancestors.

When the replacement happens, only the listed files and (then empty) directories of the old copy are
removed; anything that appeared in it since the check is kept (moved aside and named in a warning).

    parent = prepare_output_dir(out, "site", inputs=[bundle.root])   # before any work
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    ...                                                               # write into tmp
    install_output_dir(tmp, out, "site", inputs=[bundle.root])        # stamp, check again, rename
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from yourtts_onnx import __version__
from yourtts_onnx.errors import InputError, YourTTSError
from yourtts_onnx.runtime.limits import MAX_OWNED_ENTRIES, MAX_OWNER_FILE_BYTES

log = logging.getLogger(__name__)

OWNER_FILE = ".yourtts-onnx-output.json"
OWNER_FORMAT = "yourtts-onnx-output"
OWNER_FORMAT_VERSION = 1
KINDS = ("bundle", "site", "voice", "checkpoint")


def _short(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _absolute(path: Path) -> Path:
    """``path`` made absolute with its links resolved (what a rename or delete would act on)."""
    return Path(os.path.realpath(path))


def check_not_inputs(out: Path, inputs: Iterable[Path], error: type[YourTTSError] = InputError) -> Path:
    """Refuse an output that is, contains or lies inside an input, or holds the current directory."""
    target = _absolute(out)
    cwd = _absolute(Path.cwd())
    if target == cwd or target in cwd.parents:
        what = "the current directory" if target == cwd else "an ancestor of the current directory"
        raise error(f"{out}: is {what}; write to a new subdirectory instead (e.g. --out {out}/site)")
    for item in inputs:
        src = _absolute(Path(item))
        if target == src:
            raise error(f"{out}: is the input '{item}' itself; write somewhere else")
        if target in src.parents:
            raise error(f"{out}: contains the input '{item}'; replacing it would delete the input")
        if src in target.parents:
            raise error(f"{out}: lies inside the input '{item}'; write outside it")
    return target


def _read_owner(out: Path, kind: str, error: type[YourTTSError]) -> dict[str, Any]:
    """The owner file of a non-empty ``out``, checked: a regular file we wrote, of this ``kind``."""
    owner = out / OWNER_FILE
    refuse = (
        f"{out}: exists, is not empty and was not written by yourtts-onnx (no {OWNER_FILE}; an output of an older "
        "version has none either: remove it yourself); refusing to replace it"
    )
    try:
        st = os.lstat(owner)
    except FileNotFoundError:
        raise error(refuse) from None
    except OSError as exc:
        raise error(f"{owner}: cannot read ({exc.strerror or exc}); refusing to replace {out}") from None
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{owner}: is not a regular file; refusing to replace {out}")
    if st.st_size > MAX_OWNER_FILE_BYTES:
        raise error(f"{owner}: larger than {MAX_OWNER_FILE_BYTES} bytes; refusing to replace {out}")
    try:
        data = json.loads(owner.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise error(f"{owner}: unreadable or not JSON; refusing to replace {out}") from None
    if (
        not isinstance(data, dict)
        or data.get("format") != OWNER_FORMAT
        or data.get("format_version") != OWNER_FORMAT_VERSION
        or not isinstance(data.get("files"), list)
        or not isinstance(data.get("dirs"), list)
        or not all(isinstance(x, str) for x in data["files"] + data["dirs"])
    ):
        raise error(f"{owner}: not an owner file of this version of yourtts-onnx; refusing to replace {out}")
    if data.get("kind") != kind:
        raise error(
            f"{out}: holds a yourtts-onnx {data.get('kind')!s:.20}, not a {kind}; refusing to replace it"
        )
    return data


def _walk(root: Path, error: type[YourTTSError]) -> tuple[list[str], list[str], list[str]]:
    """Files, directories and other entries (links, devices...) under ``root``, relative, links not followed."""
    files: list[str] = []
    dirs: list[str] = []
    other: list[str] = []
    count = 0
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            entries = list(os.scandir(root / rel) if rel else os.scandir(root))
        except OSError as exc:
            raise error(
                f"{root / rel}: cannot list ({exc.strerror or exc}); refusing to replace {root}"
            ) from None
        for entry in entries:
            count += 1
            if count > MAX_OWNED_ENTRIES:
                raise error(f"{root}: holds more than {MAX_OWNED_ENTRIES} entries; refusing to replace it")
            name = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_symlink():
                other.append(name)
            elif entry.is_dir(follow_symlinks=False):
                dirs.append(name)
                stack.append(name)
            elif entry.is_file(follow_symlinks=False):
                files.append(name)
            else:
                other.append(name)
    return files, dirs, other


def _check_owned(out: Path, kind: str, error: type[YourTTSError]) -> dict[str, Any] | None:
    """None when ``out`` is absent or empty; its owner record when it is ours and holds nothing else."""
    try:
        st = os.lstat(out)
    except (FileNotFoundError, NotADirectoryError):
        return None  # absent (a parent that is a file is reported when the parent is made)
    except OSError as exc:
        raise error(f"{out}: cannot inspect ({exc.strerror or exc})") from None
    if stat.S_ISLNK(st.st_mode):
        raise error(f"{out}: is a symbolic link; name the directory itself")
    if not stat.S_ISDIR(st.st_mode):
        raise error(f"{out}: exists and is not a directory")
    try:
        empty = not any(os.scandir(out))
    except OSError as exc:
        raise error(f"{out}: cannot list ({exc.strerror or exc})") from None
    if empty:
        return None
    owner = _read_owner(out, kind, error)
    files, dirs, other = _walk(out, error)
    listed_files = set(owner["files"]) | {OWNER_FILE}
    extra = sorted(
        [f for f in files if f not in listed_files]
        + [f"{d}/" for d in dirs if d not in set(owner["dirs"])]
        + other
    )
    if extra:
        raise error(
            f"{out}: holds files yourtts-onnx did not write ({_short(extra)}); move them out of the way "
            "or choose another directory — nothing was replaced"
        )
    return owner


def prepare_output_dir(
    out: Path, kind: str, error: type[YourTTSError] = InputError, *, inputs: Iterable[Path] = ()
) -> Path:
    """Check, before any work, that directory ``out`` may be (re)placed; create its parent and return it.

    ``out`` may be absent, empty, or a directory of this ``kind`` that this tool wrote (its owner file lists
    everything in it); ``inputs`` are the directories the command reads, which ``out`` may not touch."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}")
    check_not_inputs(out, inputs, error)
    _check_owned(out, kind, error)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(f"{parent}: cannot create output directory ({exc.strerror})") from None
    if not os.access(parent, os.W_OK):
        raise error(f"{parent}: output directory is not writable")
    return parent


def write_owner_file(tmp: Path, kind: str) -> dict[str, Any]:
    """Record everything in ``tmp`` (a finished output) in its owner file; returns the record."""
    files, dirs, other = _walk(tmp, YourTTSError)
    if other:
        raise YourTTSError(f"internal: output holds links or special files: {_short(other)}")
    record = {
        "format": OWNER_FORMAT,
        "format_version": OWNER_FORMAT_VERSION,
        "kind": kind,
        "written_by": f"yourtts-onnx {__version__}",
        "files": sorted(f for f in files if f != OWNER_FILE),
        "dirs": sorted(dirs),
    }
    (tmp / OWNER_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def install_output_dir(
    tmp: Path, out: Path, kind: str, error: type[YourTTSError] = InputError, *, inputs: Iterable[Path] = ()
) -> None:
    """Stamp ``tmp`` with its owner file, prove ``out`` ours again, and rename ``tmp`` into its place."""
    write_owner_file(tmp, kind)
    check_not_inputs(out, inputs, error)
    owner = _check_owned(out, kind, error)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    if owner is None:
        os.replace(tmp, out)  # out is absent or an empty directory (checked), which a rename replaces
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        os.replace(old, out)
        raise
    _remove_owned(old, out, owner)


def _remove_owned(old: Path, out: Path, owner: dict[str, Any]) -> None:
    """Delete the listed files and directories of the replaced copy; keep (and name) anything else."""
    for rel in [*owner["files"], OWNER_FILE]:
        path = old / rel
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            if not path.is_symlink() and path.is_file():
                path.unlink()
    for rel in sorted(owner["dirs"], key=lambda d: d.count("/"), reverse=True):
        with contextlib.suppress(OSError):
            os.rmdir(old / rel)
    try:
        os.rmdir(old)
    except FileNotFoundError:
        pass
    except OSError:
        log.warning("%s: files that appeared during the export were kept in %s", out, old)
