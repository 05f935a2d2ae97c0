"""Pronunciation lexicons: the file format and its errors, whole-word matching, the order of steps, the
bundle's lexicon.json, and every front end's ``--lexicon`` (synth, tokenize, serve, wyoming, batch)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import STUB_BUNDLE
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import MAX_LEXICON_BYTES, MAX_LEXICON_ENTRIES, MAX_LEXICON_KEY_CHARS
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer, chunk_text, normalize_text
from yourtts_onnx.runtime.text.lexicon import Lexicon, load_lexicon, parse_lexicon, resolve_lexicon

pytest_plugins = ["runtime_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "lexicon.json"
QUIET = {"noise_scale": 0.0, "noise_scale_dp": 0.0}
LANGUAGES = {"en": "en", "fr": "fr-fr", "fr-fr": "fr-fr", "pt-br": "pt-br"}


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(FIXTURE)


def _fixture_words() -> list[tuple[str, str, str]]:
    """(bundle language, word, expected replacement) for every entry of the fixture, specific over primary."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    out: dict[tuple[str, str], str] = {}
    for key in ("en", "fr", "fr-fr", "pt-br"):  # the specific key after its primary subtag: it wins
        for word, spoken in data[key].items():
            out[(LANGUAGES[key], word)] = spoken
    return [(language, word, spoken) for (language, word), spoken in out.items()]


def _capital(word: str, spoken: str) -> str:
    return spoken[:1].upper() + spoken[1:] if word[:1].isupper() else spoken


# -- every fixture word ------------------------------------------------------------------------------------


def test_every_fixture_word_takes_effect(lexicon):
    words = _fixture_words()
    assert len(words) >= 25
    hits = 0
    for language, word, spoken in words:
        out = normalize_text(f"Say {word} now.", language, lexicon)
        assert out == f"Say {_capital(word, spoken)} now.", (language, word, out)
        hits += 1
    assert hits == len(words)  # 100 %


def test_every_fixture_word_reaches_the_ids(lexicon, stub_synth):
    config = TextFrontendConfig.from_dict(stub_synth.config.text)
    with_lexicon, plain = Tokenizer(config, lexicon), Tokenizer(config)
    for language, word, spoken in _fixture_words():
        got = with_lexicon.encode(f"{word}.", language, normalize_numbers=True)
        assert got == plain.encode(f"{_capital(word, spoken)}.", language, normalize_numbers=True), word
        assert got != plain.encode(f"{word}.", language, normalize_numbers=True)  # negative control


# -- matching ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MySQL and SQLite keep SQL", "MySQL and SQLite keep Sequel"),  # whole words only
        ("gif, Gif, GIF", "jif, Jif, Ghif"),  # no capitals: any case; capitals: exact (and first)
        ("nguyen", "nguyen"),  # a key with capitals is case-sensitive
        ("New York, new york, New Yorker", "Noo york, new york, New Yorker"),
        ("R2-D2 has 2 arms", "Are two dee two has two arms"),  # before the number expansion
        ("Dr. Who met Dr. Smith", "The doctor met Doctor Smith"),  # before the abbreviations, longest first
        ("use C++ e.g. here", "use See plus plus for instance here"),
        ("Xi. Then", "Shee. Then"),
    ],
)
def test_matching(lexicon, text, expected):
    assert normalize_text(text, "en", lexicon) == expected


def test_replacements_are_not_looked_up_again():
    lex = parse_lexicon({"en": {"a": "b", "b": "c"}})
    assert normalize_text("a b", "en", lex) == "b c"


def test_language_keys_specific_over_primary(lexicon):
    assert normalize_text("Nguyen", "fr-fr", lexicon) == "Nguienne"  # fr-fr over fr
    assert normalize_text("Bordeaux", "fr-fr", lexicon) == "Bordo"  # fr applies to fr-fr
    assert normalize_text("Bordeaux", "en", lexicon) == "Bordeaux"


def test_capitals_keep_titles_and_sentences(lexicon):
    chunks = chunk_text(
        "We met Mr. Nguyen. Siobhan came.", "en", 200, normalize_numbers=True, lexicon=lexicon
    )
    assert chunks == ["We met Mister Win.", "Shivawn came."]


def test_coqui_exact_ignores_the_lexicon(lexicon, stub_synth):
    config = TextFrontendConfig.from_dict(stub_synth.config.text)
    assert Tokenizer(config, lexicon).encode("SQL", "en") == Tokenizer(config).encode("SQL", "en")


