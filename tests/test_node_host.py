"""The bundle in a non-Python host: examples/node/synth.mjs (onnxruntime-node) against the Python reference.

The Node program reads only config.json, model.onnx (whose weights ONNX Runtime reads from the shared
weights.bin beside it) and speakers.npy. It must give the Python runtime's
utterances (sentence splitting, abbreviations, capping, language-name resolution, all from config.json)
with the same ids, and the audio of the Python runtime's default multi-sentence synthesis (noise 0): each
utterance's ``model.onnx`` output trimmed to ``output_lengths``, joined by ``round(pause * sample_rate)``
zeros, to 1e-4.

``node`` missing skips, except in CI (``$CI`` set), where it fails; ``examples/node/node_modules`` missing
fails with the command to run (``make node-deps``, which ``make test`` runs when node is installed): tests
never touch the network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.backends import WholeGraph
from yourtts_onnx.runtime.bundle import Bundle
from yourtts_onnx.runtime.languages import LanguageResolution, resolve_language
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer, default_sentence_rules
from yourtts_onnx.runtime.utterances import pause_samples, plan_utterances
from yourtts_onnx.runtime.waveform import wav_header

pytestmark = pytest.mark.node

pytest_plugins = ["runtime_fixtures"]

NODE_DIR = Path(__file__).resolve().parents[1] / "examples" / "node"
JS_DIR = Path(__file__).resolve().parents[1] / "js"  # the bundle contract, shared with the browser build
SYNTH = NODE_DIR / "synth.mjs"
NODE = shutil.which("node")
TOLERANCE = 1e-4
DIGITS_WARNING = "digits are not in the model's vocabulary"


@pytest.fixture(scope="module", autouse=True)
def node_available() -> str:
    if NODE is None:
        reason = "node (Node.js >= 18) is not on PATH"
        if os.environ.get("CI"):
            pytest.fail(
                f"{reason} (required in CI: run scripts/install-system-deps.sh, then `make node-deps`)"
            )
        pytest.skip(reason)
    return NODE


@pytest.fixture(scope="module")
def node_ready() -> Path:
    if not (NODE_DIR / "node_modules" / "onnxruntime-node").is_dir():
        pytest.fail(
            f"{NODE_DIR}/node_modules is missing: run `make node-deps` "
            "(cd examples/node && ONNXRUNTIME_NODE_INSTALL=skip npm ci) once; `make test` does it when node exists"
        )
    return NODE_DIR


def _node(*args: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, str(SYNTH), *args], capture_output=True, text=True, timeout=120, check=False)


def _node_plan(bundle: Path, text: str, language: str | None, *extra: str) -> dict[str, Any]:
    lang = [] if language is None else ["--language", language]
    proc = _node("--bundle", str(bundle), *lang, "--text", text, "--ids-only", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _tokenizer(bundle: Path) -> Tokenizer:
    return Tokenizer(TextFrontendConfig.from_dict(Bundle.open(bundle).config.text))


def _python_plan(
    tokenizer: Tokenizer, text: str, language: str, *, max_tokens: int | None = None
) -> list[tuple[str, list[int]]]:
    """The Python runtime's utterances without normalisation: the JavaScript host writes neither numbers nor
    abbreviations out (docs/consumers.md §3.4), so it equals Python's ``normalize_numbers=False``."""
    plan = plan_utterances(text, tokenizer, language, normalize_numbers=False, max_tokens=max_tokens)
    return [(u.text, list(u.ids)) for u in plan]


def _as_pairs(node_plan: dict[str, Any]) -> list[tuple[str, list[int]]]:
    return [(u["text"], u["ids"]) for u in node_plan["utterances"]]


def _copy_bundle(src: Path, dst: Path, text_changes: dict[str, Any]) -> Path:
    """A bundle sharing ``src``'s graphs whose config.json ``text`` section is updated by ``text_changes``."""
    dst.mkdir()
    for item in src.iterdir():
        if item.name != "config.json":
            (dst / item.name).symlink_to(item)
    config = json.loads((src / "config.json").read_text())
    config["text"].update(text_changes)
    (dst / "config.json").write_text(json.dumps(config))
    return dst


