"""Manifest files → typed rows. JSON Lines (one object per line) or CSV (a header row naming the columns).

Fields: ``text`` (required), ``id``, ``language``, ``voice`` (a built-in speaker, a saved voice, a voice
profile path, or a reference recording to clone), ``noise_scale``, ``length_scale``, ``noise_scale_dp``,
``seed``. Empty CSV cells and JSON ``null`` mean "not given".

A problem with the file as a whole (missing, not UTF-8, a CSV header without ``text`` or with unknown
columns) is an :class:`~yourtts_onnx.errors.InputError`; a problem with one row (bad JSON, a wrong type, an
unknown field) becomes a :class:`RowError` and the other rows go on. Values are checked for type here;
ranges, languages and voices are checked against the bundle in :mod:`.items`.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yourtts_onnx.errors import InputError

TEXT_FIELDS = ("id", "text", "language", "voice")
FLOAT_FIELDS = ("noise_scale", "length_scale", "noise_scale_dp")
INT_FIELDS = ("seed",)
FIELDS = (*TEXT_FIELDS, *FLOAT_FIELDS, *INT_FIELDS)
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv",)
MAX_LINE_CHARS = 1_000_000  # one row; a row's text is capped lower, in items.MAX_TEXT_CHARS


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


def _open_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"manifest '{path}' not found") from None
    except IsADirectoryError:
        raise InputError(f"manifest '{path}' is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read manifest '{path}': {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"manifest '{path}' is not UTF-8 text (line {line})") from None


def _jsonl_rows(text: str) -> Iterator[ManifestRow | RowError]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            yield RowError(number, None, f"line longer than {MAX_LINE_CHARS} characters")
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


def _csv_rows(text: str, path: Path) -> Iterator[ManifestRow | RowError]:
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"manifest '{path}': bad CSV header ({exc})") from None
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
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            yield RowError(start, None, f"{len(cells)} cells, but the header has {len(columns)} columns")
            continue
        yield _row(start, dict(zip(columns, cells, strict=True)), from_csv=True)


def manifest_format(path: Path, text: str) -> str:
    """``"jsonl"`` or ``"csv"``: by the file's suffix, else by its first character."""
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def read_manifest(path: str | os.PathLike[str]) -> list[ManifestRow | RowError]:
    """Every row of the manifest, in file order: a :class:`ManifestRow` or the :class:`RowError` it made."""
    path = Path(path)
    text = _open_text(path)
    rows = list(_jsonl_rows(text) if manifest_format(path, text) == "jsonl" else _csv_rows(text, path))
    if not rows:
        raise InputError(f"manifest '{path}' has no rows")
    return rows