# -- files and their errors --------------------------------------------------------------------------------


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "lex.json"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            '{"en": {"a": "b",}',
            "is not valid JSON: Expecting property name enclosed in double quotes (line 1",
        ),
        ('["en"]', "the top level must be an object of languages, got list"),
        ('{"en": ["a"]}', "language 'en' must map words to replacements, got list"),
        ('{"en": {"a": 3}}', "'en' entry 'a': the replacement must be a string, got int"),
        ('{"en": {"": "b"}}', "a word must be non-empty"),
        ('{"en": {" a": "b"}}', "without leading or trailing spaces"),
        ('{"en": {"a": "b\\nc"}}', "the replacement must be one line"),
        ('{"e n": {"a": "b"}}', "'e n' is not a language name"),
        ('{"de": {"a": "b"}}', "language 'de' is not a language of this model (en, fr-fr, pt-br"),
        (json.dumps({"en": {"x" * (MAX_LEXICON_KEY_CHARS + 1): "y"}}), f"at most {MAX_LEXICON_KEY_CHARS}"),
        (json.dumps({"en": {"a": "y" * 401}}), "the replacement may have at most 400"),
        (json.dumps({"en": {f"w{i}": "x" for i in range(MAX_LEXICON_ENTRIES + 1)}}), "more than"),
        (b"\xff\xfe{}", "is not UTF-8 (byte 0)"),
        (b" " * (MAX_LEXICON_BYTES + 1), f"larger than {MAX_LEXICON_BYTES} bytes"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_bad_files(tmp_path, content, needle):
    path = _write(tmp_path, content)
    with pytest.raises(InputError) as info:
        resolve_lexicon(path, STUB_BUNDLE, ["en", "fr-fr", "pt-br"])
    message = str(info.value)
    assert needle in message and str(path) in message and "\n" not in message, message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_lexicon(tmp_path / "nope.json")
    with pytest.raises(InputError, match="not found"):
        load_lexicon(tmp_path)


def test_lexicon_pickles(lexicon):
    import pickle

    copy = pickle.loads(pickle.dumps(lexicon))
    assert copy == lexicon and copy.digest == lexicon.digest
    assert normalize_text("SQL", "en", copy) == "Sequel"


# -- the bundle's lexicon.json -------------------------------------------------------------------------------


def test_bundle_lexicon_by_default_and_overrides(copy_bundle, tmp_path):
    from yourtts_onnx.runtime import Synthesizer

    bundle = copy_bundle()
    shutil.copy(FIXTURE, bundle / "lexicon.json")
    assert Synthesizer.from_bundle(bundle).tokenize("SQL") == Synthesizer.from_bundle(bundle).tokenize(
        "sequel"
    )
    other = _write(tmp_path, '{"en": {"SQL": "ess queue ell"}}')
    assert Synthesizer.from_bundle(bundle, lexicon=other).tokenize("SQL") == Synthesizer.from_bundle(
        bundle
    ).tokenize("ess queue ell")
    off = tmp_path / "off.json"
    off.write_text("{}")
    plain = Synthesizer.from_bundle(STUB_BUNDLE).tokenize("SQL")
    assert Synthesizer.from_bundle(bundle, lexicon=off).tokenize("SQL") == plain
    (bundle / "lexicon.json").write_text('{"en": {"a": 1}}')
    with pytest.raises(InputError, match=r"lexicon\.json"):
        Synthesizer.from_bundle(bundle)


# -- front ends --------------------------------------------------------------------------------------------

TEXT = "Mr. Nguyen writes SQL in New York, 2 days a week."
SAID = "Mr. Win writes Sequel in Noo york, 2 days a week."


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "yourtts_onnx", *args], capture_output=True, env=env, timeout=120, check=False
    )


def test_cli_synth_and_tokenize(stub_synth, tmp_path):
    out = tmp_path / "out.wav"
    quiet = ["--noise-scale", "0", "--noise-scale-dp", "0"]
    r = _cli("synth", "-b", str(STUB_BUNDLE), "--lexicon", str(FIXTURE), "-o", str(out), *quiet, TEXT)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == stub_synth.synthesize(SAID, **QUIET).to_wav()
    assert out.read_bytes() != stub_synth.synthesize(TEXT, **QUIET).to_wav()
    r = _cli("tokenize", "-b", str(STUB_BUNDLE), "--lexicon", str(FIXTURE), "--split", TEXT)
    assert r.returncode == 0, r.stderr
    (utterance,) = json.loads(r.stdout)
    assert utterance["text"] == "Mister Win writes Sequel in Noo york, two days a week."
    assert utterance["ids"] == list(stub_synth.utterances(SAID)[0].ids)


