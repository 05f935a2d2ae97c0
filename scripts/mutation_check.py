#!/usr/bin/env python3
"""Mutation check: each deliberate bug must make at least one of a few targeted tests fail.

Every mutation is applied to a temporary copy of the repository (never to this checkout, never to Coqui's
reference data, which the copy sees through symlinks), and only the handful of tests aimed at it run there,
on the random-init reference where that suffices. A baseline run of the same tests on the unmutated copy must
pass first, so that a "caught" mutation is not a test that was failing anyway.

    python scripts/mutation_check.py                # baseline, then all mutations (~4 min on 2 busy cores)
    python scripts/mutation_check.py --no-baseline  # as `make test` runs it, after the suite (~2 min)
    python scripts/mutation_check.py --only mean_is_one_clip

Exits 1 naming every mutation no test caught (or 2 if the baseline fails).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@dataclass(frozen=True)
class Mutation:
    name: str
    what: str
    apply: Callable[[Path], None]  # edits the copy at this root
    tests: tuple[str, ...]  # pytest node ids
    shared: Callable[[Path, Path], None] | None = None  # builds the copy's ../shared (default: a symlink)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"mutation_check: the code to mutate moved: {old!r} is not once in {path}")
    path.write_text(text.replace(old, new))


# -- the mutations ---------------------------------------------------------------------------------


def _swap_recordings(_copy: Path) -> None:
    """Nothing in the code: the copy's reference folder has ref_0.wav and ref_1.wav exchanged."""


def _shared_with_swapped_recordings(copy_root: Path, shared: Path) -> None:
    """``shared/`` of symlinks to the real one, except yourtts-tiny's golden ref_0.wav and ref_1.wav, swapped."""
    real = SHARED / "reference"
    ref = shared / "reference"
    ref.mkdir(parents=True)
    for item in real.iterdir():
        if item.name != "yourtts-tiny":
            (ref / item.name).symlink_to(item)
    tiny = ref / "yourtts-tiny"
    tiny.mkdir()
    for item in (real / "yourtts-tiny").iterdir():
        if item.name != "golden":
            (tiny / item.name).symlink_to(item)
    golden = tiny / "golden"
    golden.mkdir()
    swap = {"ref_0.wav": "ref_1.wav", "ref_1.wav": "ref_0.wav"}
    for item in (real / "yourtts-tiny" / "golden").iterdir():
        (golden / item.name).symlink_to(item.parent / swap.get(item.name, item.name))
    for item in SHARED.iterdir():
        if item.name != "reference":
            (shared / item.name).symlink_to(item)


def _mean_is_one_clip(copy: Path) -> None:
    _replace(
        copy / "src/yourtts_onnx/runtime/speaker_windows.py",
        "    return stacked.mean(axis=0, dtype=np.float32)\n",
        "    return stacked[0]\n",
    )


_PERTURB = '''
def perturb_flow(bundle) -> None:
    """Add 1e-3 to one flow weight inside the exported bundle's weights.bin; config.json's hashes follow."""
    import hashlib
    import json

    import numpy as np
    import onnx

    flow = onnx.load(str(bundle / "flow.onnx"), load_external_data=False)
    for t in flow.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL and t.name.endswith("flows.0.post.weight"):
            offset = int({e.key: e.value for e in t.external_data}["offset"])
            break
    else:
        raise AssertionError("no external flows.0.post.weight in flow.onnx")
    weights = bundle / "weights.bin"
    data = bytearray(weights.read_bytes())
    value = np.frombuffer(bytes(data[offset : offset + 4]), dtype="<f4") + np.float32(1e-3)
    data[offset : offset + 4] = value.astype("<f4").tobytes()
    weights.write_bytes(bytes(data))
    config = json.loads((bundle / "config.json").read_text())
    config["files"]["weights.bin"] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (bundle / "config.json").write_text(json.dumps(config, indent=2))
'''


def _flow_weight_after_export(copy: Path) -> None:
    (copy / "tests/mutation_hooks.py").write_text(_PERTURB)
    _replace(
        copy / "tests/conftest.py",
        '            export_bundle(REFERENCE / name / "checkpoint", out, progress=lambda _msg: None)\n',
        # the export's own verification skipped (it runs before the perturbation anyway): quicker
        '            export_bundle(REFERENCE / name / "checkpoint", out, verify=False, progress=lambda _msg: None)\n'
        "            __import__('mutation_hooks').perturb_flow(out)\n",
    )


