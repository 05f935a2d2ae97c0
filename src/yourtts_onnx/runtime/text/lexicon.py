"""Pronunciation lexicons: whole words replaced by how to say them, per language, before any other
normalisation (numbers, abbreviations) and before cleaning.

A lexicon file is JSON: ``{"en": {"Nguyen": "win", "SQL": "sequel"}, "fr-fr": {"Bordeaux": "bordo"}}``.
A language key is a bundle language (``"fr-fr"``) or its primary subtag (``"fr"``: every French language of
the bundle); for one text, the entries of its language and of its primary subtag apply, the first winning
where both have a word. A key matches a whole word (not inside a longer word: ``SQL`` is not replaced in
``MySQL``), case-insensitively unless it holds a capital letter (``"sql"`` matches ``SQL`` and ``Sql``;
``"Nguyen"`` only ``Nguyen``); a key may hold several words (``"New York"``); longer keys win, and keys
with capitals are tried before the others.
Replacements are not looked up again; the replacement of a word written with an initial capital starts with
a capital (so that "Mr. Nguyen" stays a title before a name, and a sentence still starts after a period).
A bundle may carry ``lexicon.json`` (used by default).

Bounds (:mod:`~yourtts_onnx.runtime.limits`): the file's size, the number of entries, the length of a key
and of a replacement. Every problem is an :class:`InputError` naming the file and the entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import (
    MAX_LEXICON_BYTES,
    MAX_LEXICON_ENTRIES,
    MAX_LEXICON_KEY_CHARS,
    MAX_LEXICON_VALUE_CHARS,
)

from .normalize.rewrite import Rule

__all__ = ["BUNDLE_LEXICON", "Lexicon", "load_lexicon", "parse_lexicon", "resolve_lexicon"]

BUNDLE_LEXICON = "lexicon.json"


def _language_key(key: str) -> str:
    return key.strip().lower().replace("_", "-")


@dataclass(frozen=True)
class Lexicon:
    """Word → replacement tables by language key (lower-case, ``-`` separated). Picklable (sent to batch
    workers); rules are compiled on first use per language."""

    entries: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    source: str = "<lexicon>"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rules", {})

    def __getstate__(self) -> dict[str, object]:
        return {"entries": self.entries, "source": self.source}

    def __setstate__(self, state: dict[str, object]) -> None:
        object.__setattr__(self, "entries", state["entries"])
        object.__setattr__(self, "source", state["source"])
        object.__setattr__(self, "_rules", {})

    def __bool__(self) -> bool:
        return any(self.entries.values())

    @property
    def digest(self) -> str:
        """A SHA-256 of the entries (batch content keys)."""
        text = json.dumps(self.entries, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def table(self, language: str | None) -> dict[str, str]:
        """The words that apply to ``language``: its own entries over its primary subtag's."""
        if not language:
            return {}
        key = _language_key(language)
        primary = key.split("-", 1)[0]
        table = dict(self.entries.get(primary, {})) if primary != key else {}
        table.update(self.entries.get(key, {}))
        return table

    def rule(self, language: str | None) -> Rule | None:
        """The one substitution of ``language``'s words (``None`` when it has none)."""
        key = _language_key(language) if language else ""
        rules: dict[str, Rule | None] = self._rules  # type: ignore[attr-defined]
        if key not in rules:
            rules[key] = _compile(self.table(language))
        return rules[key]

    def check_languages(self, languages: Iterable[str]) -> None:
        """Every language key names one of ``languages`` or the primary subtag of one; else an error."""
        names = [_language_key(name) for name in languages]
        known = set(names) | {name.split("-", 1)[0] for name in names}
        for key in self.entries:
            if key not in known:
                raise InputError(
                    f"lexicon {self.source}: language '{key}' is not a language of this model "
                    f"({', '.join(names)}; or their primary subtags)"
                )


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, the longest first, as a trie (fast with thousands of words)."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _compile(table: Mapping[str, str]) -> Rule | None:
    if not table:
        return None
    exact = {k: v for k, v in table.items() if any(ch.isupper() for ch in k)}
    folded = {k.lower(): v for k, v in table.items() if not any(ch.isupper() for ch in k)}
    parts = []
    if exact:
        parts.append(_trie_pattern(exact))
    if folded:
        parts.append(f"(?i:{_trie_pattern(folded)})")
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        spoken = exact[word] if word in exact else folded.get(word.lower(), word)
        return _initial_case(word, spoken)

    return Rule("lexicon", pattern, replace)


