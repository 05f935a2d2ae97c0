"""Word timestamps as files: JSON, SubRip (``.srt``) and WebVTT (``.vtt``) captions.

Captions follow the usual conventions: a cue holds at most :data:`MAX_LINES` lines of about
:data:`LINE_CHARS` characters (a single longer word takes a line of its own), lines break between words
where they come out most even, a sentence takes the fewest cues, as even in length as its words allow, and
a cue never spans a sentence break (the words arrive grouped by sentence, as
:meth:`~.synthesizer.Synthesizer.stream` yields them with each sentence's first chunk). A cue lasts from its
first word's ``start_time`` to its last word's ``end_time``, in milliseconds (rounded; at least 1 ms).
Whitespace inside a word (a number such as ``"1 234"`` is one word) is written as one space; WebVTT
escapes ``&``, ``<`` and ``>``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.words import Word

__all__ = [
    "FORMATS",
    "LINE_CHARS",
    "MAX_LINES",
    "Cue",
    "cues",
    "render",
    "timestamps_format",
    "timestamps_json",
]

LINE_CHARS = 42
MAX_LINES = 2
FORMATS = ("json", "srt", "vtt")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]


def timestamps_format(path: str | os.PathLike[str]) -> str:
    """``"json"``, ``"srt"`` or ``"vtt"`` from the file name's extension (any case)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError(
            f"timestamps file '{os.fspath(path)}': unknown extension {('.' + suffix) if suffix else '(none)'}; "
            "use .json, .srt or .vtt"
        )
    return suffix


def _label(word: Word) -> str:
    return " ".join(word.word.split())


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _lines(labels: Sequence[str], line_chars: int) -> list[str]:
    """Greedy filling: the fewest lines of at most ``line_chars`` (a longer word on a line of its own)."""
    lines: list[str] = []
    for label in labels:
        if lines and len(lines[-1]) + 1 + len(label) <= line_chars:
            lines[-1] += " " + label
        else:
            lines.append(label)
    return lines


def _balanced(labels: Sequence[str], line_chars: int) -> list[str]:
    """One line when it fits, else two lines as even as the words allow (both within ``line_chars``)."""
    lines = _lines(labels, line_chars)
    if len(lines) != 2:
        return lines

    def fits(line: str) -> bool:
        return len(line) <= line_chars or " " not in line

    best = lines
    for cut in range(1, len(labels)):
        first, second = " ".join(labels[:cut]), " ".join(labels[cut:])
        even = abs(len(first) - len(second)) < abs(len(best[0]) - len(best[1]))
        if even and fits(first) and fits(second):
            best = [first, second]
    return best


def cues(
    sentences: Sequence[Sequence[Word]], *, line_chars: int = LINE_CHARS, max_lines: int = MAX_LINES
) -> list[Cue]:
    """Caption cues for words grouped by sentence (a cue never holds words of two sentences).

    Each sentence is cut into the fewest cues that fit (``max_lines`` lines of ``line_chars``), as even in
    length as the words allow, and a cue of two lines is broken where the lines come out most even.
    """
    out: list[Cue] = []
    for sentence in sentences:
        labels = [_label(w) for w in sentence]
        n = len(labels)
        if not n:
            continue
        # best[j]: (cues, sum of squared cue lengths, start of the last cue) for the first j words
        best: list[tuple[int, int, int]] = [(0, 0, 0)] + [(n + 1, 0, 0)] * n
        for j in range(1, n + 1):
            for i in range(j - 1, -1, -1):
                if len(_lines(labels[i:j], line_chars)) > max_lines and j - i > 1:
                    break  # longer runs fit no better
                count, cost, _ = best[i]
                size = len(" ".join(labels[i:j]))
                candidate = (count + 1, cost + size * size, i)
                if candidate[:2] < best[j][:2]:
                    best[j] = candidate
        bounds = []
        j = n
        while j > 0:
            bounds.append((best[j][2], j))
            j = best[j][2]
        for i, j in reversed(bounds):
            start = _ms(sentence[i].start_time)
            lines = _balanced(labels[i:j], line_chars)
            out.append(Cue(start, max(start + 1, _ms(sentence[j - 1].end_time)), tuple(lines)))
    return out


def _clock(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def srt(all_cues: Sequence[Cue]) -> str:
    blocks = [
        f"{i}\n{_clock(c.start_ms, ',')} --> {_clock(c.end_ms, ',')}\n" + "\n".join(c.lines) + "\n"
        for i, c in enumerate(all_cues, 1)
    ]
    return "\n".join(blocks)


def vtt(all_cues: Sequence[Cue]) -> str:
    blocks = [
        f"{_clock(c.start_ms, '.')} --> {_clock(c.end_ms, '.')}\n"
        + "\n".join(_vtt_escape(line) for line in c.lines)
        + "\n"
        for c in all_cues
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def timestamps_json(words: Sequence[Word], sample_rate: int, duration: float) -> dict[str, object]:
    """``{"words": [{word, start_time, end_time, start_char, end_char}], "sample_rate", "duration"}``."""
    return {"words": [w.to_dict() for w in words], "sample_rate": sample_rate, "duration": duration}


def render(fmt: str, sentences: Sequence[Sequence[Word]], sample_rate: int, duration: float) -> str:
    """The file's text in ``fmt`` (:func:`timestamps_format`) for words grouped by sentence."""
    if fmt == "json":
        words = [w for sentence in sentences for w in sentence]
        return json.dumps(timestamps_json(words, sample_rate, duration), ensure_ascii=False, indent=1) + "\n"
    if fmt == "srt":
        return srt(cues(sentences))
    if fmt == "vtt":
        return vtt(cues(sentences))
    raise InputError(f"unknown timestamps format {fmt!r}; use one of {', '.join(FORMATS)}")
