"""SSML: the hardened parser, the engine's plan (breaks, <lang>, <prosody rate>, <voice>, <sub>, <say-as>),
word timestamps through it, and every front end (CLI, HTTP routes, Wyoming, batch, tokenize --split).

The acceptance checks run on both reference bundles (``tiny_synth``: the tiny one, whose tokens last one
frame, and the live one, whose tokens last 1-5 frames); the front ends on the committed stub bundle."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import STUB_BUNDLE
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import MAX_SSML_CHARS, MAX_SSML_DEPTH
from yourtts_onnx.runtime.text.normalize.say_as import say_as
from yourtts_onnx.runtime.text.ssml import is_ssml, parse_ssml

pytest_plugins = ["runtime_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
QUIET = {"noise_scale": 0.0, "noise_scale_dp": 0.0}
A, B = "random-en-1", "random-fr-1"
LANGS = {"fr-FR": "fr-fr", "pt-BR": "pt-br", "en-US": "en", "en": "en"}

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]><speak>&lol9;</speak>"
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE speak [<!ENTITY x SYSTEM "file:///etc/passwd">]><speak>&x;</speak>'
MALFORMED = "<speak>\n  Hello <break time='1s'>\n</speak>"


def _resolve(tag: str) -> str:
    if tag not in LANGS:
        raise InputError(f"unknown language '{tag}'")
    return LANGS[tag]


def _parse(source: str, language: str = "en"):
    return parse_ssml(source, language, _resolve)


def _longest_zero_run(samples: np.ndarray) -> tuple[int, int]:
    """``(length, start)`` of the longest run of exact zeros."""
    zero = np.concatenate([[0], (samples == 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(zero))
    starts, ends = edges[::2], edges[1::2]
    if starts.size == 0:
        return 0, -1
    k = int(np.argmax(ends - starts))
    return int(ends[k] - starts[k]), int(starts[k])


# -- the parser --------------------------------------------------------------------------------------


def test_detection():
    assert is_ssml("<speak>Hi</speak>") and is_ssml("  \n<speak xmlns='http://www.w3.org/2001/10/synthesis'>")
    assert is_ssml('<?xml version="1.0"?>\n<speak>Hi</speak>')
    assert not is_ssml("Hello <speak>") and not is_ssml("<speaker>Hi</speaker>") and not is_ssml(None)


def test_document_text_segments_and_spans():
    doc = _parse(
        '<speak>Hello <break time="700ms"/>world. <lang xml:lang="fr-FR">Bonjour</lang> and '
        '<sub alias="sequel">SQL</sub>.<s>A <prosody rate="50%">slow</prosody> end</s>'
        '<voice name="v1">voiced</voice><break strength="x-strong"/></speak>'
    )
    seg = {s.text.text.strip(): s for s in doc.segments}
    assert seg["world."].break_before == pytest.approx(0.7)
    assert seg["Bonjour"].language == "fr-fr" and seg["world."].language == "en"
    assert seg["slow"].rate == 0.5 and seg["A"].new_sentence
    assert seg["voiced"].voice == "v1" and doc.trailing_break == 1.0
    sub = seg["and sequel."]
    # the alias points at the written word: word timestamps name "SQL"
    spans = {doc.text[a:b] for a, b in zip(sub.text.starts, sub.text.ends, strict=True)}
    assert "SQL" in spans and "sequel" not in doc.text
    assert doc.text.split() == ["Hello", "world.", "Bonjour", "and", "SQL.", "A", "slow", "end", "voiced"]


def test_unknown_elements_are_spoken_with_a_warning(caplog):
    doc = _parse("<speak>I <emphasis>really</emphasis> mean it<mark name='m'/>.</speak>")
    assert "".join(s.text.text for s in doc.segments) == "I really mean it."
    assert any("<emphasis>" in w for w in doc.warnings)
    assert any("<emphasis> is not supported" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("text", "kind", "language", "want"),
    [
        ("SQL", "characters", "en", "S Q L"),
        ("A1", "spell-out", "en", "A one"),
        ("1999", "cardinal", "en", "one thousand nine hundred and ninety-nine"),
        ("3rd", "ordinal", "en", "third"),
        ("3", "ordinal", "fr-fr", "troisième"),
        ("2024", "digits", "en", "two zero two four"),
        ("1999-03-05", "date", "en", "March fifth, nineteen ninety-nine"),
        ("05/03/1999", "date", "fr-fr", "cinq mars mille neuf cent quatre-vingt-dix-neuf"),
        ("01/03/2024", "date", "pt-br", "primeiro de março de dois mil e vinte e quatro"),
        ("14:30", "time", "fr-fr", "quatorze heures trente"),
        ("3:45 pm", "time", "en", "three forty-five pee em"),
        ("+1 555 1234", "telephone", "en", "plus one, five five five, one two three four"),
    ],
)
def test_say_as_readings(text, kind, language, want):
    assert say_as(text, kind, language) == want


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        (MALFORMED, "malformed SSML at line 3, column 3: mismatched tag"),
        ("<speak>a &amp b</speak>", "malformed SSML at line 1, column"),
        ("<speak>&nbsp;</speak>", "undefined entity"),
        (BILLION_LAUGHS, "may not declare a DTD"),
        (EXTERNAL, "may not declare a DTD"),
        ("<voice>hi</voice>", "root element must be <speak>"),
        ("<speak><break time='abc'/></speak>", "expected a time such as 500ms"),
        ("<speak><break time='11s'/></speak>", "at most 10 s"),
        ("<speak><break strength='loud'/></speak>", "expected one of none"),
        ("<speak><prosody rate='zippy'>a</prosody></speak>", "prosody rate='zippy'"),
        ("<speak><prosody rate='0%'>a</prosody></speak>", "above zero"),
        ("<speak><lang xml:lang='de-DE'>Hallo</lang></speak>", "unknown language 'de-DE'"),
        ("<speak><lang>Hallo</lang></speak>", "xml:lang attribute is missing"),
        ("<speak><voice>x</voice></speak>", "name attribute is missing"),
        (
            "<speak>" + "<p>" * (MAX_SSML_DEPTH + 1) + "x" + "</p>" * (MAX_SSML_DEPTH + 1) + "</speak>",
            "nested",
        ),
        ("<speak>" + "x" * MAX_SSML_CHARS + "</speak>", f"at most {MAX_SSML_CHARS}"),
    ],
)
def test_bad_documents_are_one_line_errors(source, needle):
    t0 = time.process_time()
    with pytest.raises(InputError) as info:
        _parse(source)
    message = str(info.value)
    assert needle in message and "\n" not in message, message
    assert time.process_time() - t0 < 5  # refused, not expanded (a billion laughs would take minutes)


def test_silence_rules(stub_synth):
    """Breaks replace the sentence pause; a span change inside a sentence adds none; a break before
    punctuation that says nothing still counts; a break at the end is trailing silence."""
    opts = stub_synth.options(language="en")
    pause = stub_synth.pause_samples(opts)
    sr = stub_synth.sample_rate

    def pauses(doc: str) -> tuple[list[int], int]:
        plan = stub_synth.prepare(doc, opts)
        return [step.pause for step in plan.steps], plan.trailing

    assert pauses("<speak>Hi <lang xml:lang='fr-FR'>oui</lang> there</speak>") == ([0, 0, 0], 0)
    assert pauses("<speak>Hi. <lang xml:lang='fr-FR'>Oui.</lang></speak>") == ([0, pause], 0)
    assert pauses("<speak><s>Hi</s><s>there</s></speak>") == ([0, pause], 0)
    assert pauses("<speak>Hi <break time='1s'/>. <s>There</s><break time='200ms'/>!</speak>") == (
        [0, sr],
        round(0.2 * sr),
    )
    assert pauses("<speak>Hi<break/>there<break strength='none'/>you</speak>") == ([0, sr // 2, 0], 0)
    with pytest.raises(InputError, match="nothing the model can pronounce"):
        stub_synth.prepare("<speak><break time='1s'/>...</speak>", opts)


# -- the engine's plan (both references) -------------------------------------------------------------


def test_plain_text_plans_as_before(tiny_synth):
    """Not SSML: one step per utterance in the call's language, voice and scales; the first without pause."""
    opts = tiny_synth.options(language="en", **QUIET)
    plan = tiny_synth.prepare("Hello there. How are you?", opts)
    assert not plan.ssml and plan.trailing == 0 and len(plan.steps) == 2
    assert [s.pause for s in plan.steps] == [0, plan.pause]
    assert all(s.embedding is plan.embedding and s.scales == plan.scales for s in plan.steps)
    # ssml=False reads a <speak> text as plain text; ssml=True refuses plain text
    assert not tiny_synth.prepare("<speak>Hello</speak>", opts.with_(ssml=False)).ssml
    with pytest.raises(InputError, match="not SSML"):
        tiny_synth.prepare("Hello", opts.with_(ssml=True))


