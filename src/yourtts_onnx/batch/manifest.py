"""Manifest files → typed rows. JSON Lines (one object per line) or CSV (a header row naming the columns).

Fields: ``text`` (required), ``id``, ``language``, ``voice`` (a built-in speaker, a saved voice, a voice
profile path, or a reference recording to clone), ``noise_scale``, ``length_scale``, ``noise_scale_dp``,
``seed``. Empty CSV cells and JSON ``null`` mean "not given".

A problem with the file as a whole (missing, not a regular file, over the size limit, a CSV header without
``text`` or with unknown columns) is an :class:`~yourtts_onnx.errors.InputError`; a problem with one row (not
UTF-8, too long, bad JSON, a wrong type, an unknown field) becomes a :class:`RowError` and the other rows go
on. The file is read as a stream, line by line. Values are checked for type here;
ranges, languages and voices are checked against the bundle in :mod:`.items`.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import MAX_MANIFEST_BYTES, MAX_MANIFEST_LINE_BYTES, MAX_MANIFEST_LINE_CHARS

TEXT_FIELDS = ("id", "text", "language", "voice")
FLOAT_FIELDS = ("noise_scale", "length_scale", "noise_scale_dp")
INT_FIELDS = ("seed",)
FIELDS = (*TEXT_FIELDS, *FLOAT_FIELDS, *INT_FIELDS)
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv",)


@dataclass(frozen=True)
class ManifestRow:
    """One row as written (types checked, nothing resolved). ``line``: 1-based line in the file."""

    line: int
    text: str
    id: str | None = None
    language: str | None = None
    voice: str | None = None
    noise_scale: float | None = None
    length_scale: float | None = None
    noise_scale_dp: float | None = None
    seed: int | None = None


@dataclass(frozen=True)
class RowError:
    """A row that will not be synthesised, and why (one line, for ``errors.jsonl``)."""

    line: int
    id: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "id": self.id, "error": self.reason}


class _BadField(Exception):
    pass


def _text_value(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if name == "id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _BadField(f"'{name}' must be a string, got {type(value).__name__}")
    return value


def _float_value(name: str, value: Any, from_csv: bool) -> float | None:
    if value is None or (from_csv and value.strip() == ""):
        return None
    if from_csv:
        try:
            value = float(value)
        except ValueError:
            raise _BadField(f"'{name}' must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _BadField(f"'{name}' must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise _BadField(f"'{name}' must be a finite number, got {value}")
    return float(value)


def _int_value(name: str, value: Any, from_csv: bool) -> int | None:
    if value is None or (from_csv and value.strip() == ""):
        return None
    if from_csv:
        try:
            value = int(value.strip())
        except ValueError:
            raise _BadField(f"'{name}' must be an integer, got {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadField(f"'{name}' must be an integer, got {type(value).__name__}")
    return value


def _row(line: int, raw: dict[str, Any], from_csv: bool) -> ManifestRow | RowError:
    rid = raw.get("id")
    rid_text = str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else None
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        return RowError(line, rid_text, f"unknown field '{unknown[0]}' (fields: {', '.join(FIELDS)})")
    try:
        values: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            values[name] = _text_value(name, raw.get(name))
        for name in FLOAT_FIELDS:
            values[name] = _float_value(name, raw.get(name), from_csv)
        for name in INT_FIELDS:
            values[name] = _int_value(name, raw.get(name), from_csv)
    except _BadField as exc:
        return RowError(line, rid_text, str(exc))
    if values["text"] is None:
        return RowError(line, rid_text, "no 'text'")
    for name in ("id", "language", "voice"):
        if values[name] is not None and not values[name].strip():
            values[name] = None  # an empty optional field means "not given"
    return ManifestRow(line=line, **values)


def _open_manifest(path: Path) -> BinaryIO:
    """The manifest opened for reading, after checking it is a regular file within the size limit (a device,
    FIFO or ``/dev/zero`` would never end, or never start)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"manifest '{path}' not found") from None
    except OSError as exc:
        raise InputError(f"cannot read manifest '{path}': {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"manifest '{path}' is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"manifest '{path}' is not a regular file (a device, FIFO or socket)")
    if st.st_size > MAX_MANIFEST_BYTES:
        raise InputError(f"manifest '{path}' is {st.st_size} bytes; at most {MAX_MANIFEST_BYTES} are read")
    try:  # non-blocking: a FIFO swapped in after the check must not hang the open
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(f"cannot read manifest '{path}': {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"manifest '{path}' is not a regular file (a device, FIFO or socket)")
    return os.fdopen(fd, "rb")


def _lines(fh: BinaryIO, path: Path, bad: dict[int, str]) -> Iterator[str]:
    """The file's lines as text, read as a stream: a line that is not UTF-8 is recorded in ``bad`` (its
    number → the reason) and given decoded with replacement characters; a line over the limit is cut to it."""
    total = 0
    number = 0
    while True:
        try:
            raw = fh.readline(MAX_MANIFEST_LINE_BYTES + 1)
        except OSError as exc:
            raise InputError(f"cannot read manifest '{path}': {exc.strerror or exc}") from None
        if not raw:
            return
        number += 1
        total += len(raw)
        if total > MAX_MANIFEST_BYTES:
            raise InputError(f"manifest '{path}' grew past {MAX_MANIFEST_BYTES} bytes while it was read")
        if len(raw) > MAX_MANIFEST_LINE_BYTES and not raw.endswith(b"\n"):
            bad[number] = f"line longer than {MAX_MANIFEST_LINE_BYTES} bytes"
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line, a block at a time
                raw = fh.readline(1 << 20)
                total += len(raw)
                if total > MAX_MANIFEST_BYTES:
                    raise InputError(
                        f"manifest '{path}' grew past {MAX_MANIFEST_BYTES} bytes while it was read"
                    )
            yield "\n"
            continue
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[number] = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line)"
            yield raw.decode("utf-8", errors="replace")


