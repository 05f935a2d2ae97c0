"""``yourtts-onnx serve``: the HTTP service (Coqui ``tts-server`` and OpenAI compatible; needs 'server')."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from yourtts_onnx.commands.engine_flags import add_engine_args, default_options, open_synthesizer
from yourtts_onnx.server.settings import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HOST,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_UPLOAD_MB,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ServerSettings,
    api_key_from_env,
)
from yourtts_onnx.serving.load import DEFAULT_MAX_TEXT_CHARS, DEFAULT_QUEUE_SIZE, available_cores

if TYPE_CHECKING:
    from fastapi import FastAPI


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve text to speech over HTTP: Coqui tts-server and OpenAI compatible API, web page at / "
        "(needs the 'server' extra)",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}, as Coqui's server)"
    )
    p.add_argument(
        "--api-key",
        default=None,
        help=f"require this key (Authorization: Bearer KEY or X-API-Key) on all but /health; default ${ENV_API_KEY}",
    )
    p.add_argument("--workers", type=int, default=None, help="inference threads (default: the CPU cores)")
    p.add_argument(
        "--queue-size",
        type=int,
        default=DEFAULT_QUEUE_SIZE,
        help=f"requests that may wait for a worker; more get 503 (default {DEFAULT_QUEUE_SIZE})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds a request may take, queueing included; 504 past it (default {DEFAULT_TIMEOUT:g})",
    )
    p.add_argument(
        "--max-text-chars",
        type=int,
        default=DEFAULT_MAX_TEXT_CHARS,
        help=f"longest text accepted (default {DEFAULT_MAX_TEXT_CHARS})",
    )
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=DEFAULT_MAX_UPLOAD_MB,
        help=f"largest request body, uploads included (default {DEFAULT_MAX_UPLOAD_MB:g})",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help=f"connections and requests served at once; more get 503 (default {DEFAULT_MAX_CONNECTIONS})",
    )
    p.add_argument(
        "--body-timeout",
        type=float,
        default=DEFAULT_BODY_TIMEOUT,
        metavar="SEC",
        help=f"seconds a request body may pause between two pieces; 408 past it (default {DEFAULT_BODY_TIMEOUT:g})",
    )
    p.add_argument(
        "--voice-map",
        metavar="FILE",
        help='voice aliases, a JSON object {"alias": "voice"} over the defaults (OpenAI\'s alloy, ash, ... '
        "onto the built-in speakers, round robin); a voice is a built-in speaker or a saved voice id",
    )
    p.add_argument(
        "--voice-alias",
        action="append",
        default=[],
        metavar="ALIAS=VOICE",
        help="one voice alias, e.g. alloy=my-cloned-voice (repeatable; applied after --voice-map)",
    )
    p.add_argument(
        "--web-site",
        type=Path,
        default=None,
        metavar="DIR",
        help="also serve a site built by 'yourtts-onnx web-export' at /local/ (speech in the browser)",
    )
    p.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level",
    )
    add_engine_args(p, threads_default="the CPU cores / --workers")


def settings_from_args(args: argparse.Namespace) -> ServerSettings:
    from yourtts_onnx.server.voice_map import parse_alias_flags, read_voice_map

    aliases = read_voice_map(args.voice_map) if getattr(args, "voice_map", None) else {}
    aliases.update(parse_alias_flags(getattr(args, "voice_alias", None) or []))
    return ServerSettings(
        bundle=Path(args.bundle),
        host=args.host,
        port=args.port,
        voices_dir=Path(args.voices_dir) if args.voices_dir else None,
        api_key=api_key_from_env(args.api_key),
        workers=args.workers if args.workers is not None else available_cores(),
        threads=args.threads,
        queue_size=args.queue_size,
        timeout=args.timeout,
        max_text_chars=args.max_text_chars,
        max_upload_mb=args.max_upload_mb,
        max_connections=args.max_connections,
        body_timeout=args.body_timeout,
        voice_aliases=aliases,
        web_site=args.web_site,
        options=default_options(args),
        lexicon=Path(args.lexicon) if getattr(args, "lexicon", None) else None,
    )


def build_app(args: argparse.Namespace) -> tuple[FastAPI, ServerSettings]:
    """The application the arguments describe: settings checked first, then the engine of the engine flags
    (bundle, backend, providers, threads: each worker's share of the cores unless ``--threads``)."""
    from yourtts_onnx.errors import require

    require("fastapi", "server")
    require("multipart", "server")
    from yourtts_onnx.server.app import create_app

    settings = settings_from_args(args)
    synth = open_synthesizer(args, threads=settings.intra_op_threads)
    return create_app(settings, synth), settings


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import require

    require("uvicorn", "server")
    import uvicorn

    app, settings = build_app(args)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, **settings.uvicorn_options())
    return 0
