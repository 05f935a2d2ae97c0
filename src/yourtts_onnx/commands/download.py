"""``yourtts-onnx download``: fetch the released YourTTS checkpoint into the local cache."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "download",
        help="download the released YourTTS checkpoint (CC BY-NC-ND 4.0) into the cache",
        description=(
            "Download Coqui's released YourTTS archive, check it and unpack it to a checkpoint directory "
            "that `export --checkpoint` accepts (`export --checkpoint your_tts` does this by itself). "
            "Prints the checkpoint directory."
        ),
    )
    p.add_argument("model", nargs="?", default="your_tts", help="model name (default: your_tts)")
    p.add_argument("--url", help="download from this URL instead (a mirror); also $YOURTTS_ONNX_DOWNLOAD_URL")
    p.add_argument("--sha256", help="expected SHA-256 of the archive; a mismatch deletes it and fails")
    p.add_argument(
        "--cache-dir",
        help="cache directory (default: $YOURTTS_ONNX_CACHE, else $XDG_CACHE_HOME/yourtts-onnx, else ~/.cache/yourtts-onnx)",
    )
    p.add_argument("--force", action="store_true", help="download again even if the checkpoint is cached")
    p.add_argument(
        "--keep-archive", action="store_true", help="keep the .zip in the cache's downloads/ folder"
    )
    p.add_argument("--retries", type=int, default=3, help="attempts, each resuming the last (default 3)")


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.export.download import LICENSE_NOTICE, download_model

    result = download_model(
        args.model, url=args.url, sha256=args.sha256, cache=args.cache_dir, force=args.force,
        keep_archive=args.keep_archive, retries=args.retries,
    )  # fmt: skip
    if not result.downloaded:
        import sys

        print(f"already cached: {result.checkpoint}", file=sys.stderr)
        print(LICENSE_NOTICE, file=sys.stderr)
    print(result.checkpoint)
    return 0