# -- the text frontend: one utterance ---------------------------------------------------------------

# (language, text): accented letters, upper case, punctuation, removed symbols, replaced symbols, whitespace.
TOKEN_CASES = [
    ("en", "Hello, world!"),
    ("en", 'It\'s "quoted" (bracketed) [and] <tagged>; ok: yes - no & done.'),
    ("en", "  Tabs\tand\nnew\u00a0lines\u2003everywhere  "),
    ("en", "ÉCOLE À L'ÎLE, ÇA?"),
    ("en", "Decomposed e\u0301 and A\u0300 become NFC."),
    ("en", "Unknown: 😀 @ # % ~ İstanbul"),
    ("en", "ПРИВЕТ, мир! Ґанок і їжак."),
    ("fr-fr", "Ça va? L'été à Noël, où es-tu? « Très bien » & merci!"),
    ("fr-fr", "Œuvre, cœur; naïve: Noël—fête."),
    ("pt-br", "Olá! Não há ação, coração: maçã & pão."),
    ("pt-br", "Você está à vontade? Óbvio; é lógico."),
    ("pt-br", "under_score and 3 digits 42"),
]


def test_node_ids_equal_python_tokenizer(tiny_bundle: Path) -> None:
    tokenizer = _tokenizer(tiny_bundle)
    for language, text in TOKEN_CASES:
        got = _node_plan(tiny_bundle, text, language, "--no-split")
        enc = tokenizer.encode_with_report(text, language, normalize_numbers=False)
        assert len(got["utterances"]) == 1
        assert got["utterances"][0]["ids"] == list(enc.ids), (language, text)
        assert got["utterances"][0]["cleaned"] == enc.cleaned_text, (language, text)
        assert got["dropped"] == list(enc.dropped), (language, text)


def test_node_rejects_unspeakable_text_like_python(tiny_bundle: Path) -> None:
    for text in ("", "   ", '"()"', "😀 !!!", "... 😀. 42!"):
        for split in ([], ["--no-split"]):
            proc = _node(
                "--bundle", str(tiny_bundle), "--language", "en", "--text", text, "--ids-only", *split
            )
            assert proc.returncode == 2, (text, proc.stdout)
            assert proc.stderr.splitlines()[-1].startswith("error: "), proc.stderr
            assert "Error" not in proc.stderr and "    at " not in proc.stderr  # no stack trace


# -- sentences and utterances -----------------------------------------------------------------------

LONG_EN = (
    "This sentence is far too long to be spoken in one go by a model trained on short sentences, so it "
    "runs on and on; it names the weather, the trains, the late post and the neighbours' dog, and then, "
    "with no full stop in sight, it keeps adding clauses - one after another - until the runtime has to "
    "cut it at its commas and semicolons into pieces that fit. Then a short one."
)

# (language, text): multi-sentence texts; abbreviations, initials, decimals, ellipses, quotes, paragraphs.
PLAN_CASES = [
    ("en", "Hello there. How are you? Fine!"),
    ("en", "Mr. Smith met Dr. Jones. Use e.g. this one. Or that."),
    ("en", "J. R. R. Tolkien wrote it. So did I. Then we left."),
    ("en", "Wait... what? Yes… Then he came. Apples, pears, etc. and more. Etc. Done."),
    ("en", 'He said "Stop." Then he left.\n\nA new paragraph\nwith a line break. Really?! Yes.'),
    ("en", "It costs 3.5 dollars. See No. 5 now. Go."),  # decimals and "No. 5": digits dropped by Node
    ("en", LONG_EN),
    ("fr-fr", "Bonjour M. Dupont. Comment allez-vous ? Mme. Martin est là. Elle parle."),
    ("fr-fr", "Il a dit « Oui. » Puis il est parti. Voir p. 12 pour plus. Il mesure 1,85 m. Merci."),
    ("pt-br", "O Sr. Silva chegou. A Sra. Costa também. A Dra. Ana é ótima. Ele é. Então vamos."),
    ("pt-br", "Olá! Tudo bem? Custa 3.5 reais. Barato."),
]


