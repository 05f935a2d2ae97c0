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

from yourtts_onnx.commands._runtime_common import (
    add_bundle_arg,
    add_lexicon_arg,
    add_scale_args,
    add_voices_dir_arg,
    integrity_mode,
    scale_fields,
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
    add_bundle_arg(p)
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
        type=int,
        default=1,
        metavar="T",
        help="ONNX Runtime threads per worker (default 1)",
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
    add_voices_dir_arg(p)
    add_lexicon_arg(p)
    d = add_scale_args(p)  # the defaults of the scales, pause and utterance cap for rows that leave them out
    d.add_argument(
        "--coqui-exact", action="store_true", help="tokenise as Coqui: no number expansion, no splitting"
    )
    p.add_argument(
        "--timestamps",
        action="store_true",
        help="store each row's word timestamps in metadata.jsonl ('words': word, start_time, end_time, "
        "start_char, end_char)",
    )
    g = p.add_argument_group("bundle")
    g.add_argument(
        "--backend", choices=["auto", "split", "components", "model"], default="auto", help="decoding graphs"
    )
    h = g.add_mutually_exclusive_group()
    h.add_argument("--verify-hashes", action="store_true", help="hash every bundle file")
    h.add_argument("--skip-hash-check", action="store_true", help="check presence and sizes only")


def config_from_args(args: argparse.Namespace) -> BatchConfig:
    from yourtts_onnx.batch.config import BatchConfig
    from yourtts_onnx.runtime.options import make_options

    exact = bool(args.coqui_exact)
    defaults = make_options(
        language=args.language,
        voice=args.voice,
        normalize_numbers=False if exact else None,
        split_sentences=False if exact else None,
        **scale_fields(args),
    )
    return BatchConfig(
        bundle=Path(args.bundle),
        manifest=Path(args.manifest),
        out=Path(args.out),
        audio_format=args.format,
        address=args.address,
        workers=args.workers,
        threads_per_worker=args.threads_per_worker,
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
