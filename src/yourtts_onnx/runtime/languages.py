"""Choosing a language of the bundle by name, forgivingly: ``"fr"``, ``"FR_fr"`` and ``"fr-fr"`` all work.

The rule is data, :class:`LanguageResolution`, stored in ``config.json`` as ``text.language_resolution``
(bundles without it get the defaults below, the behaviour the runtime always had):

* ``normalize``: steps applied to a requested name and to every bundle language before comparing them,
  in order: ``"trim"`` (strip leading/trailing whitespace), ``"lowercase"``, ``"underscore_to_hyphen"``.
* ``match``: strategies tried in order; the first that gives exactly one bundle language wins:
  ``"exact"`` (the name as given is a key of ``languages``), ``"normalized"`` (equal after normalising),
  ``"alias"`` (the normalised name is a normalised key of ``aliases``, whose value is a bundle language),
  ``"primary_subtag"`` (equal parts before the first ``-``: ``"pt"`` and ``"pt-pt"`` → ``"pt-br"``,
  ``"en-US"`` → ``"en"``).
* ``preferred_default``: with no language given, a one-language bundle uses its language; otherwise
  ``preferred_default`` resolved as above (``"en"``); otherwise the caller must choose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from yourtts_onnx.errors import BundleError, InputError

__all__ = [
    "MATCH_STRATEGIES",
    "NORMALIZE_STEPS",
    "PREFERRED_DEFAULT",
    "LanguageResolution",
    "default_language",
    "resolve_language",
]

PREFERRED_DEFAULT = "en"
NORMALIZE_STEPS: tuple[str, ...] = ("trim", "lowercase", "underscore_to_hyphen")
MATCH_STRATEGIES: tuple[str, ...] = ("exact", "normalized", "alias", "primary_subtag")

_SECTION = "language_resolution"


def _err(path: str, problem: str) -> BundleError:
    return BundleError(f"text frontend config: {_SECTION}{'.' if path else ''}{path}: {problem}")


def _names(value: Any, path: str, known: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _err(path, f"expected a list of strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if item not in known:
            raise _err(f"{path}[{i}]", f"unknown step {item!r}; known: {list(known)}")
    return tuple(value)


@dataclass(frozen=True)
class LanguageResolution:
    """How a requested language name maps to a bundle language (see the module docstring)."""

    normalize: tuple[str, ...] = NORMALIZE_STEPS
    match: tuple[str, ...] = MATCH_STRATEGIES
    aliases: tuple[tuple[str, str], ...] = ()
    preferred_default: str | None = PREFERRED_DEFAULT

    def __post_init__(self) -> None:
        for i, step in enumerate(self.normalize):
            if step not in NORMALIZE_STEPS:
                raise _err(f"normalize[{i}]", f"unknown step {step!r}; known: {list(NORMALIZE_STEPS)}")
        for i, step in enumerate(self.match):
            if step not in MATCH_STRATEGIES:
                raise _err(f"match[{i}]", f"unknown step {step!r}; known: {list(MATCH_STRATEGIES)}")
        for key, target in self.aliases:
            if not key or not target:
                raise _err(f"aliases.{key}", "alias names and targets must be non-empty strings")

    def normalized(self, name: str) -> str:
        for step in self.normalize:
            if step == "trim":
                name = name.strip()
            elif step == "lowercase":
                name = name.lower()
            else:  # underscore_to_hyphen
                name = name.replace("_", "-")
        return name

    def to_dict(self) -> dict[str, Any]:
        return {
            "normalize": list(self.normalize),
            "match": list(self.match),
            "aliases": dict(self.aliases),
            "preferred_default": self.preferred_default,
        }

    @classmethod
    def from_dict(cls, d: Any) -> LanguageResolution:
        """Build from :meth:`to_dict` output; a missing or malformed field is a ``BundleError``."""
        if not isinstance(d, Mapping):
            raise _err("", f"expected an object, got {type(d).__name__}")
        for key in ("normalize", "match", "aliases", "preferred_default"):
            if key not in d:
                raise _err(key, "missing")
        aliases = d["aliases"]
        if not isinstance(aliases, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()
        ):
            raise _err("aliases", "expected an object of name -> bundle language (strings)")
        default = d["preferred_default"]
        if default is not None and (not isinstance(default, str) or not default):
            raise _err("preferred_default", f"expected a language name or null, got {default!r}")
        return cls(
            normalize=_names(d["normalize"], "normalize", NORMALIZE_STEPS),
            match=_names(d["match"], "match", MATCH_STRATEGIES),
            aliases=tuple(aliases.items()),
            preferred_default=default,
        )

    # -- resolution -------------------------------------------------------------------------------

    def _primary(self, name: str) -> str:
        return self.normalized(name).split("-", 1)[0]

    def find(self, requested: str, languages: Mapping[str, int]) -> str | None:
        """The bundle language ``requested`` names, or ``None`` when no strategy gives exactly one."""
        want = self.normalized(requested)
        for strategy in self.match:
            if strategy == "exact":
                found = [requested] if requested in languages else []
            elif strategy == "normalized":
                found = [n for n in languages if self.normalized(n) == want]
            elif strategy == "alias":
                found = []
                for key, target in self.aliases:
                    if self.normalized(key) == want:
                        if target not in languages:
                            raise _err(
                                f"aliases.{key}",
                                f"{target!r} is not a language of this bundle (known: {', '.join(languages)})",
                            )
                        found = [target]
                        break
            else:  # primary_subtag
                primary = want.split("-", 1)[0]
                found = [n for n in languages if self._primary(n) == primary]
            if len(found) == 1:
                return found[0]
        return None


_DEFAULT_RULES = LanguageResolution()


def default_language(languages: Mapping[str, int], rules: LanguageResolution | None = None) -> str | None:
    """The only language; else ``rules.preferred_default`` (``"en"``) if it resolves to exactly one
    language; else ``None`` (the caller must choose)."""
    rules = _DEFAULT_RULES if rules is None else rules
    names = list(languages)
    if len(names) == 1:
        return names[0]
    if rules.preferred_default is None:
        return None
    return rules.find(rules.preferred_default, languages)


def resolve_language(
    requested: str | None, languages: Mapping[str, int], rules: LanguageResolution | None = None
) -> tuple[str, int]:
    """``(name, id)`` for ``requested`` by ``rules`` (default: exact, then case/underscore-insensitive,
    then aliases, then a unique primary subtag: ``"pt"`` → ``"pt-br"``). ``None`` means
    :func:`default_language`. Errors list the known languages."""
    rules = _DEFAULT_RULES if rules is None else rules
    known = ", ".join(languages)
    if requested is None:
        chosen = default_language(languages, rules)
        if chosen is None:
            raise InputError(
                f"this model speaks several languages; choose one with language=... (known: {known})"
            )
        return chosen, languages[chosen]
    if not isinstance(requested, str) or not requested.strip():
        raise InputError(f"language must be a non-empty string (known: {known})")
    name = rules.find(requested, languages)
    if name is None:
        raise InputError(f"unknown language '{requested}' (known: {known})")
    return name, languages[name]
