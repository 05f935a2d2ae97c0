"""``yourtts-onnx verify``: compare a bundle's graphs with PyTorch on deterministic inputs."""

from __future__ import annotations

import argparse
import json
import math
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check an exported bundle against PyTorch (needs the 'export' extra)")
    p.add_argument("--checkpoint", required=True, help="the Coqui checkpoint directory the bundle came from")
    p.add_argument("--bundle", required=True, help="bundle directory")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--trust-checkpoint", action="store_true", help="allow full unpickling (runs code from the file)"
    )


def _fmt_db(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.1f}"


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import require

    require("torch", "export")
    from yourtts_onnx.export.bundle_verify import verify_bundle

    reports = verify_bundle(args.checkpoint, args.bundle, trust=args.trust_checkpoint)
    ok = all(r.ok for r in reports)
    if args.json:
        print(json.dumps({"ok": ok, "graphs": [r.to_dict() for r in reports]}, indent=2, default=str))
    else:
        print(
            f"{'graph':<20} {'cases':>5} {'max-abs':>10} {'min SNR dB':>11} {'lengths':>8} "
            f"{'durations':>12}  status"
        )
        for r in reports:
            lengths = [c.lengths_equal for c in r.cases if c.lengths_equal is not None]
            agree = "n/a" if not lengths else ("equal" if all(lengths) else "DIFFER")
            durations = r.durations
            frames = "n/a" if durations is None else f"{durations.equal}/{durations.tokens}"
            status = "ok" if r.ok else "FAIL"
            print(
                f"{r.graph:<20} {len(r.cases):>5} {r.max_abs:>10.2e} {_fmt_db(r.min_snr_db):>11} {agree:>8} "
                f"{frames:>12}  {status}"
            )
        for r in reports:
            durations = r.durations
            if durations is not None and durations.ties:
                print(f"  {r.graph}: durations {durations.describe()}")
            if r.arbitrated:
                print(
                    f"  {r.graph}: {r.arbitrated} case(s) beyond atol of PyTorch float32, judged against float64"
                )
        for r in reports:
            for failure in r.failures:
                print(f"  {failure}", file=sys.stderr)
    return 0 if ok else 6