def test_break_inserts_its_silence_where_written(tiny_synth):
    sr = tiny_synth.sample_rate
    first = tiny_synth.synthesize("Hello there.", language="en", **QUIET).samples
    ssml = tiny_synth.synthesize(
        '<speak>Hello there.<break time="700ms"/>How are you?</speak>', language="en", **QUIET
    ).samples
    length, start = _longest_zero_run(ssml)
    # the break replaces the sentence pause: 0.7 s of zeros (the model's own audio may add a zero sample)
    assert round(0.7 * sr) <= length <= round(0.7 * sr) + 2, length / sr
    assert abs(start - first.size) <= 2  # where written: right after "Hello there."
    # negative control: the same sentences without the break have only the sentence pause (0.2 s)
    plain = tiny_synth.synthesize("Hello there. How are you?", language="en", **QUIET).samples
    assert _longest_zero_run(plain)[0] < round(0.3 * sr)
    # a break at the start and at the end
    edges = tiny_synth.synthesize(
        '<speak><break time="1s"/>Hello there.<break time="500ms"/></speak>', language="en", **QUIET
    ).samples
    assert np.all(edges[:sr] == 0) and np.all(edges[-sr // 2 :] == 0)
    assert edges.size == first.size + sr + sr // 2


def test_lang_span_gets_the_languages_ids_and_id(tiny_synth):
    text = "Il est 14h30, j'ai 3 chats."
    doc = f'<speak>Hello there. <lang xml:lang="fr-FR">{text}</lang></speak>'
    opts = tiny_synth.options(language="en", **QUIET)
    plan = tiny_synth.prepare(doc, opts)
    english, french = plan.steps
    assert french.utterance.language == "fr-fr" and english.utterance.language == "en"
    assert french.language_id == tiny_synth.language("fr-fr")[1] != english.language_id
    assert list(french.utterance.ids) == tiny_synth.tokenize(text, "fr-fr")
    # the audio: the English sentence, the sentence pause, then the French one as a French call speaks it
    got = tiny_synth.synthesize(doc, opts).samples
    want = np.concatenate(
        [
            tiny_synth.synthesize("Hello there.", opts).samples,
            np.zeros(plan.pause, np.float32),
            tiny_synth.synthesize(text, opts.with_(language="fr-fr")).samples,
        ]
    )
    np.testing.assert_array_equal(got, want)


def test_prosody_rate_scales_that_span(tiny_synth):
    opts = tiny_synth.options(language="en", **QUIET)
    doc = '<speak>Hello there. <prosody rate="50%">How are you?</prosody></speak>'
    plan = tiny_synth.prepare(doc, opts)
    assert plan.steps[1].scales.length_scale == 2 * plan.scales.length_scale
    assert plan.steps[0].scales == plan.scales
    got = tiny_synth.synthesize(doc, opts).samples
    slow = tiny_synth.synthesize("How are you?", opts.with_(length_scale=2 * plan.scales.length_scale))
    normal = tiny_synth.synthesize("How are you?", opts).samples
    first = tiny_synth.synthesize("Hello there.", opts).samples
    np.testing.assert_array_equal(
        got, np.concatenate([first, np.zeros(plan.pause, np.float32), slow.samples])
    )
    # that span's frames double: each token lasts ceil(2·w) frames instead of ceil(w), so the span's frames
    # are twice the plain ones less at most one per token (live tokens last 1-5 frames, tiny ones 1)
    hop = tiny_synth.config.hop_length
    tokens = len(tiny_synth.utterances("How are you?", opts)[0].ids)
    slow_frames, frames = slow.samples.size // hop, normal.size // hop
    assert 2 * frames - tokens <= slow_frames <= 2 * frames, (slow_frames, frames, tokens)
    assert slow_frames >= 1.5 * frames  # negative control: not the call's own rate
    named = tiny_synth.prepare('<speak><prosody rate="x-fast">Hi</prosody></speak>', opts)
    assert named.steps[0].scales.length_scale == pytest.approx(plan.scales.length_scale / 1.5)
    with pytest.raises(InputError, match="length scale"):
        tiny_synth.prepare('<speak><prosody rate="1%">Hi</prosody></speak>', opts)


def test_voice_span_uses_that_voice(tiny_synth):
    names = tiny_synth.speakers
    other = names[1]
    opts = tiny_synth.options(language="en", **QUIET)
    doc = f'<speak>Hello there. <voice name="{other}">How are you?</voice></speak>'
    got = tiny_synth.synthesize(doc, opts).samples
    pause = np.zeros(tiny_synth.pause_samples(opts), np.float32)
    first = tiny_synth.synthesize("Hello there.", opts).samples
    voiced = tiny_synth.synthesize("How are you?", opts.with_(voice=other)).samples
    default = tiny_synth.synthesize("How are you?", opts).samples
    np.testing.assert_array_equal(got, np.concatenate([first, pause, voiced]))
    # negative control: the default voice speaks that sentence otherwise
    n = min(voiced.size, default.size)
    assert float(np.abs(voiced[:n] - default[:n]).max()) > 1e-3
    # a blend is a voice too; an unknown one is a one-line error naming the element
    blend = f"{names[0]}(2)+{other}(1)"
    plan = tiny_synth.prepare(f'<speak><voice name="{blend}">Hi</voice></speak>', opts)
    np.testing.assert_allclose(plan.steps[0].embedding, tiny_synth.voices.blend(blend))
    with pytest.raises(InputError, match="<voice name='nobody'>: unknown voice 'nobody'"):
        tiny_synth.prepare('<speak><voice name="nobody">Hi</voice></speak>', opts)


def test_word_timestamps_name_the_input_and_follow_breaks(tiny_synth):
    opts = tiny_synth.options(language="en", **QUIET)
    doc = '<speak>Hello <break time="1s"/> <sub alias="sequel">SQL</sub> is <say-as interpret-as="characters">ok</say-as></speak>'
    audio = tiny_synth.synthesize(doc, opts)
    words = audio.words
    assert [w.word for w in words] == ["Hello", "SQL", "is", "ok"]
    hello, sql = words[0], words[1]
    assert sql.start_time - hello.end_time >= 1.0  # the break shifts what follows
    # the alias's duration: "SQL" lasts as long as "sequel" does in the same place
    alias = tiny_synth.synthesize("sequel is o k", opts).words[0]
    assert sql.end_time - sql.start_time == pytest.approx(alias.end_time - alias.start_time)
    # negative control: without the break the gap is short
    close = tiny_synth.synthesize('<speak>Hello <sub alias="sequel">SQL</sub></speak>', opts).words
    assert close[1].start_time - close[0].end_time < 0.5
    # streaming yields the same words and the same audio
    chunks = list(tiny_synth.stream(doc, opts))
    assert [w.word for c in chunks for w in (c.words or ())] == ["Hello", "SQL", "is", "ok"]
    streamed = np.concatenate([c.samples for c in chunks])
    assert streamed.shape == audio.samples.shape
    assert float(np.abs(streamed - audio.samples).max()) <= 1e-5


def test_loudness_applies_to_the_whole_ssml_output(tiny_synth):
    pyloudnorm = pytest.importorskip("pyloudnorm")
    opts = tiny_synth.options(language="en", **QUIET)
    doc = '<speak>Hello there. <prosody rate="75%">How are you today?</prosody><break time="300ms"/>Fine.</speak>'
    plain = tiny_synth.synthesize(doc, opts).samples
    loud = tiny_synth.synthesize(doc, opts.with_(loudness=-20.0)).samples
    assert loud.shape == plain.shape
    measured = pyloudnorm.Meter(tiny_synth.sample_rate).integrated_loudness(loud.astype(np.float64))
    assert abs(measured - -20.0) <= 1.0 or float(np.abs(loud).max()) >= 0.85  # the true-peak ceiling may rule


# -- front ends (stub bundle) --------------------------------------------------------------------------


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "yourtts_onnx", *args], capture_output=True, env=env, timeout=120, check=False,
        input=stdin,
    )  # fmt: skip


