"""Shared fixtures. The ground truth produced by Coqui lives beside the project in ../shared/reference."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
#: Coqui's two references: random init (identity flow, one frame per token at noise 0) and the same checkpoint
#: with every tensor Coqui's init leaves at zero drawn (a live flow and duration predictor, like a trained
#: model). Everything checked against Coqui's goldens runs on both.
REFERENCE_NAMES = ("yourtts-tiny", "yourtts-tiny-live")
TINY = REFERENCE / "yourtts-tiny"
CHECKPOINT = TINY / "checkpoint"
GOLDEN = TINY / "golden"
STUB_BUNDLE = ROOT / "tests" / "data" / "stub_bundle"

#: under CI a skip is a failure unless allow-listed there (tests/ci_guard.py)
pytest_plugins = ["ci_guard"]


def _require_reference() -> None:
    for name in REFERENCE_NAMES:
        if not (REFERENCE / name / "checkpoint" / "config.json").is_file():
            pytest.fail(f"reference data missing: expected Coqui's golden files under {REFERENCE / name}")


@dataclass(frozen=True)
class Reference:
    """One of Coqui's reference checkpoints with its golden outputs."""

    name: str

    @property
    def root(self) -> Path:
        return REFERENCE / self.name

    @property
    def checkpoint(self) -> Path:
        return self.root / "checkpoint"

    @property
    def golden(self) -> Path:
        return self.root / "golden"

    @property
    def short(self) -> str:
        return "live" if self.name.endswith("-live") else "tiny"

    def cases(self) -> list[SynthesisCase]:
        return load_synthesis_cases(self.name)


REFERENCES = tuple(Reference(n) for n in REFERENCE_NAMES)


@dataclass(frozen=True)
class SynthesisCase:
    name: str
    reference: str  # which reference checkpoint produced it (REFERENCE_NAMES)
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

    @property
    def id(self) -> str:
        """Test id: the reference's short name and the case's."""
        return f"{Reference(self.reference).short}-{self.name}"


def load_synthesis_cases(reference: str = "yourtts-tiny") -> list[SynthesisCase]:
    _require_reference()
    golden = REFERENCE / reference / "golden"
    cases = json.loads((golden / "cases.json").read_text())["synthesis"]
    out = []
    for c in cases:
        arrays = {k: np.load(golden / v) for k, v in c["files"].items()}
        out.append(
            SynthesisCase(
                name=c["name"],
                reference=reference,
                texts=c["texts"],
                length_scale=c["length_scale"],
                noise_scale=c["noise_scale"],
                noise_scale_dp=c["noise_scale_dp"],
                **arrays,
            )
        )
    return out


def all_synthesis_cases() -> list[SynthesisCase]:
    """Every golden synthesis of both references (parametrize with ``ids=[c.id for c in ...]``)."""
    return [case for ref in REFERENCES for case in ref.cases()]


#: Fixtures that export a reference checkpoint (torch, ~15 s each): a test using any of them, directly or
#: through another fixture, is marked ``export`` and stays out of ``make check``'s fast lane.
EXPORT_FIXTURES = frozenset({"reference_bundles"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if EXPORT_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("export"):
            item.add_marker(pytest.mark.export)


@pytest.fixture(scope="session", params=REFERENCES, ids=[r.short for r in REFERENCES])
def reference(request: pytest.FixtureRequest) -> Reference:
    """Each reference in turn: tests that use it (or a fixture built on it) run once per reference."""
    _require_reference()
    return request.param


@pytest.fixture(scope="session")
def reference_checkpoint(reference: Reference) -> Path:
    return reference.checkpoint


@pytest.fixture(scope="session")
def golden_dir(reference: Reference) -> Path:
    return reference.golden


@pytest.fixture(scope="session")
def reference_bundles(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``bundle_for(reference_name)``: that reference checkpoint exported (and verified) once per session."""
    from yourtts_onnx.export.bundle_writer import export_bundle

    made: dict[str, Path] = {}

    def bundle_for(name: str) -> Path:
        if name not in made:
            _require_reference()
            out = tmp_path_factory.mktemp("bundles") / Reference(name).short
            export_bundle(REFERENCE / name / "checkpoint", out, progress=lambda _msg: None)
            made[name] = out
        return made[name]

    return bundle_for


@pytest.fixture(scope="session")
def tiny_bundle(reference: Reference, reference_bundles: Callable[[str], Path]) -> Path:
    """The current reference checkpoint exported (and verified) once per test session."""
    return reference_bundles(reference.name)


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Integrity stamps and optimised graphs go to a per-session cache, never the user's."""
    import os

    os.environ["YOURTTS_ONNX_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def live_checkpoint() -> Path:
    """The live reference alone, for tests whose subject does not depend on the weights (error handling,
    packaging, bench smoke runs, a Ray cluster): live is what trained checkpoints look like."""
    _require_reference()
    return REFERENCES[1].checkpoint


@pytest.fixture(scope="session")
def live_bundle(reference_bundles: Callable[[str], Path]) -> Path:
    return reference_bundles(REFERENCES[1].name)
