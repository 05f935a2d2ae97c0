"""One set of engine flags (commands/engine_flags.py) for every front end: the same flags, declared once, and
they reach the engine (--backend, --provider) for the HTTP service and the Wyoming server too."""

from __future__ import annotations

import argparse

import onnxruntime as ort
import pytest

from conftest import STUB_BUNDLE
from yourtts_onnx.cli import build_parser, main, parse_args
from yourtts_onnx.commands.engine_flags import (
    add_engine_args,
    add_scale_args,
    add_session_args,
    engine_flags,
    parse_provider,
)
from yourtts_onnx.errors import InputError

FRONT_ENDS = ("synth", "serve", "wyoming", "batch")


def _subparser(name: str) -> argparse.ArgumentParser:
    parser, _ = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _engine_actions(p: argparse.ArgumentParser) -> dict[str, tuple[object, ...]]:
    """Each engine flag of ``p``: its destination, choices, default and help (``--threads``' help names the
    command's own default, so it is left out)."""
    flags = engine_flags()
    out = {}
    for action in p._actions:
        for option in action.option_strings:
            if option in flags:
                text = None if option == "--threads" else action.help
                out[option] = (action.dest, action.choices, action.default, text)
    return out


def missing_engine_flags(p: argparse.ArgumentParser) -> set[str]:
    return set(engine_flags()) - {s for a in p._actions for s in a.option_strings}


def test_the_engine_flags_include_backend_provider_and_the_rest():
    flags = engine_flags()
    for flag in (
        "--bundle",
        "--backend",
        "--provider",
        "--threads",
        "--verify-hashes",
        "--skip-hash-check",
        "--voices-dir",
        "--lexicon",
        "--noise-scale",
        "--length-scale",
        "--noise-scale-dp",
        "--loudness",
        "--coqui-exact",
    ):
        assert flag in flags


def test_every_front_end_lists_the_same_engine_flags_as_synth():
    reference = _engine_actions(_subparser("synth"))
    assert set(reference) == set(engine_flags())
    for name in FRONT_ENDS:
        parser = _subparser(name)
        assert not missing_engine_flags(parser), name
        assert _engine_actions(parser) == reference, name  # declared once: same choices, defaults, help


def test_a_parser_missing_one_engine_flag_fails_the_check():
    """Negative control: the same flags but --provider fail the comparison."""
    p = argparse.ArgumentParser()
    p.add_argument("--bundle", "-b")
    p.add_argument("--voices-dir")
    p.add_argument("--lexicon")
    add_scale_args(p)
    add_session_args(p)
    assert not missing_engine_flags(p)
    q = argparse.ArgumentParser(conflict_handler="resolve")
    add_engine_args(q)
    q._remove_action(next(a for a in q._actions if "--provider" in a.option_strings))
    assert missing_engine_flags(q) == {"--provider"}


@pytest.mark.parametrize("name", FRONT_ENDS)
def test_help_lists_backend_and_provider(name, capsys):
    with pytest.raises(SystemExit):
        main([name, "--help"])
    text = capsys.readouterr().out
    for flag in engine_flags():
        assert flag in text, (name, flag)


# -- --provider ---------------------------------------------------------------------------------------------


def test_provider_names_and_options():
    assert parse_provider("cpu") == "CPUExecutionProvider"
    assert parse_provider("CUDA") == "CUDAExecutionProvider"
    assert parse_provider("tensorrt") == "TensorrtExecutionProvider"
    assert parse_provider("ROCMExecutionProvider") == "ROCMExecutionProvider"
    assert parse_provider("cuda:device_id=1, gpu_mem_limit=2000000000") == (
        "CUDAExecutionProvider",
        {"device_id": "1", "gpu_mem_limit": "2000000000"},
    )
    for bad in (":device_id=1", "cuda:device_id", "cuda:=1"):
        with pytest.raises(InputError, match="--provider"):
            parse_provider(bad)


