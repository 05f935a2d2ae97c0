"""Voice aliases: OpenAI's voice names (and any others) mapped onto this model's voices.

Every OpenAI example says ``voice="alloy"``. Out of the box each OpenAI voice name maps onto a built-in
speaker of the bundle, deterministically: the names in :data:`OPENAI_VOICES` order take the built-in
speakers in the bundle's order, round robin (alloy → the 1st, ash → the 2nd, ...). ``serve --voice-map
FILE`` (a JSON object ``{"alias": "voice"}``) and ``--voice-alias ALIAS=VOICE`` (repeatable, applied last)
change or add entries; a target is a built-in speaker or a saved (cloned) voice id, checked when the alias
is used (a saved voice may be created after the server starts).

Nothing here imports FastAPI; the CLI builds the map before the server stack is loaded.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import MAX_VOICE_MAP_BYTES

OPENAI_VOICES = (
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "onyx",
    "nova",
    "sage",
    "shimmer",
    "verse",
    "marin",
    "cedar",
)
ALIAS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def default_aliases(builtin: Sequence[str]) -> dict[str, str]:
    """Each OpenAI voice name → a built-in speaker, round robin in the bundle's order (none: no aliases)."""
    if not builtin:
        return {}
    return {name: builtin[i % len(builtin)] for i, name in enumerate(OPENAI_VOICES)}


def _check_entry(alias: object, target: object, where: str) -> tuple[str, str]:
    if not isinstance(alias, str) or not ALIAS_NAME.match(alias):
        raise InputError(
            f"{where}: invalid alias {alias!r}: use 1-64 letters, digits, '_', '-' or '.', starting with a "
            "letter or digit"
        )
    if not isinstance(target, str) or not target.strip() or len(target) > 256:
        raise InputError(f"{where}: alias '{alias}' must map to a voice name, got {target!r}")
    return alias, target.strip()


def read_voice_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """A voice map file: a JSON object of alias → voice (built-in speaker or saved voice id)."""
    p = Path(path)
    where = f"voice map '{p}'"
    try:
        if not p.is_file():
            raise InputError(f"{where} not found (or not a regular file)")
        if p.stat().st_size > MAX_VOICE_MAP_BYTES:
            raise InputError(f"{where} is larger than {MAX_VOICE_MAP_BYTES >> 20} MB")
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{where} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot read {where}: {exc.strerror or exc}") from None
    if not isinstance(raw, dict):
        raise InputError(f'{where} must be a JSON object of "alias": "voice" pairs')
    return dict(_check_entry(k, v, where) for k, v in raw.items())


def parse_alias_flags(values: Iterable[str]) -> dict[str, str]:
    """``--voice-alias ALIAS=VOICE`` values."""
    out = {}
    for value in values:
        alias, sep, target = value.partition("=")
        if not sep:
            raise InputError(f"--voice-alias takes ALIAS=VOICE, got {value!r}")
        key, val = _check_entry(alias.strip(), target, "--voice-alias")
        out[key] = val
    return out


def build_voice_map(builtin: Sequence[str], overrides: Mapping[str, str]) -> dict[str, str]:
    """The defaults for ``builtin`` speakers with ``overrides`` (from the file and flags) applied."""
    aliases = default_aliases(builtin)
    aliases.update(overrides)
    return aliases