DOC = '<speak>Hello there.<break time="300ms"/><lang xml:lang="fr-FR">Bonjour 3 amis.</lang></speak>'


def _engine(stub_synth, text: str = DOC) -> np.ndarray:
    return stub_synth.synthesize(text, language="en", **QUIET).samples


def test_cli_synth_file_flag_and_errors(stub_synth, tmp_path):
    quiet = ["--noise-scale", "0", "--noise-scale-dp", "0", "--language", "en"]
    doc_file = tmp_path / "doc.xml"
    doc_file.write_text("\n" + DOC, encoding="utf-8")
    out = tmp_path / "a.wav"
    r = _cli("synth", "-b", str(STUB_BUNDLE), "--text-file", str(doc_file), "-o", str(out), *quiet)
    assert r.returncode == 0, r.stderr
    want = _engine(stub_synth)
    got = sf.read(out, dtype="float32")[0]
    assert got.shape == want.shape and float(np.abs(got - want).max()) <= 1 / 32768
    flagged = tmp_path / "b.wav"
    r = _cli("synth", "-b", str(STUB_BUNDLE), "--ssml", "-o", str(flagged), *quiet, DOC)
    assert r.returncode == 0 and flagged.read_bytes() == out.read_bytes(), r.stderr
    for text, needle in [
        ("Hello there.", "the text is not SSML"),
        (MALFORMED, "malformed SSML at line 3, column 3"),
        (BILLION_LAUGHS, "may not declare a DTD"),
        (EXTERNAL, "may not declare a DTD"),
    ]:
        bad = tmp_path / "bad.wav"
        r = _cli("synth", "-b", str(STUB_BUNDLE), "--ssml", "-o", str(bad), text)
        err = r.stderr.decode()
        assert r.returncode == 2 and needle in err and "Traceback" not in err, err
        assert err.count("\n") == 1 and not bad.exists()


