"""A request's :class:`~yourtts_onnx.runtime.options.SynthesisOptions`: the server's defaults (scales,
sentence pause, utterance cap, loudness, Coqui-exact tokenisation: the engine flags of ``serve`` and
``wyoming``) with what the request sets on top."""

from __future__ import annotations

from typing import Any

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.options import SynthesisOptions, make_options


def check_server_defaults(options: object) -> SynthesisOptions:
    """The defaults of a server: SynthesisOptions without a voice (a server's voice is chosen per request,
    its default by the server's own setting)."""
    if not isinstance(options, SynthesisOptions):
        raise InputError(f"options must be SynthesisOptions, got {type(options).__name__}")
    if any(v is not None for v in (options.voice, options.speaker_wav, options.embedding)):
        raise InputError(
            "a server's options carry no voice: requests choose it (the Wyoming server's default: default_voice)"
        )
    return options


def request_options(defaults: SynthesisOptions, **fields: Any) -> SynthesisOptions:
    """``defaults`` with the request's ``fields`` applied (``None``: the request left it unset)."""
    return make_options(defaults, **fields)