@pytest.mark.parametrize(
    ("language", "text"), PLAN_CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(PLAN_CASES)]
)
def test_node_utterances_equal_python_plan(tiny_bundle: Path, language: str, text: str) -> None:
    tokenizer = _tokenizer(tiny_bundle)
    proc = _node("--bundle", str(tiny_bundle), "--language", language, "--text", text, "--ids-only")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    expected = _python_plan(tokenizer, text, language)
    assert len(expected) >= 2, "every case has several sentences"
    assert _as_pairs(got) == expected
    has_digits = any(ch.isdecimal() for ch in text)
    assert (DIGITS_WARNING in proc.stderr) == has_digits, proc.stderr


def test_over_long_sentence_is_capped_like_python(tiny_bundle: Path) -> None:
    tokenizer = _tokenizer(tiny_bundle)
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3
    texts = [("en", LONG_EN), ("en", f"Short start, {long_word} and the rest of it."), ("fr-fr", LONG_EN)]
    for language, text in texts:
        for max_tokens in (None, 41, 81, 7):
            extra = [] if max_tokens is None else ["--max-tokens", str(max_tokens)]
            got = _node_plan(tiny_bundle, text, language, *extra)
            expected = _python_plan(tokenizer, text, language, max_tokens=max_tokens)
            assert _as_pairs(got) == expected, (language, max_tokens)
            limit = 400 if max_tokens is None else max_tokens
            assert all(len(ids) <= limit for _, ids in expected)
    assert len(_python_plan(tokenizer, LONG_EN, "en")) == 3  # the long sentence cut once, plus the short one


def test_stub_bundle_without_text_rules_uses_the_defaults(stub_bundle: Path) -> None:
    config = json.loads((stub_bundle / "config.json").read_text())
    assert "sentences" not in config["text"] and "language_resolution" not in config["text"]
    tokenizer = _tokenizer(stub_bundle)
    for language, text in PLAN_CASES[:5] + PLAN_CASES[7:8]:
        assert _as_pairs(_node_plan(stub_bundle, text, language)) == _python_plan(tokenizer, text, language)


# Runs the shared modules (js/) in one Node process over many texts: {"config", "cases": [[text, language,
# max_tokens]]} on stdin -> one plan (or error message) per case on stdout.
_PLAN_SCRIPT = """
import { Tokenizer } from '../../js/frontend.mjs';
import { sentenceRules } from '../../js/config.mjs';
import { planUtterances } from '../../js/utterances.mjs';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { config, cases } = JSON.parse(input);
const tokenizer = new Tokenizer(config.text);
const out = cases.map(([text, language, maxTokens]) => {
  try {
    return planUtterances(text, tokenizer, language, sentenceRules(config), { maxTokens }).utterances
      .map((u) => [u.text, u.ids]);
  } catch (err) {
    return `error: ${err.message}`;
  }
});
console.log(JSON.stringify(out));
"""