def _initial_case(word: str, spoken: str) -> str:
    """A capitalised word's replacement starts with a capital too: the case of the text is lost in cleaning,
    but the normaliser (titles before a name) and the sentence splitter (a capital after a period) read it."""
    if word[:1].isupper() and spoken[:1].islower():
        return spoken[:1].upper() + spoken[1:]
    return spoken


def parse_lexicon(data: object, source: str = "<lexicon>") -> Lexicon:
    """A :class:`Lexicon` from decoded JSON; every problem is an :class:`InputError` naming ``source``."""
    if not isinstance(data, dict):
        raise InputError(
            f"lexicon {source}: the top level must be an object of languages, got {type(data).__name__}"
        )
    entries: dict[str, dict[str, str]] = {}
    count = 0
    for language, words in data.items():
        key = _language_key(language)
        if not key or not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", key):
            raise InputError(f"lexicon {source}: '{language}' is not a language name (e.g. 'en', 'fr-fr')")
        if not isinstance(words, dict):
            raise InputError(
                f"lexicon {source}: language '{language}' must map words to replacements, "
                f"got {type(words).__name__}"
            )
        table = entries.setdefault(key, {})
        for word, spoken in words.items():
            count += 1
            if count > MAX_LEXICON_ENTRIES:
                raise InputError(f"lexicon {source}: more than {MAX_LEXICON_ENTRIES} entries")
            where = f"lexicon {source}: '{language}' entry {word!r}"
            if not word.strip() or word != word.strip():
                raise InputError(f"{where}: a word must be non-empty, without leading or trailing spaces")
            if len(word) > MAX_LEXICON_KEY_CHARS:
                raise InputError(f"{where}: a word may have at most {MAX_LEXICON_KEY_CHARS} characters")
            if not isinstance(spoken, str):
                raise InputError(f"{where}: the replacement must be a string, got {type(spoken).__name__}")
            if len(spoken) > MAX_LEXICON_VALUE_CHARS:
                raise InputError(
                    f"{where}: the replacement may have at most {MAX_LEXICON_VALUE_CHARS} characters"
                )
            if any(ch in spoken for ch in "\r\n\0"):
                raise InputError(f"{where}: the replacement must be one line")
            table[word] = spoken
    return Lexicon(entries, source)


def load_lexicon(path: str | os.PathLike[str]) -> Lexicon:
    """Read and check a lexicon file (JSON, UTF-8, at most :data:`MAX_LEXICON_BYTES`)."""
    p = Path(path)
    source = f"'{p}'"
    try:
        if not p.is_file():
            raise InputError(f"lexicon {source} not found (or not a regular file)")
        with p.open("rb") as fh:
            raw = fh.read(MAX_LEXICON_BYTES + 1)
    except OSError as exc:
        raise InputError(f"lexicon {source} cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_LEXICON_BYTES:
        raise InputError(f"lexicon {source} is larger than {MAX_LEXICON_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"lexicon {source} is not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"lexicon {source} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise InputError(f"lexicon {source} is nested too deeply") from None
    return parse_lexicon(data, source)


def resolve_lexicon(
    given: str | os.PathLike[str] | Lexicon | None,
    bundle_root: str | os.PathLike[str],
    languages: Iterable[str],
) -> Lexicon | None:
    """The lexicon to use with a bundle: ``given`` (a file or a :class:`Lexicon`), else the bundle's
    ``lexicon.json`` when it has one; checked against the bundle's ``languages``. ``None``: no entries (an
    empty file, ``{}``, turns the bundle's lexicon off)."""
    if isinstance(given, Lexicon):
        lexicon = given
    elif given is not None:
        lexicon = load_lexicon(given)
    elif (Path(bundle_root) / BUNDLE_LEXICON).is_file():
        lexicon = load_lexicon(Path(bundle_root) / BUNDLE_LEXICON)
    else:
        return None
    lexicon.check_languages(languages)
    return lexicon if lexicon else None