def _jsonl_rows(lines: Iterator[str], bad: dict[int, str]) -> Iterator[ManifestRow | RowError]:
    for number, line in enumerate(lines, start=1):
        if number in bad:
            yield RowError(number, None, bad[number])
            continue
        if not line.strip():
            continue
        if len(line) > MAX_MANIFEST_LINE_CHARS:
            yield RowError(number, None, f"line longer than {MAX_MANIFEST_LINE_CHARS} characters")
            continue
        try:
            raw = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield RowError(number, None, f"not valid JSON: {getattr(exc, 'msg', 'nested too deeply')}")
            continue
        if not isinstance(raw, dict):
            yield RowError(number, None, f"a row must be a JSON object, got {type(raw).__name__}")
            continue
        yield _row(number, raw, from_csv=False)


def _csv_rows(lines: Iterator[str], bad: dict[int, str], path: Path) -> Iterator[ManifestRow | RowError]:
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"manifest '{path}': bad CSV header ({exc})") from None
    if 1 in bad:
        raise InputError(f"manifest '{path}': the CSV header is {bad[1]}")
    if header is None:
        return
    columns = [h.strip() for h in header]
    unknown = [c for c in columns if c not in FIELDS]
    if unknown:
        raise InputError(
            f"manifest '{path}': unknown column '{unknown[0]}' in the header (columns: {', '.join(FIELDS)})"
        )
    if "text" not in columns:
        raise InputError(f"manifest '{path}': the CSV header has no 'text' column (got {', '.join(columns)})")
    if len(set(columns)) != len(columns):
        raise InputError(f"manifest '{path}': a column appears twice in the CSV header")
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(start, None, f"bad CSV: {exc}")
            continue
        broken = [bad[n] for n in range(start, reader.line_num + 1) if n in bad]
        if broken:
            yield RowError(start, None, broken[0])
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            yield RowError(start, None, f"{len(cells)} cells, but the header has {len(columns)} columns")
            continue
        yield _row(start, dict(zip(columns, cells, strict=True)), from_csv=True)


def manifest_format(path: Path, start: bytes) -> str:
    """``"jsonl"`` or ``"csv"``: by the file's suffix, else by the first character of ``start`` (its first bytes)."""
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    return "jsonl" if start.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{") else "csv"


def read_manifest(path: str | os.PathLike[str]) -> list[ManifestRow | RowError]:
    """Every row of the manifest, in file order: a :class:`ManifestRow` or the :class:`RowError` it made."""
    path = Path(path)
    bad: dict[int, str] = {}
    with _open_manifest(path) as fh:
        fmt = manifest_format(path, fh.peek(4096)[:4096])
        lines = _lines(fh, path, bad)
        rows = list(_jsonl_rows(lines, bad) if fmt == "jsonl" else _csv_rows(lines, bad, path))
    if not rows:
        raise InputError(f"manifest '{path}' has no rows")
    return rows
