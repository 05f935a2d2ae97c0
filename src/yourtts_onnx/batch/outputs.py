"""The output directory of a batch run. Every file appears complete or not at all (temporary file in
``DIR/.partial`` + rename); a killed run leaves only that hidden directory, emptied by the next run.

::

    DIR/wavs/ID.wav|flac       one file per item; its metadata ("comment") holds the item's content key
    DIR/metadata.jsonl         Hugging Face audiofolder: file_name, id, text, language, voice, duration, seed, ...
                               (with --timestamps also "words": [{word, start_time, end_time, start_char, end_char}])
    DIR/metadata_ljspeech.csv  LJSpeech-style: id|text|normalized text (not "metadata.csv": see below)
    DIR/errors.jsonl           rows not synthesised: line, id, error
    DIR/summary.json           the last run's counts and throughput

The LJSpeech list is not named ``metadata.csv`` because ``datasets``' audiofolder reads any file of that name
as metadata too and refuses a folder with both ``metadata.csv`` and ``metadata.jsonl``. Coqui's
``ljspeech`` formatter takes the file name as ``meta_file_train`` and reads ``wavs/ID.wav``.

Resuming: an item is done when its audio file exists and carries the item's content key (the key is
written into the file, so the audio and the record of what it is can never disagree). With timestamps, a
done item's words come from the previous run's ``metadata.jsonl`` line with the same content key; an item
without them there (a run without ``--timestamps``) is synthesised again.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.atomic import atomic_write_bytes
from yourtts_onnx.runtime.text import normalize_numbers, number_language
from yourtts_onnx.runtime.text.lexicon import Lexicon
from yourtts_onnx.runtime.waveform import pcm16

from .manifest import RowError

AUDIO_DIR = "wavs"
METADATA = "metadata.jsonl"
LJSPEECH = "metadata_ljspeech.csv"
ERRORS = "errors.jsonl"
SUMMARY = "summary.json"
PARTIAL = ".partial"
KEY_PREFIX = "yourtts-onnx batch key="
SOFTWARE = "yourtts-onnx"
SF_FORMATS = {"wav": "WAV", "flac": "FLAC"}


def encode_audio(samples: np.ndarray, sample_rate: int, audio_format: str, key: str) -> bytes:
    """16-bit mono WAV or FLAC bytes (the same PCM values as ``synth`` writes), with ``key`` in its metadata."""
    pcm = np.frombuffer(pcm16(samples), dtype="<i2")
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", sample_rate, 1, "PCM_16", format=SF_FORMATS[audio_format]) as f:
        f.comment = KEY_PREFIX + key
        f.software = SOFTWARE
        f.write(pcm)
    return buf.getvalue()


@dataclass(frozen=True)
class AudioStamp:
    """What an existing audio file says about itself."""

    key: str | None
    frames: int
    sample_rate: int


def read_stamp(path: Path) -> AudioStamp | None:
    """The content key, length and rate of an audio file written by a batch run; ``None`` if unreadable."""
    try:
        with sf.SoundFile(path) as f:
            comment = f.comment or ""
            frames, rate = f.frames, f.samplerate
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError, TypeError):
        return None
    key = comment[len(KEY_PREFIX) :] if comment.startswith(KEY_PREFIX) else None
    return AudioStamp(key, int(frames), int(rate))


@dataclass(frozen=True)
class ItemRecord:
    """One line of ``metadata.jsonl`` (``file_name`` first, as audiofolder wants)."""

    file_name: str
    id: str
    text: str
    language: str
    voice: str
    duration: float
    seed: int
    noise_scale: float
    length_scale: float
    noise_scale_dp: float
    sample_rate: int
    content_key: str
    words: tuple[dict[str, Any], ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if self.words is None:
            del d["words"]
        else:
            d["words"] = list(self.words)
        return d


_SPACES = re.compile(r"\s+")


def _csv_text(text: str) -> str:
    """One line, no '|': the LJSpeech format has no quoting."""
    return _SPACES.sub(" ", text.replace("|", " ")).strip()


def ljspeech_line(record: ItemRecord, expand_numbers: bool, lexicon: Lexicon | None = None) -> str:
    text = _csv_text(record.text)
    normalized = text
    if expand_numbers and (number_language(record.language) is not None or lexicon is not None):
        normalized = _csv_text(normalize_numbers(text, record.language, lexicon))
    return f"{record.id}|{text}|{normalized}\n"


class OutputDir:
    """``DIR`` of one run (see the module docstring)."""

    def __init__(self, root: Path, audio_format: str) -> None:
        self.root = root
        self.audio_format = audio_format
        self.audio_dir = root / AUDIO_DIR
        self.partial = root / PARTIAL

    def prepare(self) -> None:
        """Create the directories and empty ``.partial`` (what a killed run left); fail early if unwritable."""
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"--out '{self.root}' exists and is not a directory")
        self._check_partial()
        try:
            self.audio_dir.mkdir(parents=True, exist_ok=True)
            if self.partial.exists():
                shutil.rmtree(self.partial)
            self.partial.mkdir()
        except OSError as exc:
            raise InputError(f"cannot create output directory '{self.root}': {exc.strerror or exc}") from None
        if not os.access(self.root, os.W_OK | os.X_OK) or not os.access(self.audio_dir, os.W_OK | os.X_OK):
            raise InputError(f"output directory '{self.root}' is not writable")

    def _check_partial(self) -> None:
        """``.partial`` is emptied only when it holds nothing but our temporary files (``.NAME.XXXX.tmp``)."""
        try:
            st = os.lstat(self.partial)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise InputError(f"cannot inspect '{self.partial}': {exc.strerror or exc}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise InputError(f"'{self.partial}' is not a directory written by batch; move it away")
        foreign = [
            e.name
            for e in os.scandir(self.partial)
            if not (e.is_file(follow_symlinks=False) and e.name.startswith(".") and e.name.endswith(".tmp"))
        ]
        if foreign:
            raise InputError(
                f"'{self.partial}' holds files batch did not write ({', '.join(sorted(foreign)[:5])}); "
                "move them away"
            )

    def finish(self) -> None:
        """Remove ``.partial`` (empty unless a write is in flight, which it is not after a run)."""
        shutil.rmtree(self.partial, ignore_errors=True)

    def file_name(self, item_id: str) -> str:
        return f"{AUDIO_DIR}/{item_id}.{self.audio_format}"

    def audio_path(self, item_id: str) -> Path:
        return self.root / self.file_name(item_id)

    def done(self, item_id: str, key: str, sample_rate: int) -> AudioStamp | None:
        """The stamp of the item's audio if it exists and matches ``key`` (then the item is not redone)."""
        path = self.audio_path(item_id)
        if not path.is_file():
            return None
        stamp = read_stamp(path)
        if stamp is None or stamp.key != key or stamp.sample_rate != sample_rate or stamp.frames <= 0:
            return None
        return stamp

    def previous_words(self) -> dict[str, tuple[dict[str, Any], ...]]:
        """Words recorded by the previous run, by content key (an unreadable or absent file: none)."""
        found: dict[str, tuple[dict[str, Any], ...]] = {}
        try:
            text = (self.root / METADATA).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return found
        for line in text.splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(row, dict)
                and isinstance(row.get("words"), list)
                and isinstance(row.get("content_key"), str)
            ):
                found[row["content_key"]] = tuple(w for w in row["words"] if isinstance(w, dict))
        return found

    def write_audio(self, item_id: str, data: bytes) -> None:
        atomic_write_bytes(self.audio_path(item_id), data, temp_dir=self.partial)

    def _write_lines(self, name: str, lines: Iterable[str]) -> None:
        atomic_write_bytes(self.root / name, "".join(lines).encode("utf-8"), temp_dir=self.partial)

    def write_metadata(
        self, records: Iterable[ItemRecord], expand_numbers: bool = True, lexicon: Lexicon | None = None
    ) -> None:
        records = list(records)
        self._write_lines(METADATA, (json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records))
        self._write_lines(LJSPEECH, (ljspeech_line(r, expand_numbers, lexicon) for r in records))

    def write_errors(self, errors: Iterable[RowError]) -> None:
        ordered = sorted(errors, key=lambda e: e.line)
        self._write_lines(ERRORS, (json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in ordered))

    def write_summary(self, summary: dict[str, Any]) -> None:
        self._write_lines(SUMMARY, [json.dumps(summary, indent=2, ensure_ascii=False) + "\n"])
