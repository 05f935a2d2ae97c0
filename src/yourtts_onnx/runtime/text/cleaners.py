"""Text cleaning expressed as data, so that any program can re-implement it from the bundle.

Coqui's YourTTS checkpoints name a cleaner (``"multilingual_cleaners"``). Here that cleaner is described
by a :class:`CleanerRules` value: an ordered list of named steps plus the tables they use. The rules are
written into the bundle's ``config.json`` (via :meth:`CleanerRules.to_dict`) and :func:`apply_cleaner`
is the reference interpreter. A consumer in another language (e.g. Node.js) needs only these semantics:

``unicode_nfc``
    Unicode NFC normalisation (``String.prototype.normalize("NFC")``).
``lowercase``
    Unicode default full lower-case mapping (Python ``str.lower``, JS ``toLowerCase``).
``replace_symbols``
    Pick one replacement table for the language (see *Language lookup*), then for each ``[from, to]``
    pair in order replace every literal occurrence of ``from`` by ``to`` (``split(from).join(to)``).
``remove_symbols``
    Delete every character that occurs in ``removed_symbols``.
``collapse_whitespace``
    Replace every maximal run of characters from ``whitespace`` by one ASCII space, then remove a
    leading and a trailing space. ``whitespace`` lists the characters explicitly (it is Python's
    ``str.isspace`` set, which differs slightly from JavaScript's ``\\s``).

*Language lookup* for ``replace_symbols``: the language code is trimmed, lower-cased and ``_`` becomes
``-``. If that code is a key of ``language_replacements`` its table is used. Otherwise, when
``language_match`` is ``"primary_subtag"``, the part before the first ``-`` is tried (``"fr-fr"`` →
``"fr"``). Otherwise (or for no language) ``default_replacements`` is used. Any language string is
accepted; validating languages against the model is the runtime's job, not the cleaner's.

Behaviour of Coqui's ``multilingual_cleaners`` (coqui-tts 0.28): NFC, lower-case, then symbol
replacement (``;`` → ``,`` except Greek, ``-`` → space (Catalan: removed), ``:`` → ``,``, ``&`` → the
word for "and" in en/fr/pt/it/ca, Catalan also drops ``'``), then removal of ``<>()[]"`` and whitespace
collapsing. Coqui passes the language through its own code normaliser before the cleaner; that YourTTS
codes such as ``"fr-fr"`` reach the French table is modelled here by ``language_match="primary_subtag"``
(set it to ``"exact"`` to compare codes literally). The only visible difference is ``&`` for region
codes, which Coqui's golden tokenizer cases do not exercise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yourtts_onnx.errors import BundleError

from .spans import T, lowercase, nfc, remove_chars, replace_literal, rewrite, strip_one

__all__ = [
    "CLEANER_STEPS",
    "PYTHON_WHITESPACE",
    "SUPPORTED_CLEANERS",
    "CleanerRules",
    "apply_cleaner",
    "default_rules",
]

#: Step names understood by :func:`apply_cleaner`, in no particular order.
CLEANER_STEPS: tuple[str, ...] = (
    "unicode_nfc",
    "lowercase",
    "replace_symbols",
    "remove_symbols",
    "collapse_whitespace",
)

LANGUAGE_MATCH_MODES: tuple[str, ...] = ("exact", "primary_subtag")

#: Every character for which Python's ``str.isspace()`` is true (what ``re``'s ``\s`` and ``str.strip``
#: use), listed explicitly so that other runtimes can reproduce Python's whitespace collapsing.
PYTHON_WHITESPACE: str = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

Pairs = tuple[tuple[str, str], ...]

# Replacement tables of Coqui's ``replace_symbols``; each table is complete (not merged with the default).
_COMMON: Pairs = ((";", ","), ("-", " "), (":", ","))
_MULTILINGUAL_TABLES: dict[str, Pairs] = {
    "en": (*_COMMON, ("&", " and ")),
    "fr": (*_COMMON, ("&", " et ")),
    "pt": (*_COMMON, ("&", " e ")),
    "it": (*_COMMON, ("&", " e ")),
    "ca": ((";", ","), ("-", ""), (":", ","), ("&", " i "), ("'", "")),
    # Greek: the semicolon is a question mark and is kept.
    "el": (("-", " "), (":", ",")),
}


def _err(path: str, problem: str) -> BundleError:
    return BundleError(f"text frontend config: {path}: {problem}")


@dataclass(frozen=True)
class CleanerRules:
    """A text cleaner as data: ordered ``steps`` and the tables they read (see the module docstring)."""

    name: str
    steps: tuple[str, ...]
    default_replacements: Pairs = ()
    language_replacements: tuple[tuple[str, Pairs], ...] = ()
    language_match: str = "primary_subtag"
    removed_symbols: str = ""
    whitespace: str = PYTHON_WHITESPACE
    _tables: dict[str, Pairs] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        for i, step in enumerate(self.steps):
            if step not in CLEANER_STEPS:
                raise _err(
                    f"cleaner_rules.steps[{i}]", f"unknown step {step!r}; known: {list(CLEANER_STEPS)}"
                )
        if self.language_match not in LANGUAGE_MATCH_MODES:
            raise _err(
                "cleaner_rules.language_match",
                f"{self.language_match!r} is not one of {list(LANGUAGE_MATCH_MODES)}",
            )
        for i, (src, _dst) in enumerate(self.default_replacements):
            if not src:
                raise _err(f"cleaner_rules.default_replacements[{i}]", "empty string to replace")
        for lang, pairs in self.language_replacements:
            for i, (src, _dst) in enumerate(pairs):
                if not src:
                    raise _err(f"cleaner_rules.language_replacements.{lang}[{i}]", "empty string to replace")
        object.__setattr__(self, "_tables", dict(self.language_replacements))

    # -- lookup -----------------------------------------------------------------------------------

    def replacements_for(self, language: str | None) -> Pairs:
        """The replacement table that ``replace_symbols`` uses for ``language``."""
        if language is None:
            return self.default_replacements
        code = language.strip().lower().replace("_", "-")
        table = self._tables.get(code)
        if table is None and self.language_match == "primary_subtag":
            table = self._tables.get(code.split("-", 1)[0])
        return self.default_replacements if table is None else table

    # -- serialisation ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form; :meth:`from_dict` inverts it."""
        return {
            "name": self.name,
            "steps": list(self.steps),
            "language_match": self.language_match,
            "default_replacements": [[a, b] for a, b in self.default_replacements],
            "language_replacements": {
                lang: [[a, b] for a, b in pairs] for lang, pairs in self.language_replacements
            },
            "removed_symbols": self.removed_symbols,
            "whitespace": self.whitespace,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, path: str = "cleaner_rules") -> CleanerRules:
        """Build rules from :meth:`to_dict` output; a missing or malformed field is a ``BundleError``."""
        if not isinstance(d, Mapping):
            raise _err(path, f"expected an object, got {type(d).__name__}")

        def need(key: str, kind: type | tuple[type, ...]) -> Any:
            if key not in d:
                raise _err(f"{path}.{key}", "missing")
            value = d[key]
            if not isinstance(value, kind):
                raise _err(f"{path}.{key}", f"expected {_kind_name(kind)}, got {type(value).__name__}")
            return value

        name = need("name", str)
        steps_raw = need("steps", list)
        steps: list[str] = []
        for i, step in enumerate(steps_raw):
            if not isinstance(step, str):
                raise _err(f"{path}.steps[{i}]", f"expected a string, got {type(step).__name__}")
            steps.append(step)
        language_match = need("language_match", str)
        default = _pairs(need("default_replacements", list), f"{path}.default_replacements")
        tables_raw = need("language_replacements", Mapping)
        tables: list[tuple[str, Pairs]] = []
        for lang, pairs in tables_raw.items():
            if not isinstance(lang, str) or not lang:
                raise _err(f"{path}.language_replacements", f"bad language key {lang!r}")
            if not isinstance(pairs, list):
                raise _err(f"{path}.language_replacements.{lang}", "expected a list of [from, to] pairs")
            tables.append((lang, _pairs(pairs, f"{path}.language_replacements.{lang}")))
        removed = need("removed_symbols", str)
        whitespace = need("whitespace", str)
        if "collapse_whitespace" in steps and not whitespace:
            raise _err(f"{path}.whitespace", "empty, but the collapse_whitespace step needs it")
        return cls(
            name=name,
            steps=tuple(steps),
            default_replacements=default,
            language_replacements=tuple(tables),
            language_match=language_match,
            removed_symbols=removed,
            whitespace=whitespace,
        )


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", list: "a list", Mapping: "an object", bool: "a boolean"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _pairs(raw: Sequence[Any], path: str) -> Pairs:
    out: list[tuple[str, str]] = []
    for i, pair in enumerate(raw):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(x, str) for x in pair):
            raise _err(f"{path}[{i}]", f"expected a [from, to] pair of strings, got {pair!r}")
        if not pair[0]:
            raise _err(f"{path}[{i}]", "empty string to replace")
        out.append((pair[0], pair[1]))
    return tuple(out)


