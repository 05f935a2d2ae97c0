"""The one session factory: options, bytes sources, the optimised-graph cache."""

from __future__ import annotations

import onnxruntime as ort
import pytest

from yourtts_onnx.errors import BundleError
from yourtts_onnx.runtime.atomic import cache_temp_path
from yourtts_onnx.runtime.bundle import Bundle
from yourtts_onnx.runtime.session import CPU_OPTIONS, SessionOptions, create_session

pytest_plugins = ["runtime_fixtures"]


def test_optimised_graph_cache_is_written_once_and_reused(stub_bundle, tmp_path):
    bundle = Bundle.open(stub_bundle)
    path, sha = bundle.graph_path("model"), bundle.file_sha256("model")
    options = SessionOptions(threads=1, cache_dir=tmp_path)
    first = create_session(path, options, sha256=sha)
    cached = list(tmp_path.glob("model.*.onnx"))
    assert len(cached) == 1 and cached[0].stat().st_size > 0
    mtime = cached[0].stat().st_mtime_ns
    second = create_session(path, options, sha256=sha)
    assert [i.name for i in second.get_inputs()] == [i.name for i in first.get_inputs()]
    assert cached[0].stat().st_mtime_ns == mtime  # reused, not rewritten
    assert not list(tmp_path.glob("*.tmp"))
    # another level or another graph version gets its own entry
    create_session(path, options.with_(graph_optimization="basic"), sha256=sha)
    create_session(path, options, sha256="0" * 64)
    assert len(list(tmp_path.glob("model.*.onnx"))) == 3


def test_a_damaged_cache_entry_is_rebuilt(stub_bundle, tmp_path):
    bundle = Bundle.open(stub_bundle)
    options = SessionOptions(threads=1, cache_dir=tmp_path)
    create_session(bundle.graph_path("model"), options, sha256=bundle.file_sha256("model"))
    (entry,) = tmp_path.glob("model.*.onnx")
    entry.write_bytes(b"garbage")
    session = create_session(bundle.graph_path("model"), options, sha256=bundle.file_sha256("model"))
    assert session.get_inputs() and entry.stat().st_size > 100


def test_bytes_and_bad_sources(stub_bundle, tmp_path):
    data = (stub_bundle / "model.onnx").read_bytes()  # its weights are in the bundle's weights.bin
    assert create_session(data, CPU_OPTIONS, external_data_dir=stub_bundle).get_inputs()
    with pytest.raises(BundleError, match=r"cannot load ONNX graph 'model\.onnx'"):
        create_session(data, CPU_OPTIONS, name="model.onnx")  # without it, a clear error naming the graph
    with pytest.raises(BundleError, match="cannot load ONNX graph '<in-memory graph>'"):
        create_session(b"garbage", CPU_OPTIONS)
    with pytest.raises(BundleError, match="not found"):
        create_session(tmp_path / "none.onnx")


def test_spinning_and_arena_reach_onnxruntime():
    opts = SessionOptions(spinning=False, arena=False).ort_options()
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert not opts.enable_cpu_mem_arena
    default = SessionOptions().ort_options()
    # spinning between the ops of a run, never after it (the next session's cores stay free)
    assert default.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    assert default.get_session_config_entry("session.force_spinning_stop") == "1"


def test_an_unwritable_cache_only_costs_speed(stub_bundle, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    bundle = Bundle.open(stub_bundle)
    options = SessionOptions(threads=1, cache_dir=blocked / "cache")
    session = create_session(bundle.graph_path("model"), options, sha256=bundle.file_sha256("model"))
    assert session.get_inputs() and blocked.read_text() == ""


def test_the_cache_entry_appears_whole_or_not_at_all(tmp_path):
    entry = tmp_path / "cache" / "graph.onnx"
    with cache_temp_path(entry) as tmp:
        assert tmp is not None and tmp.parent == entry.parent
        tmp.write_bytes(b"first")
    assert entry.read_bytes() == b"first"
    with cache_temp_path(entry):
        pass  # the producer wrote nothing: the entry stays
    assert entry.read_bytes() == b"first"
    with pytest.raises(ValueError), cache_temp_path(entry) as tmp:
        tmp.write_bytes(b"half")
        raise ValueError("producer failed")
    assert entry.read_bytes() == b"first"
    assert sorted(p.name for p in entry.parent.iterdir()) == ["graph.onnx"]
    with cache_temp_path(tmp_path / "cache" / "graph.onnx" / "below-a-file") as tmp:
        assert tmp is None


def test_cpu_copies_only_when_every_session_is_on_the_cpu(monkeypatch):
    """A graph's CPU copy (contrib ops, channels-last) is for the CPU provider alone: asked for CUDA, or told
    not to, the runtime reads the portable graph."""
    assert SessionOptions().wants_cpu_copy()
    assert SessionOptions(providers="CPUExecutionProvider").wants_cpu_copy()
    assert not SessionOptions(cpu_copies=False).wants_cpu_copy()
    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    assert not SessionOptions(providers="CUDAExecutionProvider").wants_cpu_copy()
    assert not SessionOptions().wants_cpu_copy()  # "auto" picks CUDA where the build has it
