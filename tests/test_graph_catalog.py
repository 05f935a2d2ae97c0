"""The graph catalogue is the one place that knows the graphs: tensor names are string literals only there
(and in the torch model code), and what it declares is what the exporter and the runtime contract use."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import STUB_BUNDLE
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.bundle import Bundle
from yourtts_onnx.runtime.graph_contract import graph_contracts

SRC = Path(__file__).resolve().parents[1] / "src" / "yourtts_onnx"
#: the files allowed to spell tensor names: the catalogue and the torch model code
ALLOWED = ("runtime/graph_catalog.py", "export/model/")
#: tensor names that are also ordinary words used for other things (an HTTP field, a config section, a
#: variable): the scan cannot tell those uses apart, so it skips these names
HOMONYMS = frozenset({"input", "output", "audio", "scales", "z"})
#: (file, name) → how many times the file may spell the name for something that is not a graph tensor
#: (``None``: any number; only for a file that feeds no graph)
NOT_TENSORS: dict[tuple[str, str], int | None] = {
    # config.json's "speaker_embedding" section (dim, normalisation): written and read
    ("runtime/bundle.py", cat.SPEAKER_EMBEDDING): 2,
    # the voice manifest's "language_id" field
    ("voice_export/exporter.py", cat.LANGUAGE_ID): 1,
    # the Coqui TTS server API's query and form field
    ("server/routes/coqui.py", cat.LANGUAGE_ID): None,
}


def scanned_names() -> frozenset[str]:
    return cat.tensor_names() - HOMONYMS


def tensor_literals(source: str, names: frozenset[str]) -> list[tuple[int, str]]:
    """``(line, name)`` of every string constant in ``source`` that is exactly one of ``names``."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    ]


def stray_tensor_literals(root: Path) -> list[str]:
    names = scanned_names()
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(ALLOWED):
            continue
        hits = tensor_literals(path.read_text(encoding="utf-8"), names)
        for line, name in hits:
            allowed = NOT_TENSORS.get((rel, name), 0)
            if allowed is not None and sum(n == name for _, n in hits) > allowed:
                found.append(f"{rel}:{line}: {name!r}")
    return found


def test_tensor_names_are_spelled_only_in_the_catalogue() -> None:
    assert stray_tensor_literals(SRC) == []


def test_the_scan_flags_a_tensor_name_outside_the_catalogue(tmp_path: Path) -> None:
    """Negative control: a module feeding a graph by a spelled-out name is found."""
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime" / "feeds.py").write_text(
        'def feeds(x):\n    return {"encoder_states": x}\n', encoding="utf-8"
    )
    (tmp_path / "runtime" / "graph_catalog.py").write_text('ENCODER_STATES = "encoder_states"\n')
    assert stray_tensor_literals(tmp_path) == ["runtime/feeds.py:2: 'encoder_states'"]


def test_the_scan_covers_the_distinctive_names() -> None:
    assert {"encoder_states", "log_durations", "dp_noise", "z_p", "m_p", "frame_lengths"} <= scanned_names()


def test_every_entry_is_consistent() -> None:
    for name, entry in cat.CATALOG.items():
        assert entry.name == name
        assert entry.file == f"{name}.onnx"
        assert len(set(entry.input_names)) == len(entry.inputs)
        assert len(set(entry.output_names)) == len(entry.outputs)
        assert entry.durations_output is None or entry.durations_output in entry.output_names
        assert entry.int8_fp16_select == "" or entry.int8 == "fp16_weights"


def test_dynamic_axes_are_the_named_axes() -> None:
    dp = cat.graph_entry(cat.GRAPH_DURATION_PREDICTOR)
    assert dp.dynamic_axes[cat.DP_NOISE] == {0: cat.BATCH, 2: cat.TOKENS}
    assert dp.input(cat.DP_NOISE).shape[1] == cat.DP_NOISE_CHANNELS
    assert cat.SCALES not in dp.dynamic_axes


@pytest.mark.parametrize("graph", list(cat.CATALOG))
def test_the_committed_bundle_matches_the_catalogue(graph: str) -> None:
    """The committed stub bundle (written before the catalogue existed) declares exactly what the catalogue
    does: names, dtypes, shapes with their named axes, the file and the descriptions."""
    config = Bundle.open(STUB_BUNDLE).config
    hidden = next(t.shape[1] for t in config.graphs[cat.GRAPH_DECODER].inputs if t.name == cat.M_P)
    enc = next(
        t.shape[1] for t in config.graphs[cat.GRAPH_TEXT_ENCODER].outputs if t.name == cat.ENCODER_STATES
    )
    expected = graph_contracts(config.embedding_dim, int(hidden), int(enc) - int(hidden))[graph]
    assert config.graphs[graph].to_dict() == expected.to_dict()  # names, dtypes, shapes, file, descriptions
