"""Command-line entry point: ``parse_args(argv)`` → ``run(args)`` → a library call.

Each sub-command lives in its own module under :mod:`yourtts_onnx.commands` and exposes
``register(subparsers)`` and ``run(args) -> int``. Command modules import nothing heavy at import
time, so ``yourtts-onnx synth`` never imports torch. User-facing errors
(:class:`~yourtts_onnx.errors.YourTTSError`) become one ``error: ...`` line and their exit code; Ctrl-C,
SIGTERM and SIGHUP unwind the command (temporary files are removed) and exit with 130, 143 and 129.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

from yourtts_onnx import __version__
from yourtts_onnx.commands._runtime_common import silence_stdout
from yourtts_onnx.errors import (
    Terminated,
    YourTTSError,
    clear_terminations,
    note_termination,
    raise_if_terminated,
)

# command name → module under yourtts_onnx.commands
COMMANDS: dict[str, str] = {
    "demo": "demo",
    "export": "export",
    "verify": "verify",
    "inspect": "inspect",
    "synth": "synth",
    "embed": "embed",
    "voices": "voices",
    "tokenize": "tokenize",
    "serve": "serve",
    "bench": "bench",
    "quantize": "quantize",
    "export-voice": "export_voice",
    "download": "download",
    "wyoming": "wyoming",
    "batch": "batch",
    "web-export": "web_export",
}


def _available_commands() -> dict[str, object]:
    modules = {}
    for name, module in COMMANDS.items():
        try:
            modules[name] = importlib.import_module(f"yourtts_onnx.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"yourtts_onnx.commands.{module}":
                continue  # command not built into this version
            raise
    return modules


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = argparse.ArgumentParser(
        prog="yourtts-onnx",
        description="Export Coqui YourTTS to ONNX and run it with ONNX Runtime alone.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = _available_commands()
    for module in modules.values():
        module.register(sub)  # type: ignore[attr-defined]
    return parser, modules


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser, _ = build_parser()
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"yourtts_onnx.commands.{COMMANDS[args.command]}")
    return int(module.run(args) or 0)


def _raise_terminated(signum: int, _frame: object) -> None:
    note_termination(signum)  # kept even if Python drops the exception (raised inside a __del__)
    raise Terminated(signum)


@contextlib.contextmanager
def _termination_unwinds() -> Iterator[None]:
    """In the main thread, turn SIGTERM and SIGHUP into :class:`Terminated` for the duration."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    clear_terminations()
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            previous[sig] = signal.signal(sig, _raise_terminated)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        clear_terminations()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        with _termination_unwinds():
            code = run(args)
            raise_if_terminated()  # the signal's exception was dropped on the way: still terminated
            return code
    except YourTTSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print("terminated", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        silence_stdout()
        return 141