@pytest.mark.skipif("CUDAExecutionProvider" in ort.get_available_providers(), reason="this machine has CUDA")
@pytest.mark.parametrize("name", FRONT_ENDS)
def test_a_missing_provider_is_one_line_naming_it(name, tmp_path, capsys):
    manifest = tmp_path / "rows.jsonl"
    manifest.write_text('{"text": "hi"}\n')
    extra = {
        "synth": ["-o", str(tmp_path / "o.wav"), "hello"],
        "serve": [],
        "wyoming": [],
        "batch": ["--manifest", str(manifest), "--out", str(tmp_path / "out")],
    }[name]
    code = main([name, "--bundle", str(STUB_BUNDLE), "--provider", "cuda", *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: execution provider 'CUDAExecutionProvider' is not available"), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o.wav").exists() and not (tmp_path / "out").exists()


# -- the flags reach the engine -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["model", "split", "components"])
def test_serve_backend_reaches_the_engine(backend, tmp_path):
    pytest.importorskip("fastapi")
    from server_support import client_for, read_audio
    from yourtts_onnx.commands.serve import build_app

    args = parse_args(
        ["serve", "--bundle", str(STUB_BUNDLE), "--backend", backend, "--provider", "cpu", "--workers", "1",
         "--voices-dir", str(tmp_path / "voices"), "--noise-scale", "0", "--noise-scale-dp", "0"]
    )  # fmt: skip
    app, settings = build_app(args)
    assert settings.options.noise_scale == 0.0
    with client_for(app) as client:
        assert client.get("/details").json()["backend"] == backend
        r = client.post("/v1/audio/speech", json={"input": "Hello there.", "response_format": "wav"})
        assert r.status_code == 200, r.text
        samples, _ = read_audio(r.content)
        assert samples.size > 0


@pytest.mark.parametrize("backend", ["model", "split"])
def test_wyoming_backend_reaches_the_engine(backend, tmp_path):
    pytest.importorskip("wyoming")
    from yourtts_onnx.commands.wyoming import build_service

    args = parse_args(
        ["wyoming", "--bundle", str(STUB_BUNDLE), "--backend", backend, "--provider", "cpu", "--workers", "1",
         "--voices-dir", str(tmp_path / "voices"), "--threads", "1", "--coqui-exact"]
    )  # fmt: skip
    service = build_service(args)
    try:
        assert service.synth.backend.name == backend
        assert service.options.coqui_exact
    finally:
        service.close()


def test_batch_threads_and_provider_reach_the_workers(tmp_path):
    """``--threads`` (alias ``--threads-per-worker``, default 1) and ``--provider`` go into the config and,
    through the worker spec, into each worker's sessions (a worker built here, without Ray)."""
    from yourtts_onnx.batch.shipping import config_sha256
    from yourtts_onnx.batch.worker import BatchWorker, WorkerSpec
    from yourtts_onnx.commands.batch import config_from_args

    manifest = tmp_path / "rows.jsonl"
    manifest.write_text('{"text": "hi"}\n')
    base = ["batch", "--bundle", str(STUB_BUNDLE), "--manifest", str(manifest), "--out", str(tmp_path / "o")]
    assert config_from_args(parse_args(base)).threads_per_worker == 1
    assert config_from_args(parse_args([*base, "--threads-per-worker", "3"])).threads_per_worker == 3
    config = config_from_args(
        parse_args([*base, "--threads", "2", "--provider", "cpu", "--backend", "model"])
    )
    assert config.threads_per_worker == 2 and config.backend == "model"
    assert config.session_options is not None and config.session_options.providers == ["CPUExecutionProvider"]
    spec = WorkerSpec(
        str(STUB_BUNDLE), config_sha256(STUB_BUNDLE), config.backend, "stamp", 2, "wav",
        session_options=config.session_options,
    )  # fmt: skip
    worker = BatchWorker(spec)
    assert worker.synth.backend.name == "model"
