"""``yourtts-onnx wyoming``: a Wyoming protocol server for Home Assistant (needs the 'wyoming' extra)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from yourtts_onnx.commands.engine_flags import add_engine_args, default_options, open_synthesizer
from yourtts_onnx.serving.load import DEFAULT_MAX_TEXT_CHARS, DEFAULT_QUEUE_SIZE
from yourtts_onnx.wyoming.defaults import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_SAMPLES_PER_CHUNK,
    DEFAULT_TIMEOUT,
    DEFAULT_URI,
    DEFAULT_ZEROCONF_NAME,
)

if TYPE_CHECKING:
    from yourtts_onnx.wyoming.service import WyomingService
    from yourtts_onnx.wyoming.settings import WyomingSettings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "wyoming",
        help="serve text to speech over the Wyoming protocol, for Home Assistant (needs the 'wyoming' extra)",
        description=(
            "A Wyoming TTS server: built-in speakers and saved (cloned) voices, every language of the bundle, "
            "audio streamed as it is made, and streaming text input (sentence by sentence) as Home Assistant "
            "sends it from a language model. Add it in Home Assistant under Settings > Devices & services > "
            "Add integration > Wyoming Protocol, with this machine's host and port."
        ),
    )
    p.add_argument(
        "--uri",
        default=DEFAULT_URI,
        help=f"where to listen: tcp://HOST:PORT or unix://PATH (default {DEFAULT_URI}; "
        "tcp://0.0.0.0:10200 to be reached from other machines)",
    )
    p.add_argument(
        "--default-voice",
        metavar="NAME",
        help="voice for requests that name none (default: the first built-in)",
    )
    p.add_argument(
        "--default-language",
        metavar="LANG",
        help="language for requests that name none, e.g. en, fr, pt_BR (default: the only one, or en)",
    )
    p.add_argument(
        "--zeroconf",
        nargs="?",
        const=DEFAULT_ZEROCONF_NAME,
        metavar="NAME",
        help=f"announce the server over mDNS so Home Assistant discovers it (name default {DEFAULT_ZEROCONF_NAME}; "
        "needs zeroconf, a tcp:// --uri)",
    )
    p.add_argument("--workers", type=int, metavar="N", help="syntheses run at once (default: the CPU cores)")
    p.add_argument(
        "--queue-size",
        type=int,
        default=DEFAULT_QUEUE_SIZE,
        metavar="N",
        help=f"syntheses that may wait for a worker; more get a 'busy' error (default {DEFAULT_QUEUE_SIZE})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SEC",
        help=f"seconds one synthesis (a request, or a sentence of a text stream) may take (default {DEFAULT_TIMEOUT:g})",
    )
    p.add_argument(
        "--max-text-chars",
        type=int,
        default=DEFAULT_MAX_TEXT_CHARS,
        metavar="N",
        help=f"longest text of a request or of a whole text stream (default {DEFAULT_MAX_TEXT_CHARS})",
    )
    p.add_argument(
        "--samples-per-chunk",
        type=int,
        default=DEFAULT_SAMPLES_PER_CHUNK,
        metavar="N",
        help=f"audio samples per audio-chunk event at most (default {DEFAULT_SAMPLES_PER_CHUNK})",
    )
    p.add_argument(
        "--no-streaming",
        action="store_true",
        help="do not offer streaming text input (clients then send the whole text in one synthesize)",
    )
    p.add_argument(
        "--close-on-error",
        action="store_true",
        help="close the connection after the error of a failed synthesize request (Home Assistant waits "
        "for audio-stop and ignores error events: recommended when serving Home Assistant)",
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SEC",
        help=f"close a connection that sends nothing for SEC seconds while nothing is being said for it "
        f"(default {DEFAULT_IDLE_TIMEOUT:g})",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help=f"client connections open at once; more are told the server is busy (default {DEFAULT_MAX_CONNECTIONS})",
    )
    add_engine_args(p, threads_default="the CPU cores / --workers")


def settings_from_args(args: argparse.Namespace) -> WyomingSettings:
    """The one mapping from arguments to :class:`WyomingSettings` (checked there)."""
    from yourtts_onnx.serving.load import available_cores
    from yourtts_onnx.wyoming.settings import WyomingSettings

    return WyomingSettings(
        uri=args.uri,
        voices_dir=Path(args.voices_dir) if args.voices_dir else None,
        default_voice=args.default_voice,
        default_language=args.default_language,
        zeroconf=args.zeroconf,
        workers=args.workers if args.workers is not None else available_cores(),
        threads=args.threads,
        queue_size=args.queue_size,
        timeout=args.timeout,
        max_text_chars=args.max_text_chars,
        samples_per_chunk=args.samples_per_chunk,
        streaming=not args.no_streaming,
        close_on_error=args.close_on_error,
        idle_timeout=args.idle_timeout,
        max_connections=args.max_connections,
        options=default_options(args),
    )


def build_service(args: argparse.Namespace) -> WyomingService:
    """The service the arguments describe: settings checked first (before the extra is needed), then the
    engine of the engine flags (bundle, backend, providers, threads: each worker's share of the cores)."""
    from yourtts_onnx.wyoming import require_wyoming

    settings = settings_from_args(args)  # bad arguments fail before anything is loaded
    require_wyoming()
    if settings.zeroconf is not None:
        from yourtts_onnx.errors import require

        require("zeroconf", "wyoming")
    from yourtts_onnx.wyoming.service import WyomingService

    synth = open_synthesizer(args, threads=settings.intra_op_threads)
    return WyomingService(synth, settings)


def run(args: argparse.Namespace) -> int:
    service = build_service(args)
    from yourtts_onnx.wyoming.server import run as serve

    serve(service)
    return 0
