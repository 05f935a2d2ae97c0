"""``yourtts-onnx demo``: the whole path on an embedded default, no downloads.

1. build a small YourTTS-architecture checkpoint with random weights (Coqui's file layout),
2. export it to an ONNX bundle and verify every graph against PyTorch,
3. synthesize WAVs with ONNX Runtime alone, in a process where importing torch fails
   (a built-in speaker, then a voice cloned from the first WAV, in another language),
4. print the bundle summary.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_TEXT = "Hello from YourTTS running in ONNX Runtime, without PyTorch."
CLONE_TEXT = "Bonjour, je parle avec une voix clonée."


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="build a small random YourTTS, export, verify and synthesize (needs 'export')"
    )
    p.add_argument("--workdir", default="build/demo", help="where to write the checkpoint, bundle and WAVs")
    p.add_argument(
        "--size", default="small", choices=["tiny", "small", "full"], help="model widths (default small)"
    )
    p.add_argument("--text", default=DEFAULT_TEXT, help="text to speak")


def _torch_blocked_env(block_dir: Path) -> dict[str, str]:
    (block_dir / "torch").mkdir(parents=True, exist_ok=True)
    (block_dir / "torch" / "__init__.py").write_text(
        "raise ImportError('torch is blocked in the runtime demo')\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(block_dir), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _runtime(args: list[str], env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "yourtts_onnx", *args]
    print("$ yourtts-onnx " + " ".join(args), flush=True)
    subprocess.run(cmd, env=env, check=True)


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.errors import require

    require("torch", "export")
    from yourtts_onnx.export.bundle_writer import export_bundle
    from yourtts_onnx.export.random_checkpoint import write_random_checkpoint
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.inspect import format_summary, summarize_bundle

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    print(f"[1/4] writing a random '{args.size}' YourTTS checkpoint (Coqui layout) ...", flush=True)
    checkpoint = write_random_checkpoint(work / "checkpoint", size=args.size)
    print(f"      {checkpoint}")

    print("[2/4] exporting to ONNX and verifying against PyTorch ...", flush=True)
    bundle_dir = work / "bundle"
    export_bundle(checkpoint, bundle_dir, progress=lambda m: print(f"      {m}", flush=True))

    print("[3/4] synthesizing with ONNX Runtime only (torch import blocked) ...", flush=True)
    speaker = Bundle.open(bundle_dir).config.speakers.names[0]
    wav = work / "demo.wav"
    cloned = work / "demo_cloned_fr.wav"
    with tempfile.TemporaryDirectory() as block:
        env = _torch_blocked_env(Path(block))
        _runtime(
            [
                "synth",
                "--bundle",
                str(bundle_dir),
                "--speaker",
                speaker,
                "--language",
                "en",
                "--out",
                str(wav),
                args.text,
            ],
            env,
        )
        _runtime(
            [
                "synth",
                "--bundle",
                str(bundle_dir),
                "--speaker-wav",
                str(wav),
                "--language",
                "fr-fr",
                "--out",
                str(cloned),
                CLONE_TEXT,
            ],
            env,
        )
    print(f"      wrote {wav} and {cloned}")

    print("[4/4] bundle summary", flush=True)
    print(format_summary(summarize_bundle(bundle_dir)))
    print(
        "\nNote: random weights speak noise-like audio; export a real checkpoint for speech "
        "(released YourTTS weights are CC BY-NC-ND 4.0, and so are bundles exported from them)."
    )
    return 0