def _multilingual_cleaners() -> CleanerRules:
    return CleanerRules(
        name="multilingual_cleaners",
        steps=("unicode_nfc", "lowercase", "replace_symbols", "remove_symbols", "collapse_whitespace"),
        default_replacements=_COMMON,
        language_replacements=tuple(_MULTILINGUAL_TABLES.items()),
        language_match="primary_subtag",
        removed_symbols='<>()[]"',
    )


def _basic_cleaners() -> CleanerRules:
    return CleanerRules(
        name="basic_cleaners",
        steps=("unicode_nfc", "lowercase", "collapse_whitespace"),
    )


_FACTORIES = {
    "multilingual_cleaners": _multilingual_cleaners,
    "basic_cleaners": _basic_cleaners,
}

#: Coqui cleaner names that :func:`default_rules` can describe.
SUPPORTED_CLEANERS: tuple[str, ...] = tuple(_FACTORIES)


def default_rules(cleaner_name: str = "multilingual_cleaners") -> CleanerRules:
    """The rules reproducing Coqui's cleaner ``cleaner_name``.

    Raises:
        BundleError: the name is not a supported Coqui cleaner.
    """
    factory = _FACTORIES.get(cleaner_name)
    if factory is None:
        raise BundleError(
            f"unknown text cleaner {cleaner_name!r}: supported cleaners are {', '.join(SUPPORTED_CLEANERS)}"
        )
    return factory()


def apply_cleaner(text: T, language: str | None, rules: CleanerRules) -> T:
    """Run ``rules`` on ``text`` for ``language`` (any string; ``None`` uses the default table).

    ``text`` is a ``str`` or a :class:`~.spans.TrackedText`; every step goes through the span helpers of
    :mod:`~.spans`, so a tracked text comes back with the input offsets of its characters."""
    for step in rules.steps:
        if step == "unicode_nfc":
            text = nfc(text)
        elif step == "lowercase":
            text = lowercase(text)
        elif step == "replace_symbols":
            for src, dst in rules.replacements_for(language):
                text = replace_literal(text, src, dst)
        elif step == "remove_symbols":
            text = remove_chars(text, rules.removed_symbols)
        elif step == "collapse_whitespace":
            if rules.whitespace:
                text = strip_one(rewrite(text, _whitespace_run(rules.whitespace), " "), " ")
        else:  # pragma: no cover - rejected in CleanerRules.__post_init__
            raise BundleError(f"unknown cleaner step {step!r}")
    return text


@functools.lru_cache(maxsize=8)
def _whitespace_run(whitespace: str) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(ch) for ch in whitespace) + "]+")
