"""SSML: a ``<speak>`` document → its text and the segments to speak, each with its language, voice, rate and
the silence before it. The engine's planner (:mod:`~yourtts_onnx.runtime.planner`) turns the segments into
utterances; every front end gets SSML by passing text through the engine.

A text is SSML when it starts with ``<speak`` (after whitespace and an optional ``<?xml …?>`` declaration):
:func:`is_ssml` (a ``<!DOCTYPE`` there too, so that such a document is refused rather than read aloud). The subset:

* ``<speak>`` (the root; ``xml:lang`` sets the document's language), ``<p>``, ``<s>`` (sentence bounds);
* ``<break time="500ms|2s" strength="none|x-weak|weak|medium|strong|x-strong">``: that much silence where it
  is written (``time`` wins over ``strength``; neither: ``medium``); it replaces the sentence pause there;
* ``<prosody rate="x-slow|slow|medium|fast|x-fast|N%|+N%|-N%|1.5">``: the speaking rate of the span; the
  span's length scale is divided by it (``50%`` doubles the span's frames); nested rates multiply. Other
  prosody attributes are ignored with a warning;
* ``<lang xml:lang="fr-FR">``: the span is spoken in that language of the bundle (its cleaner, numbers and
  language id; the same voice). Tags resolve by the bundle's language rules (``fr-FR`` → ``fr-fr``,
  ``pt-BR`` → ``pt-br``, ``en-US`` → ``en``);
* ``<voice name="…">``: the span in any built-in, saved or blended voice (the engine's voice resolution);
* ``<sub alias="…">written</sub>``: the alias is spoken; word timestamps name the written word;
* ``<say-as interpret-as="characters|spell-out|cardinal|ordinal|digits|date|time|telephone">``
  (:mod:`~.normalize.say_as`);
* ``<mark>`` is accepted and says nothing; any other element is spoken as its text, with a warning naming it.

Parsing is hardened: ``defusedxml`` with DTDs, entity declarations and external references refused (no
entity-expansion bombs, nothing fetched), the input bounded (:data:`~yourtts_onnx.runtime.limits.MAX_SSML_CHARS`)
and so are nesting, element count and silence. Malformed SSML is an :class:`~yourtts_onnx.errors.InputError`
naming the line and column.

**Text and offsets.** The document's text (:attr:`Document.text`) is its character content, markup removed,
a ``<sub>`` contributing its written word, with a space added at the bounds of ``<p>``, ``<s>``, ``<break>``
and where the language, voice or rate changes (so words never glue across them). Each segment's text is a
:class:`~.spans.TrackedText` whose spans index the document's text: a ``<sub>``'s alias and a ``<say-as>``'s
reading point at the written content, so word timestamps name the input's words.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import (
    MAX_SSML_BREAK_SECONDS,
    MAX_SSML_CHARS,
    MAX_SSML_DEPTH,
    MAX_SSML_ELEMENTS,
    MAX_SSML_SILENCE_SECONDS,
)

from .normalize.say_as import INTERPRETATIONS, say_as
from .spans import TrackedText

__all__ = ["Document", "Segment", "is_ssml", "parse_ssml"]

log = logging.getLogger(__name__)

# a <!DOCTYPE> counts: such a document is refused by the parser, never spoken as text
_START = re.compile(r"\A\s*(?:<\?xml[^>]*\?>\s*)?(?:<speak(?=[\s>/])|<!DOCTYPE)")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_BREAK_TIME = re.compile(r"\A\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*\Z", re.IGNORECASE)
#: seconds of silence of a ``<break strength>`` (and of a ``<break/>`` with neither attribute: medium)
BREAK_STRENGTHS = {
    "none": 0.0,
    "x-weak": 0.1,
    "weak": 0.25,
    "medium": 0.5,
    "strong": 0.75,
    "x-strong": 1.0,
}
#: speaking rates of the ``<prosody rate>`` names (1.0: the call's own rate)
RATE_NAMES = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
_RATE_PERCENT = re.compile(r"\A\s*([+-]?)(\d+(?:\.\d+)?)\s*%\s*\Z")
_RATE_NUMBER = re.compile(r"\A\s*(\d+(?:\.\d+)?)\s*\Z")
_QUIET = frozenset({"mark", "desc"})  # standard elements that say nothing


def is_ssml(text: object) -> bool:
    """Whether ``text`` is an SSML document: ``<speak`` first (after whitespace and an XML declaration)."""
    return isinstance(text, str) and _START.match(text[:4096]) is not None


@dataclass(frozen=True)
class Segment:
    """A run of the document spoken with one language, voice and rate."""

    text: TrackedText
    """What is spoken, its spans indexing :attr:`Document.text`."""
    language: str
    """A bundle language name."""
    voice: str | None
    """The ``<voice name>`` in force (``None``: the call's voice)."""
    rate: float
    """Speaking rate (1.0: the call's); the length scale is divided by it."""
    break_before: float | None
    """Seconds of ``<break>`` silence just before it (``None``: no break)."""
    new_sentence: bool
    """It starts a ``<s>`` or ``<p>`` (or follows one)."""


@dataclass(frozen=True)
class Document:
    text: str
    segments: tuple[Segment, ...]
    trailing_break: float | None
    """Seconds of ``<break>`` silence after the last segment (``None``: none)."""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _State:
    language: str
    voice: str | None = None
    rate: float = 1.0


@dataclass
class _Builder:
    doc: list[str] = field(default_factory=list)
    pos: int = 0
    chars: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    state: _State | None = None
    segments: list[Segment] = field(default_factory=list)
    pending_break: float | None = None
    new_sentence: bool = False
    silence: float = 0.0
    elements: int = 0
    warnings: dict[str, None] = field(default_factory=dict)

    def _append_doc(self, text: str) -> tuple[int, int]:
        start = self.pos
        self.doc.append(text)
        self.pos += len(text)
        return start, self.pos

    def separate(self) -> None:
        """A space in the document's text, belonging to no segment (words never glue across a bound)."""
        last = self.doc[-1][-1:] if self.doc else " "
        if last and not last.isspace():
            self._append_doc(" ")

    def flush(self) -> None:
        text = "".join(self.chars)
        if text.strip() and self.state is not None:
            tracked = TrackedText(text, tuple(self.starts), tuple(self.ends))
            self.segments.append(
                Segment(
                    tracked,
                    self.state.language,
                    self.state.voice,
                    self.state.rate,
                    self.pending_break,
                    self.new_sentence,
                )
            )
            self.pending_break = None
            self.new_sentence = False
        self.chars, self.starts, self.ends = [], [], []
        self.state = None

    def emit(self, written: str | None, state: _State, spoken: str | None = None) -> None:
        """``written`` (the document's text) spoken as itself, or as ``spoken`` (every character of which
        then spans the whole written text)."""
        if not written and not spoken:
            return
        written = written or ""
        if self.state is not None and self.state != state:
            self.flush()
            self.separate()
        self.state = state
        start, end = self._append_doc(written)
        if spoken is None or spoken == written:
            self.chars.append(written)
            self.starts.extend(range(start, end))
            self.ends.extend(range(start + 1, end + 1))
        else:
            if start > 0 and self.chars and not self.chars[-1][-1:].isspace():
                spoken = " " + spoken  # the reading of a glued <say-as>/<sub> is a word of its own
            self.chars.append(spoken)
            self.starts.extend([start] * len(spoken))
            self.ends.extend([end] * len(spoken))

    def boundary(self) -> None:
        self.flush()
        self.separate()

    def add_break(self, seconds: float) -> None:
        self.boundary()
        self.silence += seconds
        if self.silence > MAX_SSML_SILENCE_SECONDS:
            raise InputError(
                f"SSML: the <break> elements ask for more than {MAX_SSML_SILENCE_SECONDS:g} s of silence in all"
            )
        self.pending_break = (self.pending_break or 0.0) + seconds

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings[message] = None
            log.warning("%s", message)


def _local(tag: Any) -> str:
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rsplit("}", 1)[-1]


def _position(source: str, needle: str) -> str:
    index = source.find(needle)
    if index < 0:
        return ""
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return f" (line {line}, column {column})"


def _break_seconds(elem: Any) -> float:
    time = elem.get("time")
    if time is not None:
        match = _BREAK_TIME.match(time)
        if match is None:
            raise InputError(f"SSML <break time='{time[:40]}'>: expected a time such as 500ms or 2s")
        value = float(match.group(1)) / (1000.0 if match.group(2).lower() == "ms" else 1.0)
        if value > MAX_SSML_BREAK_SECONDS:
            raise InputError(
                f"SSML <break time='{time}'>: at most {MAX_SSML_BREAK_SECONDS:g} s of silence per break"
            )
        return value
    strength = elem.get("strength", "medium")
    if strength not in BREAK_STRENGTHS:
        raise InputError(
            f"SSML <break strength='{strength[:40]}'>: expected one of {', '.join(BREAK_STRENGTHS)}"
        )
    return BREAK_STRENGTHS[strength]


def _rate(value: str) -> float:
    text = value.strip().lower()
    if text in RATE_NAMES:
        return RATE_NAMES[text]
    percent = _RATE_PERCENT.match(text)
    if percent is not None:
        sign, number = percent.group(1), float(percent.group(2))
        rate = 1.0 + (number if sign == "+" else -number) / 100.0 if sign else number / 100.0
    else:
        plain = _RATE_NUMBER.match(text)
        if plain is None:
            raise InputError(
                f"SSML <prosody rate='{value[:40]}'>: expected x-slow, slow, medium, fast, x-fast, "
                "a percentage (50%, +20%) or a number"
            )
        rate = float(plain.group(1))
    if not rate > 0:
        raise InputError(f"SSML <prosody rate='{value}'>: the rate must be above zero")
    return rate


class _Parser:
    def __init__(self, language: str, resolve_language: Callable[[str], str]) -> None:
        self.root_language = language
        self.resolve = resolve_language
        self.out = _Builder()

    def language_of(self, elem: Any, tag: str, state: _State) -> _State:
        tag_value = elem.get(_XML_LANG)
        if tag_value is None:
            if tag == "lang":
                raise InputError("SSML <lang>: the xml:lang attribute is missing")
            return state
        try:
            name = self.resolve(tag_value)
        except InputError as exc:
            raise InputError(f"SSML <{tag} xml:lang='{tag_value[:40]}'>: {exc}") from None
        return replace(state, language=name)

    def walk(self, elem: Any, state: _State, depth: int) -> None:
        out = self.out
        out.elements += 1
        if out.elements > MAX_SSML_ELEMENTS:
            raise InputError(f"SSML: more than {MAX_SSML_ELEMENTS} elements")
        if depth > MAX_SSML_DEPTH:
            raise InputError(f"SSML: elements nested more than {MAX_SSML_DEPTH} deep")
        tag = _local(elem.tag)
        if tag == "break":
            out.add_break(_break_seconds(elem))
            return
        if tag in _QUIET or not tag:
            return
        if tag == "sub":
            written = "".join(elem.itertext())
            alias = elem.get("alias")
            if alias is None:
                out.warn("SSML <sub> without an alias: its text is spoken")
            out.emit(written, state, alias)
            return
        if tag == "say-as":
            written = "".join(elem.itertext())
            kind = elem.get("interpret-as") or ""
            if kind.strip().lower() not in INTERPRETATIONS:
                out.warn(
                    f"SSML <say-as interpret-as='{kind[:40]}'> is not supported (known: "
                    f"{', '.join(INTERPRETATIONS)}): its text is read as usual"
                )
                out.emit(written, state)
            else:
                out.emit(written, state, say_as(written, kind, state.language, elem.get("format")))
            return
        inner = state
        block = tag in ("p", "s")
        if tag in ("speak", "p", "s", "lang"):
            inner = self.language_of(elem, tag, state)
        elif tag == "prosody":
            rate = elem.get("rate")
            if rate is not None:
                inner = replace(state, rate=state.rate * _rate(rate))
            ignored = sorted(set(elem.keys()) - {"rate"})
            if ignored:
                out.warn(f"SSML <prosody>: {', '.join(ignored)} not supported (only rate): ignored")
        elif tag == "voice":
            name = elem.get("name")
            if name is None or not name.strip():
                raise InputError(
                    "SSML <voice>: the name attribute is missing (a built-in, saved or blended voice)"
                )
            inner = replace(state, voice=name.strip())
        else:
            out.warn(f"SSML <{tag}> is not supported: its text is spoken as it is")
        if block:
            out.boundary()
            out.new_sentence = True
        out.emit(elem.text, inner)
        for child in elem:
            self.walk(child, inner, depth + 1)
            out.emit(child.tail, inner)
        if block:
            out.boundary()
            out.new_sentence = True

    def parse(self, source: str) -> Document:
        root = _parse_xml(source)
        if _local(root.tag) != "speak":
            raise InputError(f"SSML: the root element must be <speak>, got <{_local(root.tag)}>")
        self.walk(root, _State(self.root_language), 1)
        out = self.out
        out.flush()
        return Document("".join(out.doc), tuple(out.segments), out.pending_break, tuple(out.warnings))


def _parse_xml(source: str) -> Any:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    if len(source) > MAX_SSML_CHARS:
        raise InputError(f"SSML has {len(source)} characters; at most {MAX_SSML_CHARS}")
    try:
        return fromstring(source, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        where = _position(source, "<!DOCTYPE") or _position(source, "<!ENTITY")
        raise InputError(
            "SSML may not declare a DTD, entities or external references (<!DOCTYPE>, <!ENTITY>)" + where
        ) from None
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(": line ", 1)[0]
        raise InputError(f"malformed SSML at line {line}, column {column + 1}: {reason}") from None


def parse_ssml(source: str, language: str, resolve_language: Callable[[str], str]) -> Document:
    """The :class:`Document` of ``source``. ``language``: the bundle language of the text outside any
    ``xml:lang``; ``resolve_language``: a tag (``"fr-FR"``) → a bundle language name, raising
    :class:`InputError` (the engine's language resolution). Raises :class:`InputError`, one line."""
    if not isinstance(source, str):
        raise InputError(f"SSML must be a string, got {type(source).__name__}")
    return _Parser(language, resolve_language).parse(source)