def test_cli_tokenize_split_prints_languages(tmp_path):
    text = "Bonjour 3 amis."
    r = _cli("tokenize", "-b", str(STUB_BUNDLE), "--split", DOC)
    assert r.returncode == 0, r.stderr
    english, french = json.loads(r.stdout)
    assert english["language"] == "en" and french["language"] == "fr-fr"
    alone = _cli("tokenize", "-b", str(STUB_BUNDLE), "--language", "fr-fr", text)
    assert french["ids"] == json.loads(alone.stdout)
    assert french["text"] == "Bonjour trois amis."
    r = _cli("tokenize", "-b", str(STUB_BUNDLE), DOC)
    assert r.returncode == 2 and "add --split" in r.stderr.decode()


@pytest.fixture(scope="module")
def http_server(tmp_path_factory):
    pytest.importorskip("fastapi")
    from server_support import live_server, make_app
    from yourtts_onnx.runtime import Synthesizer

    synth = Synthesizer.from_bundle(STUB_BUNDLE, threads=1)
    with live_server(make_app(synth, tmp_path_factory.mktemp("ssml"))) as url:
        yield url, synth


def _wav(content: bytes) -> np.ndarray:
    return sf.read(io.BytesIO(content), dtype="float32")[0]


def _same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape and float(np.abs(got - want).max()) <= 2 / 32768


