"""Shared fixtures. The ground truth produced by Coqui lives beside the project in ../shared/reference."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
TINY = REFERENCE / "yourtts-tiny"
CHECKPOINT = TINY / "checkpoint"
GOLDEN = TINY / "golden"
STUB_BUNDLE = ROOT / "tests" / "data" / "stub_bundle"


def _require_reference() -> None:
    if not (CHECKPOINT / "config.json").is_file():
        pytest.fail(f"reference data missing: expected Coqui's golden files under {REFERENCE}")


@dataclass(frozen=True)
class SynthesisCase:
    name: str
    texts: list[str]
    length_scale: float
    noise_scale: float
    noise_scale_dp: float
    input: np.ndarray
    input_lengths: np.ndarray
    language_ids: np.ndarray
    d_vectors: np.ndarray
    waveform: np.ndarray
    durations: np.ndarray

    @property
    def scales(self) -> np.ndarray:
        return np.array([self.noise_scale, self.length_scale, self.noise_scale_dp], dtype=np.float32)


def load_synthesis_cases() -> list[SynthesisCase]:
    _require_reference()
    cases = json.loads((GOLDEN / "cases.json").read_text())["synthesis"]
    out = []
    for c in cases:
        arrays = {k: np.load(GOLDEN / v) for k, v in c["files"].items()}
        out.append(
            SynthesisCase(
                name=c["name"],
                texts=c["texts"],
                length_scale=c["length_scale"],
                noise_scale=c["noise_scale"],
                noise_scale_dp=c["noise_scale_dp"],
                **arrays,
            )
        )
    return out


@pytest.fixture(scope="session")
def reference_checkpoint() -> Path:
    _require_reference()
    return CHECKPOINT


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    _require_reference()
    return GOLDEN


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference checkpoint exported (and verified) once per test session."""
    _require_reference()
    from yourtts_onnx.export.bundle_writer import export_bundle

    out = tmp_path_factory.mktemp("bundles") / "tiny"
    export_bundle(CHECKPOINT, out, progress=lambda _msg: None)
    return out


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Integrity stamps and optimised graphs go to a per-session cache, never the user's."""
    import os

    os.environ["YOURTTS_ONNX_CACHE"] = str(tmp_path_factory.mktemp("cache"))
