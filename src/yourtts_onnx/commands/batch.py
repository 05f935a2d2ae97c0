"""``yourtts-onnx batch``: synthesise a manifest (JSON Lines or CSV) on Ray — resumable, deterministic,
fault-tolerant. The work is done by :mod:`yourtts_onnx.batch`; this module maps arguments to a
:class:`~yourtts_onnx.batch.config.BatchConfig` and prints the summary.

Exit status: 0 when every row is in the output, 1 when some rows are listed in ``DIR/errors.jsonl`` (the
others are done), the usual error codes otherwise (9: the Ray cluster or its workers failed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from yourtts_onnx.commands.engine_flags import (
    add_engine_args,
    default_options,
    integrity_mode,
    session_options,
)

if TYPE_CHECKING:
    from yourtts_onnx.batch.config import BatchConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="synthesise a manifest on Ray: resumable, deterministic, fault-tolerant (needs the 'scale' extra)",
        description="Synthesise every row of a manifest (JSON Lines or CSV: text, and optionally id, language, "
        "voice, noise_scale, length_scale, noise_scale_dp, seed) into DIR: one audio file per row, "
        "metadata.jsonl (Hugging Face audiofolder), metadata_ljspeech.csv, errors.jsonl, summary.json. "
        "Runs on a local Ray started here, or joins a cluster with --address. Re-running resumes.",
    )
    p.add_argument(
        "--manifest", "-m", required=True, metavar="FILE", help="rows to synthesise (.jsonl or .csv)"
    )
    p.add_argument(
        "--out", "-o", required=True, metavar="DIR", help="output directory (created; re-runs resume)"
    )
    p.add_argument(
        "--format", choices=["wav", "flac"], default="wav", help="audio files (default wav, 16-bit)"
    )
    r = p.add_argument_group("Ray")
    r.add_argument(
        "--address", metavar="ADDR", help="join this Ray cluster (HOST:PORT or 'auto'); default: a local Ray"
    )
    r.add_argument(
        "--workers", type=int, metavar="N", help="worker actors (default: the cluster's CPUs / threads)"
    )
    r.add_argument(
        "--threads-per-worker",
        dest="threads",
        type=int,
        metavar="T",
        help="the same as --threads: ONNX Runtime threads per worker, the CPUs each reserves (default 1)",
    )
    r.add_argument(
        "--retries",
        type=int,
        default=3,
        metavar="K",
        help="retries of an item whose worker failed (default 3)",
    )
    r.add_argument(
        "--ship-bundle",
        choices=["auto", "always", "never"],
        default="auto",
        help="send the bundle to the nodes through Ray's object store (auto: with --address; nodes that see "
        "the same bundle at the same path use it)",
    )
    d = p.add_argument_group("defaults for rows that leave a field out")
    d.add_argument("--language", "-l", help="language (default: the only one, or en)")
    d.add_argument(
        "--voice",
        metavar="NAME|PATH",
        help="built-in speaker, saved voice, profile or recording (default: first built-in)",
    )
    p.add_argument(
        "--timestamps",
        action="store_true",
        help="store each row's word timestamps in metadata.jsonl ('words': word, start_time, end_time, "
        "start_char, end_char)",
    )
    # the engine flags; the "synthesis" ones are the defaults for rows that leave a field out
    add_engine_args(p, threads_default="1 per worker, the CPUs each worker reserves")


def config_from_args(args: argparse.Namespace) -> BatchConfig:
    from yourtts_onnx.batch.config import BatchConfig

    defaults = default_options(args, language=args.language, voice=args.voice)
    threads = args.threads if args.threads is not None else 1
    session = session_options(args, threads)  # the provider is checked here, before Ray starts
    return BatchConfig(
        bundle=Path(args.bundle),
        manifest=Path(args.manifest),
        out=Path(args.out),
        audio_format=args.format,
        address=args.address,
        workers=args.workers,
        threads_per_worker=threads,
        session_options=session,
        retries=args.retries,
        backend=args.backend,
        integrity=integrity_mode(args),
        voices_dir=Path(args.voices_dir) if args.voices_dir else None,
        defaults=defaults,
        ship_bundle=args.ship_bundle,
        timestamps=bool(args.timestamps),
        lexicon=Path(args.lexicon) if args.lexicon else None,
    )


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.batch.pool import import_ray
    from yourtts_onnx.batch.progress import summary_text
    from yourtts_onnx.batch.runner import run_batch

    config = config_from_args(args)
    import_ray(local=config.address is None)  # fail before any work when the 'scale' extra is missing
    summary = run_batch(config, verbose=bool(getattr(args, "verbose", False)))
    print(summary_text(summary))
    if summary["errors"]:
        print(f"{summary['errors']} row(s) not synthesised: see {summary['errors_file']}", file=sys.stderr)
        return 1
    return 0