def test_http_openai_route_speaks_ssml(http_server):
    openai = pytest.importorskip("openai")
    url, synth = http_server
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)
    data = client.audio.speech.create(
        model="tts-1", voice=A, input=DOC, response_format="wav", extra_body={"language": "en", **QUIET}
    ).content
    _same(_wav(data), synth.synthesize(DOC, language="en", voice=A, **QUIET).samples)
    with pytest.raises(openai.UnprocessableEntityError) as info:
        client.audio.speech.create(model="tts-1", voice=A, input=MALFORMED, extra_body=QUIET)
    assert "malformed SSML at line 3, column 3" in info.value.message


def test_http_coqui_and_marytts_routes_speak_ssml(http_server):
    import httpx

    url, synth = http_server
    want = synth.synthesize(DOC, language="en", voice=A, **QUIET).samples
    with httpx.Client(base_url=url, timeout=60) as client:
        r = client.get("/api/tts", params={"text": DOC, "speaker_id": A, "language_id": "en", **QUIET})
        assert r.status_code == 200, r.text
        assert r.content[:4] == b"RIFF"
        form = {"INPUT_TEXT": DOC, "INPUT_TYPE": "SSML", "OUTPUT_TYPE": "AUDIO", "AUDIO": "WAVE_FILE",
                "LOCALE": "en_US", "VOICE": A}  # fmt: skip
        r = client.post("/process", data=form)
        assert r.status_code == 200, r.text
        assert _wav(r.content).shape == want.shape
        r = client.post("/process", data={**form, "INPUT_TEXT": "Plain text."})
        assert r.status_code == 422 and "not SSML" in r.text
        r = client.get("/api/tts", params={"text": BILLION_LAUGHS})
        assert r.status_code == 422 and "may not declare a DTD" in r.text