def test_cli_bad_lexicon_is_one_line(tmp_path):
    bad = _write(tmp_path, '{"en": {"a": 3}}')
    for command in (["synth", "-o", str(tmp_path / "x.wav")], ["tokenize"]):
        r = _cli(command[0], "-b", str(STUB_BUNDLE), "--lexicon", str(bad), *command[1:], "hi")
        err = r.stderr.decode()
        assert r.returncode == 2 and "the replacement must be a string" in err and err.count("\n") == 1, err
    assert not (tmp_path / "x.wav").exists()


def test_http_serve_setting(stub_synth, tmp_path):
    pytest.importorskip("fastapi")
    from server_support import client_for, make_settings
    from yourtts_onnx.server import create_app

    app = create_app(make_settings(tmp_path, bundle=STUB_BUNDLE, lexicon=FIXTURE))
    with client_for(app) as client:
        r = client.post("/v1/audio/speech", json={"input": TEXT, "response_format": "wav", **QUIET})
        assert r.status_code == 200, r.text
        got = sf.read(io.BytesIO(r.content), dtype="float32")[0]
    want = stub_synth.synthesize(SAID, **QUIET).samples
    assert got.shape == want.shape and float(np.abs(got - want).max()) <= 2 / 32768
    import argparse

    from yourtts_onnx.commands import serve

    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--bundle", str(STUB_BUNDLE), "--lexicon", str(FIXTURE)])
    assert serve.settings_from_args(args).lexicon == FIXTURE


def test_wyoming_command_with_lexicon(stub_synth, tmp_path):
    """The real ``yourtts-onnx wyoming --lexicon`` process and the real Wyoming client on loopback."""
    pytest.importorskip("wyoming")
    from wyoming_support import HOST, expected_pcm, free_port, wait_for_port
    from yourtts_onnx.wyoming import client

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "YOURTTS_ONNX_VOICES": str(tmp_path / "v")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "yourtts_onnx", "wyoming", "--bundle", str(STUB_BUNDLE), "--uri",
         f"tcp://{HOST}:{port}", "--lexicon", str(FIXTURE), "--noise-scale", "0", "--noise-scale-dp", "0",
         "--workers", "1", "--threads", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(port, alive=lambda: proc.poll() is None)
        reply = asyncio.run(client.synthesize(HOST, port, TEXT))
        assert not reply.errors
        n = len(expected_pcm(stub_synth, SAID, language="en"))
        assert len(reply.audio) == n
        got = np.frombuffer(reply.audio, "<i2").astype(np.int32)
        want = np.frombuffer(expected_pcm(stub_synth, SAID, language="en"), "<i2").astype(np.int32)
        assert int(np.abs(got - want).max()) <= 1  # streamed windows vs whole sentences: one PCM step
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def test_batch_worker_and_metadata(stub_synth, lexicon, tmp_path):
    """The driver resolves the lexicon once and sends it to the workers (run here without Ray)."""
    import pickle

    from yourtts_onnx.batch.outputs import ItemRecord, ljspeech_line
    from yourtts_onnx.batch.shipping import config_sha256
    from yourtts_onnx.batch.worker import BatchWorker, Job, WorkerSpec
    from yourtts_onnx.runtime.options import make_options

    spec = WorkerSpec(
        bundle=os.fspath(STUB_BUNDLE), config_sha256=config_sha256(STUB_BUNDLE), backend="auto",
        integrity="stamp", threads=1, audio_format="wav", lexicon=lexicon,
    )  # fmt: skip
    worker = BatchWorker(pickle.loads(pickle.dumps(spec)))
    result = worker.run(Job("a", TEXT, make_options(**QUIET, language="en"), "k"))
    assert result.error is None
    pcm = sf.read(io.BytesIO(result.data), dtype="float32")[0]
    want = stub_synth.synthesize(SAID, **QUIET).samples
    assert pcm.shape == want.shape and float(np.abs(pcm - want).max()) <= 1 / 32768
    record = ItemRecord("a.wav", "a", TEXT, "en", "v", 1.0, 0, 0.0, 1.0, 0.0, 16000, "k")
    assert ljspeech_line(record, True, lexicon).split("|")[2].startswith("Mister Win writes Sequel")


def test_batch_flag(tmp_path):
    import argparse

    from yourtts_onnx.commands import batch

    parser = argparse.ArgumentParser()
    batch.register(parser.add_subparsers())
    manifest = tmp_path / "rows.jsonl"
    manifest.write_text('{"text": "hi"}\n')
    args = parser.parse_args(
        ["batch", "--bundle", str(STUB_BUNDLE), "--manifest", str(manifest), "--out", str(tmp_path / "o"),
         "--lexicon", str(FIXTURE)]
    )  # fmt: skip
    assert batch.config_from_args(args).lexicon == FIXTURE
