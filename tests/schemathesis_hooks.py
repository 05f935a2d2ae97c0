"""Schemathesis hooks for ``test_schemathesis.py`` (loaded by ``st run`` through ``$SCHEMATHESIS_HOOKS``).

Two rules of the API are beyond what a JSON schema can state, so in *positive* cases (data the schema
allows, which the server must accept) the generated values are made to follow them; negative cases are
left as generated:

* a text must hold something the model can pronounce in the request's language, and must fit the text
  limit once numbers are written out as words (422 otherwise, tested in ``test_hostile_service.py``): an
  unpronounceable text gets a word appended, an over-long one is shortened;
* an uploaded recording must be audio: generated file contents are replaced by a short real recording;
* a voice ``blend`` (``POST /v1/voices``) must be written ``name(weight)+…`` and comes instead of
  recordings: with recordings it is dropped, else it becomes a blend of the bundle's speakers;
* MaryTTS ``INPUT_TYPE=SSML`` requires the text to be an SSML document: the (sayable) text, stripped of what
  XML 1.0 cannot hold and escaped, is wrapped in ``<speak>…</speak>``.

The stub bundle named by ``$YOURTTS_ONNX_TEST_BUNDLE`` supplies the tokenizer; the text limit comes from
``$YOURTTS_ONNX_TEST_MAX_TEXT``.
"""

from __future__ import annotations

import functools
import io
import os
from typing import Any

import numpy as np
import schemathesis
import soundfile as sf
from schemathesis.transport.serialization import Binary

TEXT_FIELDS = ("input", "text", "INPUT_TEXT")
LANGUAGE_FIELDS = ("language", "language_id", "LOCALE")
FILE_FIELDS = ("files", "file", "speaker_wav")


@functools.cache
def _frontend() -> tuple[Any, dict[str, int]]:
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer

    bundle = Bundle.open(os.environ["YOURTTS_ONNX_TEST_BUNDLE"], integrity="none")
    return Tokenizer(TextFrontendConfig.from_dict(bundle.config.text)), dict(bundle.config.languages)


@functools.cache
def _blend() -> str:
    from yourtts_onnx.runtime.bundle import Bundle

    names = Bundle.open(os.environ["YOURTTS_ONNX_TEST_BUNDLE"], integrity="none").config.speakers.names
    return f"{names[0]}(2)+{names[-1]}"


@functools.cache
def _recording() -> bytes:
    t = np.arange(32000) / 16000
    x = 0.3 * np.sin(2 * np.pi * 150 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    buf = io.BytesIO()
    sf.write(buf, x.astype(np.float32), 16000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _language(values: dict[str, Any]) -> str:
    from yourtts_onnx.errors import InputError
    from yourtts_onnx.runtime.languages import resolve_language

    _, languages = _frontend()
    for name in LANGUAGE_FIELDS:
        value = values.get(name)
        if isinstance(value, str) and value.strip():
            try:
                return resolve_language(value, languages)[0]
            except InputError:
                break
    return resolve_language(None, languages)[0]


def _spoken_chars(text: str, language: str) -> int | None:
    """Characters as spoken, or ``None`` when nothing can be pronounced."""
    from yourtts_onnx.errors import InputError
    from yourtts_onnx.runtime.utterances import plan_utterances

    tokenizer, _ = _frontend()
    try:
        return sum(len(u.text) for u in plan_utterances(text, tokenizer, language))
    except InputError:
        return None


def _sayable(text: str, language: str, limit: int) -> str:
    if _spoken_chars(text, language) is None:
        text = (text[: max(limit - 3, 0)] + " ok").strip() or "ok"
    while len(text) > 2:
        spoken = _spoken_chars(text, language)
        if spoken is not None and spoken <= limit:
            break
        text = text[: len(text) // 2] + " ok"
    return text


def _xml_char(ch: str) -> bool:
    cp = ord(ch)
    return ch in "\t\n\r" or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or 0x10000 <= cp <= 0x10FFFF


def _as_ssml(text: str, language: str, limit: int) -> str:
    from xml.sax.saxutils import escape

    text = _sayable("".join(ch for ch in text if _xml_char(ch)), language, limit)
    while len(document := f"<speak>{escape(text)}</speak>") > limit and len(text) > 2:
        text = _sayable(text[: len(text) // 2], language, limit)
    return document


def _fix(values: Any, limit: int) -> None:
    if not isinstance(values, dict):
        return
    language = _language(values)
    for name in TEXT_FIELDS:
        if isinstance(values.get(name), str) and values[name].strip():
            values[name] = _sayable(values[name], language, limit)
    if values.get("INPUT_TYPE") == "SSML" and isinstance(values.get("INPUT_TEXT"), str):
        values["INPUT_TEXT"] = _as_ssml(values["INPUT_TEXT"], language, limit)
    for name in FILE_FIELDS:
        value = values.get(name)
        if _is_file(value):
            values[name] = _audio_like(value)
        elif isinstance(value, list) and value and all(_is_file(v) for v in value):
            values[name] = [_audio_like(v) for v in value]
    if "blend" in values:
        if values.get("files") or values.get("file"):
            del values["blend"]
        else:
            values["blend"] = _blend()


def _is_file(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray, Binary))


def _audio_like(value: Any) -> Any:
    return Binary(_recording()) if isinstance(value, Binary) else _recording()


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    meta = getattr(case, "meta", None)
    if meta is not None and meta.generation.mode.is_negative:
        return case
    limit = int(os.environ.get("YOURTTS_ONNX_TEST_MAX_TEXT", "300"))
    _fix(case.query, limit)
    _fix(case.body, limit)
    return case
