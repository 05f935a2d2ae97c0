"""Choosing a language of the bundle by name, forgivingly: ``"fr"``, ``"FR_fr"`` and ``"fr-fr"`` all work."""

from __future__ import annotations

from collections.abc import Mapping

from yourtts_onnx.errors import InputError

PREFERRED_DEFAULT = "en"


def _norm(code: str) -> str:
    return code.strip().lower().replace("_", "-")


def default_language(languages: Mapping[str, int]) -> str | None:
    """The only language; else ``"en"`` (or the one English variant) if present; else ``None`` (must be given)."""
    names = list(languages)
    if len(names) == 1:
        return names[0]
    if PREFERRED_DEFAULT in languages:
        return PREFERRED_DEFAULT
    english = [n for n in names if _norm(n).split("-", 1)[0] == PREFERRED_DEFAULT]
    return english[0] if len(english) == 1 else None


def resolve_language(requested: str | None, languages: Mapping[str, int]) -> tuple[str, int]:
    """``(name, id)`` for ``requested``: exact, then case/underscore-insensitive, then a unique primary
    subtag (``"pt"`` → ``"pt-br"``). ``None`` means :func:`default_language`. Errors list the known ones."""
    known = ", ".join(languages)
    if requested is None:
        chosen = default_language(languages)
        if chosen is None:
            raise InputError(
                f"this model speaks several languages; choose one with language=... (known: {known})"
            )
        return chosen, languages[chosen]
    if not isinstance(requested, str) or not requested.strip():
        raise InputError(f"language must be a non-empty string (known: {known})")
    if requested in languages:
        return requested, languages[requested]
    want = _norm(requested)
    by_norm = {_norm(n): n for n in languages}
    if want in by_norm:
        name = by_norm[want]
        return name, languages[name]
    primary = want.split("-", 1)[0]
    matches = [n for n in languages if _norm(n).split("-", 1)[0] == primary]
    if len(matches) == 1:
        return matches[0], languages[matches[0]]
    raise InputError(f"unknown language '{requested}' (known: {known})")