def test_wyoming_speaks_ssml(stub_synth, tmp_path):
    pytest.importorskip("wyoming")
    from wyoming_support import HOST, assert_same_audio, running_server
    from yourtts_onnx.wyoming import client

    with running_server(stub_synth) as server:
        reply = asyncio.run(client.synthesize(HOST, server.port, DOC))
        assert not reply.errors
        assert_same_audio(stub_synth, reply.audio, DOC)
        bad = asyncio.run(client.synthesize(HOST, server.port, MALFORMED))
        assert bad.errors and "malformed SSML at line 3" in bad.errors[0].text


def test_wyoming_text_stream_holds_an_ssml_document():
    from yourtts_onnx.wyoming.sentences import SentenceAssembler

    a = SentenceAssembler("en")
    assert a.add("<sp") == [] and a.add("eak>Hi. There. ") == [] and a.add("Yes.</speak>") == []
    assert a.finish() == ["<speak>Hi. There. Yes.</speak>"]
    plain = SentenceAssembler("en")
    assert plain.add("<b>Hi. Th") == ["<b>Hi."]


def test_batch_rows_are_planned_and_spoken_by_the_engine(stub_synth, tmp_path):
    """A row's SSML is planned on the driver by the engine's planner (a bad row is a row error naming the
    line and column) and spoken by a worker (here without Ray) as the engine speaks it."""
    from yourtts_onnx.batch.items import ItemPlanner, RunIdentity
    from yourtts_onnx.batch.manifest import read_manifest
    from yourtts_onnx.batch.shipping import config_sha256
    from yourtts_onnx.batch.voices import VoiceResolver
    from yourtts_onnx.batch.worker import BatchWorker, Job, WorkerSpec
    from yourtts_onnx.runtime import SynthesisOptions, Voices

    manifest = tmp_path / "rows.jsonl"
    rows = [
        {"id": "doc", "text": DOC, "language": "en", "voice": A},
        {"id": "bad", "text": MALFORMED},
        {"id": "voice", "text": '<speak><voice name="nobody">Hi</voice></speak>'},
    ]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    voices = Voices(stub_synth.bundle, tmp_path / "voices")
    identity = RunIdentity("sha", "split", "wav", stub_synth.sample_rate)
    planner = ItemPlanner(
        stub_synth.bundle, VoiceResolver(voices, tmp_path), SynthesisOptions(**QUIET), identity
    )
    plan = planner.plan(read_manifest(manifest))
    assert [i.id for i in plan.items] == ["doc"]
    errors = {e.id: e.reason for e in plan.errors}
    assert "malformed SSML at line 3, column 3" in errors["bad"]
    assert "<voice name='nobody'>" in errors["voice"]
    item = plan.items[0]
    assert item.scales == stub_synth.scales(item.options)  # the engine's scales, not a copy
    spec = WorkerSpec(
        bundle=os.fspath(STUB_BUNDLE), config_sha256=config_sha256(STUB_BUNDLE), backend="auto",
        integrity="stamp", threads=1, audio_format="wav",
    )  # fmt: skip
    result = BatchWorker(spec).run(Job(item.id, item.text, item.options, item.key))
    assert result.error is None
    _same(_wav(result.data), stub_synth.synthesize(DOC, language="en", voice=A, **QUIET).samples)
    assert [w["word"] for w in result.words] == ["Hello", "there.", "Bonjour", "3", "amis."]