def _drop_last_sentence(copy: Path) -> None:
    _replace(
        copy / "src/yourtts_onnx/runtime/synthesizer.py",
        "        for i, step in enumerate(plan.steps):\n",
        "        for i, step in enumerate(plan.steps[:-1] if len(plan.steps) > 1 else plan.steps):\n",
    )


def _zero_calibration(copy: Path) -> None:
    _replace(
        copy / "src/yourtts_onnx/optimize/quantize.py",
        "        self.items = [dict(f) for f in feeds]\n",
        "        self.items = [{k: np.zeros_like(v) for k, v in f.items()} for f in feeds]\n",
    )


MUTATIONS = (
    Mutation(
        "swap_recordings",
        "ref_0.wav and ref_1.wav exchanged (the code clones the wrong recording)",
        _swap_recordings,
        ("tests/test_speaker_encoder.py::test_clip_embedding_matches_golden[tiny-0]",),
        shared=_shared_with_swapped_recordings,
    ),
    Mutation(
        "mean_is_one_clip",
        "average_clips returns the first clip's embedding instead of the mean",
        _mean_is_one_clip,
        ("tests/test_speaker_encoder.py::test_mean_of_two_clips_matches_golden[tiny]",),
    ),
    Mutation(
        "flow_weight_after_export",
        "1e-3 added to flows.0.post.weight in the exported weights.bin (hashes rewritten to match)",
        _flow_weight_after_export,
        (
            "tests/test_runtime_parity.py::test_synthesize_ids_matches_coqui[live-single_en]",
            "tests/test_export_bundle.py::test_model_onnx_reproduces_coqui[live-single_en]",
        ),
    ),
    Mutation(
        "drop_last_sentence",
        "the stream leaves out the last sentence of a multi-sentence text",
        _drop_last_sentence,
        ("tests/test_runtime_streaming.py::test_synthesize_is_the_stream_concatenated_with_pauses[tiny]",),
    ),
    Mutation(
        "zero_calibration",
        "INT8 calibration reads zeros instead of the calibration feeds",
        _zero_calibration,
        ("tests/test_derive_bundle.py::test_int8_bundle_shares_weights_and_stays_close_to_fp32[tiny]",),
    ),
)


# -- running ---------------------------------------------------------------------------------------


def _copy_repo(dest: Path) -> None:
    """The checkout's tracked and untracked-but-not-ignored files (no .venv, node_modules, build output)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _pytest(copy: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(copy / "src"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *args]
    return subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True)


def _summary(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


def _workspace(base: Path, name: str, mutation: Mutation | None) -> Path:
    root = base / name
    copy = root / "repo"
    _copy_repo(copy)
    shared = root / "shared"
    if mutation is not None and mutation.shared is not None:
        mutation.shared(copy, shared)
    else:
        shared.symlink_to(SHARED)
    if mutation is not None:
        mutation.apply(copy)
    return copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=[m.name for m in MUTATIONS], help="run just these")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    with tempfile.TemporaryDirectory(prefix="mutation-check-") as tmp:
        base = Path(tmp)
        if not args.no_baseline:
            copy = _workspace(base, "baseline", None)
            started = time.monotonic()
            proc = _pytest(copy, tuple(t for m in chosen for t in m.tests))
            if proc.returncode != 0:
                print(proc.stdout[-3000:], proc.stderr[-2000:], sep="\n")
                print(f"mutation_check: the targeted tests fail unmutated ({_summary(proc)})")
                return 2
            print(f"baseline: {_summary(proc)} unmutated ({time.monotonic() - started:.0f} s)")
        missed = []
        for m in chosen:
            copy = _workspace(base, m.name, m)
            started = time.monotonic()
            proc = _pytest(copy, m.tests)
            took = time.monotonic() - started
            caught = proc.returncode == 1 and (" failed" in proc.stdout or " error" in proc.stdout)
            verdict = "caught" if caught else "NOT CAUGHT"
            print(f"{m.name}: {verdict} ({_summary(proc)}; {took:.0f} s) - {m.what}")
            why = next((line for line in proc.stdout.splitlines() if line.startswith("E ")), "")
            if why:
                print(f"    {why[:300]}")
            if not caught:
                missed.append(m.name)
                print(proc.stdout[-2000:], proc.stderr[-1000:], sep="\n")
    if missed:
        print(f"mutation_check: no test caught: {', '.join(missed)}")
        return 1
    print(f"mutation_check: all {len(chosen)} mutations caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