def test_random_texts_plan_like_python(tiny_bundle: Path) -> None:
    """Texts built from the characters and words the rules care about, random but seeded."""
    import random

    rng = random.Random(1234)
    pieces = list("abcdefghij ABCDEJI éàçõÉ") * 3 + list(
        ",;:.!?&-–—\"'()«»“”‘’[]¿¡…。！？ \n\t\u00a0\u202f\u2003"
    )
    pieces += [
        "Mr. ",
        "Sra. ",
        "M. ",
        "e.g. ",
        "No. ",
        "etc. ",
        "I. ",
        "J. ",
        "... ",
        "\n\n",
        " x. Y",
        "😀",
        "𝒜",
    ]
    config = json.loads((tiny_bundle / "config.json").read_text())
    tokenizer = _tokenizer(tiny_bundle)
    cases = []
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 160)))
        cases.append([text, rng.choice(["en", "fr-fr", "pt-br"]), rng.choice([None, 7, 21, 41, 101])])
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "--input-type=module", "-e", _PLAN_SCRIPT],
        cwd=NODE_DIR,
        input=json.dumps({"config": config, "cases": cases}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    errors = 0
    for (text, language, max_tokens), node in zip(cases, got, strict=True):
        try:
            expected: Any = [list(p) for p in _python_plan(tokenizer, text, language, max_tokens=max_tokens)]
        except InputError:
            expected, errors = None, errors + 1
        if expected is None:
            assert isinstance(node, str) and node.startswith("error: "), (text, language, node)
        else:
            assert node == expected, (text, language, max_tokens)
    assert 0 < errors < len(cases) // 2  # both outcomes are exercised


def test_node_defaults_equal_python_defaults() -> None:
    script = (
        "import { DEFAULT_SENTENCE_RULES as s, DEFAULT_LANGUAGE_RESOLUTION as l } from '../../js/defaults.mjs';"
        "console.log(JSON.stringify({ sentences: s, language_resolution: l }));"
    )
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["sentences"] == default_sentence_rules().to_dict(), (
        "js/defaults.mjs differs from default_sentence_rules(): update it"
    )
    assert got["language_resolution"] == LanguageResolution().to_dict()


def test_config_sentence_rules_drive_node_and_python(tiny_bundle: Path, tmp_path: Path) -> None:
    rules = default_sentence_rules().to_dict()
    en = rules["language_abbreviations"]["en"]
    en["never"] = [w for w in en["never"] if w not in ("mr", "dr")] + ["approx", "fig"]
    en["not_initials"] = []
    rules["terminators"] += ";"
    rules["final_terminators"] += ";"
    rules["max_tokens"] = 61
    rules["pause_seconds"] = 0.05
    changed = _copy_bundle(tiny_bundle, tmp_path / "changed", {"sentences": rules})
    text = "Mr. Smith met Dr. Jones; they talked. So did I. Then we left, " + LONG_EN
    default_plan = _python_plan(_tokenizer(tiny_bundle), text, "en")
    changed_plan = _python_plan(_tokenizer(changed), text, "en")
    assert changed_plan != default_plan  # the rules in config.json change Python's splitting ...
    assert changed_plan[:3] == [
        (t, _tokenizer(changed).encode(t, "en")) for t in ("Mr.", "Smith met Dr.", "Jones;")
    ]
    assert _as_pairs(_node_plan(changed, text, "en")) == changed_plan  # ... and Node's alike
    assert _as_pairs(_node_plan(tiny_bundle, text, "en")) == default_plan


# -- language names ---------------------------------------------------------------------------------

NAMES = ["en", "EN", " en ", "en-US", "en_GB", "fr", "FR", "fr_FR", "fr-CA", "fr-fr", "pt", "PT_BR", "pt-PT"]


def test_language_names_resolve_like_python(tiny_bundle: Path) -> None:
    languages = Bundle.open(tiny_bundle).config.languages
    for name in NAMES:
        assert _node_plan(tiny_bundle, "Oi.", name)["language"] == resolve_language(name, languages)[0], name
    assert _node_plan(tiny_bundle, "Hello.", None)["language"] == resolve_language(None, languages)[0] == "en"
    for bad in ("de", "xx-fr", "   "):
        proc = _node("--bundle", str(tiny_bundle), "--language", bad, "--text", "Oi.", "--ids-only")
        assert proc.returncode == 2 and "language" in proc.stderr, proc.stderr
        assert proc.stderr.count("\n") == 1


def test_language_resolution_is_read_from_config(tiny_bundle: Path, tmp_path: Path) -> None:
    rules = {
        "normalize": ["trim", "lowercase"],
        "match": ["exact", "alias", "normalized"],
        "aliases": {"English": "en", "brasil": "pt-br"},
        "preferred_default": "fr-fr",
    }
    changed = _copy_bundle(tiny_bundle, tmp_path / "names", {"language_resolution": rules})
    resolution = LanguageResolution.from_dict(rules)
    languages = Bundle.open(changed).config.languages
    for name in ("english", "BRASIL", "FR-FR", "en", None):
        expected = resolve_language(name, languages, resolution)[0]
        assert _node_plan(changed, "Oi.", name)["language"] == expected, name
    assert resolve_language(None, languages, resolution)[0] == "fr-fr"
    for name in ("pt", "fr_fr", "en-US"):  # no primary-subtag matching, no underscore folding here
        proc = _node("--bundle", str(changed), "--language", name, "--text", "Oi.", "--ids-only")
        assert proc.returncode == 2 and f"unknown language '{name}'" in proc.stderr, proc.stderr


# -- audio ------------------------------------------------------------------------------------------

# (language name as given, speaker row, text, scales, pause option): multi-sentence parity cases.
AUDIO_CASES = [
    ("en", 0, "Hello, world! It's a (small) test. Mr. Smith agrees; isn't it?", (0.0, 1.0, 0.0), None),
    ("en", 2, LONG_EN, (0.0, 1.0, 0.0), None),
    ("en", 1, "ÉCOLE & CAFÉ: the end. It costs 3.5 dollars. Bye.", (0.0, 1.3, 0.0), "0.05"),
    ("fr", 1, "Ça va? Bonjour M. Dupont. L'été à Noël, où es-tu?", (0.0, 1.0, 0.0), None),
    ("fr-fr", 3, "« Très bien », dit-elle. Voir p. 12. Naïve cœur!", (0.0, 0.8, 0.0), None),
    ("PT_BR", 3, "Olá! O Sr. Silva chegou. Não há ação, coração: maçã & pão.", (0.0, 1.0, 0.0), None),
    ("pt", 0, "Você está à vontade? A Dra. Ana é ótima. Óbvio.", (0.0, 1.0, 0.0), "0"),
]


def _python_audio(
    graph: WholeGraph,
    tokenizer: Tokenizer,
    bundle: Bundle,
    text: str,
    language: str,
    embedding: np.ndarray,
    scales: tuple[float, float, float],
    pause_seconds: float,
) -> tuple[np.ndarray, int]:
    """Each utterance through model.onnx (batch 1, trimmed), joined by the pause: the default synthesis."""
    name, lang_id = resolve_language(language, bundle.config.languages, tokenizer.config.language_resolution)
    utterances = plan_utterances(text, tokenizer, name, normalize_numbers=False)  # Node does not normalise
    silence = np.zeros(pause_samples(pause_seconds, bundle.config.sample_rate), dtype=np.float32)
    parts: list[np.ndarray] = []
    for i, utterance in enumerate(utterances):
        ids = np.array([utterance.ids], dtype=np.int64)
        out = graph.run(ids, np.array([ids.shape[1]]), embedding, np.array([lang_id]), np.array(scales))
        parts.extend(([silence] if i else []) + [out.item(0)])
    return np.concatenate(parts), len(utterances)


def test_node_audio_equals_python_reference(tiny_bundle: Path, node_ready: Path, tmp_path: Path) -> None:
    bundle = Bundle.open(tiny_bundle)
    config = bundle.config
    tokenizer = _tokenizer(tiny_bundle)
    speakers = bundle.speaker_embeddings()
    names = list(config.speakers.names)
    graph = WholeGraph(create_session(bundle.graph_path("model"), CPU_OPTIONS), config.embedding_dim)
    default_pause = tokenizer.config.sentences.pause_seconds
    worst = 0.0
    for i, (language, speaker, text, scales, pause) in enumerate(AUDIO_CASES):
        name = names[speaker]
        raw, wav = tmp_path / f"{i}.f32", tmp_path / f"{i}.wav"
        pause_args = [] if pause is None else ["--pause", pause]
        proc = _node(
            "--bundle", str(tiny_bundle), "--language", language, "--speaker", name, "--text", text,
            "--scales", ",".join(map(str, scales)), "--raw-out", str(raw), "--out", str(wav), *pause_args,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        pause_seconds = default_pause if pause is None else float(pause)
        expected, count = _python_audio(
            graph, tokenizer, bundle, text, language, speakers[name], scales, pause_seconds
        )
        assert count >= 2 and re.search(rf"\b{count} utterance\(s\)", proc.stderr), proc.stderr
        got = np.fromfile(raw, dtype="<f4")
        assert got.shape == expected.shape, (language, text)
        diff = float(np.max(np.abs(got - expected)))
        worst = max(worst, diff)
        assert diff <= TOLERANCE, (language, text, diff)
        data = wav.read_bytes()
        assert data[:44] == wav_header(config.sample_rate, expected.shape[0])
        pcm = np.frombuffer(data[44:], dtype="<i2")
        ref_pcm = np.round(np.clip(expected, -1, 1) * np.float32(32767)).astype(np.int16)
        assert np.max(np.abs(pcm.astype(np.int32) - ref_pcm)) <= 1
    print(f"node vs python max-abs over {len(AUDIO_CASES)} multi-sentence cases: {worst:.3e}")


def _golden_single_cases(reference) -> list:
    return [c for c in reference.cases() if c.waveform.shape[0] == 1]


def test_node_audio_equals_coqui_golden(
    tiny_bundle: Path, reference, node_ready: Path, tmp_path: Path
) -> None:
    """Independent of our Python graphs' outputs: Coqui's golden syntheses (noise 0, Coqui's exact text and
    d-vectors) spoken by the Node host on both references, to the same 1e-4 max-abs the runtime meets
    (a padded batch item differs at its tail in Coqui's own output, so the batch-1 cases only)."""
    languages = {i: name for name, i in Bundle.open(tiny_bundle).config.languages.items()}
    cases = _golden_single_cases(reference)
    assert len(cases) == 3
    for case in cases:
        (text,) = case.texts
        language = languages[int(case.language_ids[0])]
        plan = _node_plan(tiny_bundle, text, language, "--no-split")
        assert plan["utterances"][0]["ids"] == case.input[0, : int(case.input_lengths[0])].tolist(), case.name
        voice = tmp_path / f"{case.name}.f32"
        case.d_vectors.reshape(-1).astype("<f4").tofile(voice)
        scales = ",".join(repr(float(v)) for v in case.scales)
        raw = tmp_path / f"{case.name}.raw"
        proc = _node(
            "--bundle", str(tiny_bundle), "--language", language, "--text", text, "--no-split",
            "--embedding", str(voice), "--scales", scales, "--raw-out", str(raw),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        got = np.fromfile(raw, dtype="<f4")
        want = case.waveform.reshape(-1)
        assert got.shape == want.shape, case.name
        err = float(np.abs(got - want).max())
        assert err <= TOLERANCE, (case.name, err)
    # negative control: another speaker's d-vector (the golden of another case) fails the same check
    case, other = cases[0], cases[2]
    assert not np.array_equal(case.d_vectors, other.d_vectors)
    other.d_vectors.reshape(-1).astype("<f4").tofile(tmp_path / "wrong.f32")
    raw = tmp_path / "wrong.raw"
    proc = _node(
        "--bundle", str(tiny_bundle), "--language", "en", "--text", case.texts[0], "--no-split",
        "--embedding", str(tmp_path / "wrong.f32"), "--scales", "0,1,0", "--raw-out", str(raw),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    got = np.fromfile(raw, dtype="<f4")
    want = case.waveform.reshape(-1)
    assert got.shape != want.shape or float(np.abs(got - want).max()) > TOLERANCE


def test_node_takes_an_embedding_file(tiny_bundle: Path, node_ready: Path, tmp_path: Path) -> None:
    bundle = Bundle.open(tiny_bundle)
    name = bundle.config.speakers.names[1]
    emb = bundle.speaker_embeddings()[name]
    np.save(tmp_path / "voice.npy", emb[None, :])
    emb.astype("<f4").tofile(tmp_path / "voice.f32")
    profile = {"format": "yourtts-onnx-voice", "format_version": 1, "name": "voice", "embedding": "voice.npy"}
    (tmp_path / "voice.json").write_text(json.dumps(profile))
    common = ["--bundle", str(tiny_bundle), "--language", "en", "--text", "Same voice.", "--scales", "0,1,0"]
    outputs = []
    for i, voice in enumerate((["--speaker", name], ["--embedding", str(tmp_path / "voice.npy")],
                               ["--embedding", str(tmp_path / "voice.f32")],
                               ["--embedding", str(tmp_path / "voice.json")])):  # fmt: skip
        proc = _node(*common, *voice, "--raw-out", str(tmp_path / f"{i}.raw"))
        assert proc.returncode == 0, proc.stderr
        outputs.append(np.fromfile(tmp_path / f"{i}.raw", dtype="<f4"))
    assert all(np.array_equal(outputs[0], other) for other in outputs[1:])

    bad = tmp_path / "short.npy"
    np.save(bad, emb[:10])
    proc = _node(*common, "--embedding", str(bad), "--out", str(tmp_path / "x.wav"))
    assert proc.returncode == 2 and "needs 512" in proc.stderr
    proc = _node(*common, "--speaker", "nobody", "--out", str(tmp_path / "x.wav"))
    assert proc.returncode == 2 and "unknown speaker 'nobody'" in proc.stderr
    for option, value in (("--pause", "-1"), ("--max-tokens", "2"), ("--scales", "0,0,0")):
        proc = _node(*common, "--speaker", name, option, value, "--out", str(tmp_path / "x.wav"))
        assert proc.returncode == 2 and proc.stderr.startswith("error: "), (option, proc.stderr)
    assert not (tmp_path / "x.wav").exists()


# -- the shared modules stay browser-ready ----------------------------------------------------------

_NODE_ONLY = re.compile(
    r"""from\s+['"](?:node:|fs|path|util|os|child_process)|\brequire\(|\bBuffer\b|\bprocess\.|__dirname"""
)


def test_lib_modules_use_no_node_only_api() -> None:
    modules = sorted(JS_DIR.glob("*.mjs"))
    assert len(modules) >= 8
    for module in modules:
        hits = _NODE_ONLY.findall(module.read_text())
        assert not hits, f"{module.name} uses Node-only APIs: {hits}"
    assert _NODE_ONLY.search(SYNTH.read_text())  # the entry point is where they belong


# -- word timestamps: the js/ rule equals Python's ------------------------------------------------------

# {"config", "hop", "rate", "pause", "cases": [[text, language, max_tokens, [durations per utterance]]]} on
# stdin -> per case: [ids, spans, words] of every utterance, or an error message.
_WORDS_SCRIPT = """
import { Tokenizer } from '../../js/frontend.mjs';
import { sentenceRules } from '../../js/config.mjs';
import { planUtterances } from '../../js/utterances.mjs';
import { WordRuns, utteranceWords } from '../../js/words.mjs';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { config, hop, rate, pause, cases } = JSON.parse(input);
const tokenizer = new Tokenizer(config.text);
const out = cases.map(([text, language, maxTokens, durations]) => {
  try {
    const { utterances } = planUtterances(text, tokenizer, language, sentenceRules(config), { maxTokens });
    const runs = new WordRuns(text);
    let first = 0;
    return utterances.map((u, i) => {
      if (i > 0) first += pause;
      const d = durations[i];
      const words = utteranceWords(runs, u.ids, u.spans, d, tokenizer.letterIds, { firstSample: first, hopLength: hop, sampleRate: rate });
      first += d.reduce((a, b) => a + b, 0) * hop;
      return [u.ids, u.spans, words];
    });
  } catch (err) {
    return `error: ${err.message}`;
  }
});
console.log(JSON.stringify(out));
"""


def test_word_timestamps_rule_equals_python(stub_bundle: Path) -> None:
    """Random texts (numbers left as digits: the JavaScript host does not expand them), random durations:
    the same ids, the same input spans for every id and the same words, times equal as floats."""
    import random

    from yourtts_onnx.runtime.words import WordRuns, utterance_words

    rng = random.Random(18)
    pieces = list("abcdefghij ABCDEJI éàçõÉ") * 3 + list(",;:.!?&-–—\"'()«»[]…  \n\t\u00a0\u202f<>")
    pieces += [
        "Mr. ",
        "don't ",
        "l'homme ",
        "  ",
        "3,50 € ",
        "😀",
        "𝒜",
        "e\u0301",
        "İ",
        "ΟΔΟΣ ",
        "R&D ",
        "... ",
    ]
    config = json.loads((stub_bundle / "config.json").read_text())
    tokenizer = _tokenizer(stub_bundle)
    hop, rate, pause = config["audio"]["hop_length"], config["audio"]["sample_rate"], 3200
    cases, expected = [], []
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 120)))
        language = rng.choice(["en", "fr-fr", "pt-br"])
        max_tokens = rng.choice([None, 21, 41, 101])
        try:
            plan = plan_utterances(text, tokenizer, language, normalize_numbers=False, max_tokens=max_tokens)
        except InputError:
            continue
        durations = [[rng.randint(1, 5) for _ in u.ids] for u in plan]
        runs, first, want = WordRuns(text), 0, []
        for i, (u, d) in enumerate(zip(plan, durations, strict=True)):
            first += pause if i else 0
            words = utterance_words(
                runs,
                u.ids,
                u.spans,
                d,
                tokenizer.letter_ids,
                first_sample=first,
                hop_length=hop,
                sample_rate=rate,
            )
            want.append(
                [list(u.ids), [list(s) if s else None for s in u.spans], [w.to_dict() for w in words]]
            )
            first += sum(d) * hop
        cases.append([text, language, max_tokens, durations])
        expected.append(want)
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "--input-type=module", "-e", _WORDS_SCRIPT],
        cwd=NODE_DIR,
        input=json.dumps({"config": config, "hop": hop, "rate": rate, "pause": pause, "cases": cases}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert len(cases) > 200 and sum(len(w) for want in expected for _, _, w in want) > 1000
    for case, node, want in zip(cases, got, expected, strict=True):
        assert node == want, case[:3]


def test_node_prints_words_like_python(tiny_bundle: Path, node_ready: Path, tmp_path: Path) -> None:
    """``synth.mjs --words`` (the shared engine on the component graphs) prints the Python runtime's words
    (on both references: conftest's ``tiny_bundle`` is each in turn)."""
    from yourtts_onnx.runtime import Synthesizer

    bundle = tiny_bundle
    synth = Synthesizer.from_bundle(bundle, threads=1)
    text = "Hello, world! It's a (small) test.  Mr. Smith agrees; isn't it?"
    name = synth.speakers[1]
    raw = tmp_path / "out.f32"
    proc = _node(
        "--bundle", str(bundle), "--language", "en", "--speaker", name, "--text", text,
        "--scales", "0,1.2,0", "--raw-out", str(raw), "--words",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    # the JavaScript host does not normalise (abbreviations, numbers): compare with Python's plain frontend
    ref = synth.synthesize(
        text,
        language="en",
        voice=name,
        noise_scale=0,
        noise_scale_dp=0,
        length_scale=1.2,
        normalize_numbers=False,
    )
    assert printed["words"] == [w.to_dict() for w in ref.words]
    assert printed["sample_rate"] == ref.sample_rate and printed["duration"] == ref.duration
    assert float(np.max(np.abs(np.fromfile(raw, dtype="<f4") - ref.samples))) <= TOLERANCE


def test_node_words_need_the_component_graphs(stub_bundle: Path, node_ready: Path, tmp_path: Path) -> None:
    lean = tmp_path / "lean"
    shutil.copytree(stub_bundle, lean)
    config = json.loads((lean / "config.json").read_text())
    del config["graphs"]["flow"]
    (lean / "config.json").write_text(json.dumps(config))
    proc = _node("--bundle", str(lean), "--speaker", config["speakers"]["names"][0], "--text", "Hi.", "--out",
                 str(tmp_path / "o.wav"), "--words")  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --words needs the component graphs; this bundle lacks flow")