@pytest.mark.ray
def test_batch_run_speaks_an_ssml_row(stub_synth, tmp_path):
    """The real ``batch`` run on a local Ray: an SSML row's audio and words are the engine's; a malformed
    row is that row's error."""
    from batch_support import local_ray, read_jsonl, read_pcm, write_rows
    from yourtts_onnx.batch.config import BatchConfig
    from yourtts_onnx.batch.runner import run_batch
    from yourtts_onnx.runtime import SynthesisOptions
    from yourtts_onnx.runtime.waveform import pcm16

    rows = [{"id": "doc", "text": DOC, "language": "en", "voice": A}, {"id": "bad", "text": MALFORMED}]
    manifest = write_rows(tmp_path / "rows.jsonl", rows)
    out = tmp_path / "out"
    cfg = BatchConfig(
        bundle=STUB_BUNDLE, manifest=manifest, out=out, voices_dir=tmp_path / "voices",
        defaults=SynthesisOptions(**QUIET), workers=1, timestamps=True,
    )  # fmt: skip
    with local_ray(tmp_path / "faults"):
        summary = run_batch(cfg, stream=io.StringIO())
    assert (summary["synthesized"], summary["errors"]) == (1, 1)
    (error,) = read_jsonl(out / "errors.jsonl")
    assert error["id"] == "bad" and "malformed SSML at line 3, column 3" in error["error"]
    want = stub_synth.synthesize(DOC, language="en", voice=A, **QUIET)
    (meta,) = read_jsonl(out / "metadata.jsonl")
    np.testing.assert_array_equal(
        read_pcm(out / meta["file_name"]), np.frombuffer(pcm16(want.samples), "<i2")
    )
    assert [w["word"] for w in meta["words"]] == [w.word for w in want.words]
