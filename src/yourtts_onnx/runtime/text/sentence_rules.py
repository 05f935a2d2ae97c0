"""Sentence splitting, capping and pauses as data: the ``text.sentences`` section of ``config.json``.

:class:`SentenceRules` holds every table and number that :mod:`.sentences` uses (terminators, closing and
opening quotes, per-language abbreviations, clause punctuation, the token limit and the pause between
utterances), so that another host can reproduce the Python runtime's multi-sentence output from the bundle
alone. The algorithm that reads them is stated in ``docs/consumers.md`` (section 3) and implemented by
:mod:`.sentences`. Bundles written before this section existed get :func:`default_sentence_rules`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yourtts_onnx.errors import BundleError

from .cleaners import LANGUAGE_MATCH_MODES, PYTHON_WHITESPACE

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_PAUSE_SECONDS",
    "Abbreviations",
    "SentenceRules",
    "default_sentence_rules",
]

# Longest utterance in model input ids (blanks included): 400 ids = 199 characters. The text encoder's
# attention is quadratic in this and the duration predictor sees a whole utterance at once; sentences of
# up to ~200 characters keep memory flat and the first audio of a stream quick.
DEFAULT_MAX_TOKENS = 400
DEFAULT_PAUSE_SECONDS = 0.2  # silence between utterances

_SECTION = "sentences"


def _err(path: str, problem: str) -> BundleError:
    return BundleError(f"text frontend config: {_SECTION}.{path}: {problem}")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Abbreviations:
    """Words (lower-case, without their final period) that change what a period after them means."""

    never: frozenset[str] = frozenset()
    """A period after these never ends a sentence ("Mr.", "e.g.")."""
    before_number: frozenset[str] = frozenset()
    """... does not end one when a digit follows ("No. 5", "p. 12")."""
    may_end: frozenset[str] = frozenset()
    """... ends one only when an upper-case letter follows ("etc.")."""
    not_initials: frozenset[str] = frozenset()
    """Single upper-case letters that are words, not initials (English "I")."""

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "never": sorted(self.never),
            "before_number": sorted(self.before_number),
            "may_end": sorted(self.may_end),
            "not_initials": sorted(self.not_initials),
        }

    @classmethod
    def from_dict(cls, d: Any, path: str) -> Abbreviations:
        if not isinstance(d, Mapping):
            raise _err(path, f"expected an object, got {type(d).__name__}")
        lists: dict[str, frozenset[str]] = {}
        for key in ("never", "before_number", "may_end", "not_initials"):
            if key not in d:
                raise _err(f"{path}.{key}", "missing")
            raw = d[key]
            if not isinstance(raw, list):
                raise _err(f"{path}.{key}", f"expected a list of strings, got {type(raw).__name__}")
            for i, word in enumerate(raw):
                if not isinstance(word, str) or not word:
                    raise _err(f"{path}.{key}[{i}]", f"expected a non-empty string, got {word!r}")
            lists[key] = frozenset(raw)
        for i, word in enumerate(sorted(lists["not_initials"])):
            if len(word) != 1:
                raise _err(f"{path}.not_initials[{i}]", f"expected a single character, got {word!r}")
        return cls(**lists)

    @classmethod
    def union(cls, tables: Iterable[Abbreviations]) -> Abbreviations:
        items = list(tables)
        return cls(
            never=frozenset().union(*(a.never for a in items)),
            before_number=frozenset().union(*(a.before_number for a in items)),
            may_end=frozenset().union(*(a.may_end for a in items)),
            not_initials=frozenset().union(*(a.not_initials for a in items)),
        )


def _check_chars(value: Any, path: str, *, empty_ok: bool) -> str:
    if not isinstance(value, str):
        raise _err(path, f"expected a string, got {type(value).__name__}")
    if not value and not empty_ok:
        raise _err(path, "empty")
    return value


@dataclass(frozen=True)
class SentenceRules:
    """How text is cut into utterances and how they are joined (see the module docstring)."""

    terminators: str = ".!?…。！？"
    """A maximal run of these characters may end a sentence."""
    final_terminators: str = "!?！？。"
    """A run containing one of these always ends a sentence."""
    ellipses: str = "…"
    """A run of one of these alone is an ellipsis (as is any run of two or more terminators)."""
    closers: str = "\"'”’»)]"
    """Closing quotes and brackets that stay with the sentence they end."""
    spaced_closers: str = "»”"
    """Closers that may also follow the terminator after one space (French « Oui. »)."""
    openers: str = "\"'“‘«([¿¡"
    """Opening quotes and brackets, skipped when looking at the next word or at an abbreviation."""
    clause_punctuation: str = ",;:"
    """An over-long sentence is cut first after these (when whitespace follows) ..."""
    clause_dashes: str = "-–—"
    """... and after these when whitespace precedes and follows them (a spaced dash)."""
    whitespace: str = PYTHON_WHITESPACE
    """Characters treated as whitespace (Python's ``str.isspace`` set)."""
    language_match: str = "primary_subtag"
    """How a language code picks its abbreviations: ``"exact"`` or ``"primary_subtag"`` (as the cleaner)."""
    language_abbreviations: tuple[tuple[str, Abbreviations], ...] = ()
    default_abbreviations: Abbreviations = field(default_factory=Abbreviations)
    """For languages without a table of their own."""
    max_tokens: int = DEFAULT_MAX_TOKENS
    """Longest utterance in model input ids, blanks included."""
    pause_seconds: float = DEFAULT_PAUSE_SECONDS
    """Silence between consecutive utterances."""
    _tables: dict[str, Abbreviations] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _check_chars(self.terminators, "terminators", empty_ok=False)
        for name in ("final_terminators", "ellipses"):
            extra = [ch for ch in getattr(self, name) if ch not in self.terminators]
            if extra:
                raise _err(name, f"{extra[0]!r} is not one of the terminators")
        if not self.whitespace:
            raise _err("whitespace", "empty")
        if " " not in self.whitespace:
            raise _err("whitespace", "must contain the space character")
        for name in (
            "terminators",
            "closers",
            "spaced_closers",
            "openers",
            "clause_punctuation",
            "clause_dashes",
        ):
            spaces = [ch for ch in getattr(self, name) if ch in self.whitespace]
            if spaces:
                raise _err(name, f"holds the whitespace character {spaces[0]!r}")
        if self.language_match not in LANGUAGE_MATCH_MODES:
            raise _err(
                "language_match", f"{self.language_match!r} is not one of {list(LANGUAGE_MATCH_MODES)}"
            )
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise _err("max_tokens", f"expected a positive integer, got {self.max_tokens!r}")
        pause = self.pause_seconds
        if (
            isinstance(pause, bool)
            or not isinstance(pause, (int, float))
            or not math.isfinite(pause)
            or pause < 0
        ):
            raise _err("pause_seconds", f"expected zero or a positive number of seconds, got {pause!r}")
        object.__setattr__(self, "_tables", dict(self.language_abbreviations))

    def abbreviations_for(self, language: str | None) -> Abbreviations:
        """The table for ``language``: the normalised code (trimmed, lower-cased, ``_`` → ``-``), else its
        primary subtag (with ``language_match="primary_subtag"``), else ``default_abbreviations``."""
        if language is None:
            return self.default_abbreviations
        code = language.strip().lower().replace("_", "-")
        table = self._tables.get(code)
        if table is None and self.language_match == "primary_subtag":
            table = self._tables.get(code.split("-", 1)[0])
        return self.default_abbreviations if table is None else table

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form; :meth:`from_dict` inverts it."""
        return {
            "max_tokens": self.max_tokens,
            "pause_seconds": self.pause_seconds,
            "terminators": self.terminators,
            "final_terminators": self.final_terminators,
            "ellipses": self.ellipses,
            "closers": self.closers,
            "spaced_closers": self.spaced_closers,
            "openers": self.openers,
            "clause_punctuation": self.clause_punctuation,
            "clause_dashes": self.clause_dashes,
            "whitespace": self.whitespace,
            "language_match": self.language_match,
            "language_abbreviations": {lang: a.to_dict() for lang, a in self.language_abbreviations},
            "default_abbreviations": self.default_abbreviations.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Any) -> SentenceRules:
        """Build from :meth:`to_dict` output; a missing or malformed field is a ``BundleError``."""
        if not isinstance(d, Mapping):
            raise BundleError(f"text frontend config: {_SECTION}: expected an object, got {type(d).__name__}")
        for key in (
            "max_tokens",
            "pause_seconds",
            "terminators",
            "final_terminators",
            "ellipses",
            "closers",
            "spaced_closers",
            "openers",
            "clause_punctuation",
            "clause_dashes",
            "whitespace",
            "language_match",
            "language_abbreviations",
            "default_abbreviations",
        ):
            if key not in d:
                raise _err(key, "missing")
        chars = {
            key: _check_chars(d[key], key, empty_ok=key != "terminators")
            for key in (
                "terminators",
                "final_terminators",
                "ellipses",
                "closers",
                "spaced_closers",
                "openers",
                "clause_punctuation",
                "clause_dashes",
                "whitespace",
            )
        }
        language_match = _check_chars(d["language_match"], "language_match", empty_ok=False)
        tables_raw = d["language_abbreviations"]
        if not isinstance(tables_raw, Mapping):
            raise _err("language_abbreviations", f"expected an object, got {type(tables_raw).__name__}")
        tables: list[tuple[str, Abbreviations]] = []
        for lang, table in tables_raw.items():
            if not isinstance(lang, str) or not lang:
                raise _err("language_abbreviations", f"bad language key {lang!r}")
            tables.append((lang, Abbreviations.from_dict(table, f"language_abbreviations.{lang}")))
        default = Abbreviations.from_dict(d["default_abbreviations"], "default_abbreviations")
        pause = d["pause_seconds"]
        if isinstance(pause, bool) or not isinstance(pause, (int, float)):
            raise _err("pause_seconds", f"expected a number of seconds, got {pause!r}")
        return cls(
            **chars,
            language_match=language_match,
            language_abbreviations=tuple(tables),
            default_abbreviations=default,
            max_tokens=d["max_tokens"],
            pause_seconds=float(pause),
        )


_LANGUAGE_ABBREVIATIONS: dict[str, Abbreviations] = {
    "en": Abbreviations(
        never=_words(
            "mr mrs ms mx dr prof sr jr st mt ft gen col capt lt sgt rev hon gov sen rep pres messrs "
            "e.g i.e cf approx dept est vs viz al ca"
        ),
        before_number=_words(
            "no nos nr p pp vol fig ch chap art sec jan feb mar apr jun jul aug sep sept oct nov dec"
        ),
        may_end=_words("etc a.m p.m u.s u.k inc ltd corp co"),
        not_initials=frozenset({"I"}),
    ),
    "fr": Abbreviations(
        never=_words("mm mme mmes mlle mlles dr pr me mgr st ste cf env p.ex ex av bd vs"),
        before_number=_words("n no p pp vol art chap fig janv févr avr juil sept oct nov déc"),
        may_end=_words("etc cie"),
    ),
    "pt": Abbreviations(
        never=_words(
            "sr sra srs sras srta srtas dr dra drs dras prof profa profs eng exmo exma sto sta "
            "p.ex ex av cf aprox vs"
        ),
        before_number=_words(
            "n nº p pp pág pag vol art cap fig jan fev mar abr mai jun jul ago set out nov dez"
        ),
        may_end=_words("etc ltda cia"),
    ),
}


def default_sentence_rules() -> SentenceRules:
    """The rules the runtime has always used: en / fr / pt abbreviations (other languages: their union),
    at most 400 ids per utterance, 0.2 s between utterances."""
    return SentenceRules(
        language_abbreviations=tuple(_LANGUAGE_ABBREVIATIONS.items()),
        default_abbreviations=Abbreviations.union(_LANGUAGE_ABBREVIATIONS.values()),
    )
