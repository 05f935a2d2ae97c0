"""export-voice: single-voice graphs for Piper and sherpa-onnx, loaded by the real packages from PyPI.

Same ids → same audio: each host's audio (noise scales 0) must equal ONNX Runtime running the bundle's
model.onnx on the YourTTS tokenizer's ids with the same voice and language, to 1e-4. Where a host's
frontend differs (documented in docs/consumers.md), the ids it produces are checked instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.bundle import Bundle
from yourtts_onnx.runtime.output_dir import OWNER_FILE
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer

pytest.importorskip(
    "onnx", reason="export-voice needs the 'onnx' package (pip install 'yourtts-onnx[export]')"
)

from yourtts_onnx.voice_export import MANIFEST, export_voice
from yourtts_onnx.voice_export.piper import piper_ids
from yourtts_onnx.voice_export.sherpa import sherpa_ids

pytestmark = pytest.mark.export

TOLERANCE = 1e-4
LANGUAGES = ("en", "fr-fr", "pt-br")
VOICE = "female-en-5"

# Texts both Piper and YourTTS read alike: accents (Piper sees NFD), upper case, punctuation, removed and
# replaced symbols; single spaces only (Piper does not collapse whitespace runs).
PIPER_TEXTS = {
    "en": ["Hello, world! It's a (small) test; OK: yes-no & done.", "ÉCOLE, CAFÉ and NAÏVE [sic]."],
    "fr-fr": ["Ça va? L'été à Noël, où es-tu? Œuvre; naïve: fête!", "« Très bien », dit-elle."],
    "pt-br": ["Olá! Não há ação, coração: maçã & pão.", "Você está à vontade? Óbvio."],
}
# One sentence each (sherpa-onnx splits after . : ? !), single spaces, no "&" (needs several ids).
SHERPA_TEXTS = {
    "en": ["Hello, world, it's a (small) test; OK yes-no and done.", "ÉCOLE, CAFÉ and NAÏVE [sic]!"],
    "fr-fr": ["Ça va, l'été à Noël, où es-tu; Œuvre, naïve fête?", "« Très bien », dit-elle."],
    "pt-br": ["Olá, não há ação, coração; maçã e pão!", "Você está à vontade, Óbvio."],
}


@pytest.fixture(scope="module")
def bundle(tiny_bundle: Path) -> Bundle:
    return Bundle.open(tiny_bundle)


@pytest.fixture(scope="module")
def tokenizer(bundle: Bundle) -> Tokenizer:
    return Tokenizer(TextFrontendConfig.from_dict(bundle.config.text))


@pytest.fixture(scope="module")
def model_session(bundle: Bundle) -> ort.InferenceSession:
    return create_session(bundle.graph_path("model"), CPU_OPTIONS)


@pytest.fixture(scope="module")
def exported(tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    root = tmp_path_factory.mktemp("voices")
    out = {}
    for fmt in ("piper", "sherpa-onnx"):
        for language in LANGUAGES:
            out[(fmt, language)] = export_voice(
                tiny_bundle, VOICE, language, fmt, root / f"{fmt}-{language}", progress=lambda _m: None
            ).out
    return out


def _reference_audio(
    session: ort.InferenceSession, bundle: Bundle, ids: list[int], language: str, voice: str = VOICE
) -> np.ndarray:
    out, lengths = session.run(
        ["output", "output_lengths"],
        {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32),
            "speaker_embedding": bundle.speaker_embeddings()[voice][None, :],
            "language_id": np.array([bundle.config.languages[language]], dtype=np.int64),
        },
    )
    return out[0, 0, : int(lengths[0])]


def _model(directory: Path) -> Path:
    (model,) = directory.glob("*.onnx")
    return model


# -- the exported graph itself (no host package needed) -----------------------------------------------


def test_export_writes_the_expected_files(exported: dict[tuple[str, str], Path], bundle: Bundle) -> None:
    piper_dir = exported[("piper", "fr-fr")]
    assert sorted(p.name for p in piper_dir.iterdir()) == sorted(
        [
            OWNER_FILE,
            "MODEL_CARD",
            MANIFEST,
            "yourtts-fr-fr-female-en-5.onnx",
            "yourtts-fr-fr-female-en-5.onnx.json",
        ]
    )
    cfg = json.loads((piper_dir / "yourtts-fr-fr-female-en-5.onnx.json").read_text(encoding="utf-8"))
    assert cfg["phoneme_type"] == "text" and cfg["num_speakers"] == 1
    assert cfg["audio"]["sample_rate"] == bundle.config.sample_rate
    assert (
        cfg["phoneme_id_map"]["^"] == [164] and cfg["phoneme_id_map"]["_"] == [] == cfg["phoneme_id_map"]["$"]
    )
    assert cfg["inference"] == {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 1.0}
    manifest = json.loads((piper_dir / MANIFEST).read_text())
    assert (
        manifest["voice"] == VOICE
        and manifest["language_id"] == 1
        and "CC BY-NC-ND 4.0" in manifest["license_note"]
    )
    # provenance names the bundle's structure file and the shared weights file model.onnx reads
    assert manifest["bundle_model_sha256"] == bundle.config.files["model.onnx"]["sha256"]
    assert manifest["bundle_weights_sha256"] == {"weights.bin": bundle.config.files["weights.bin"]["sha256"]}

    import onnx

    import yourtts_onnx

    # the bundle's graphs keep their weights in weights.bin; a voice model is one self-contained file
    for directory in exported.values():
        raw = onnx.load(str(_model(directory)), load_external_data=False)
        assert not any(t.data_location == onnx.TensorProto.EXTERNAL for t in raw.graph.initializer)
        assert (raw.producer_name, raw.producer_version) == ("yourtts-onnx", yourtts_onnx.__version__)
        assert create_session(_model(directory).read_bytes(), CPU_OPTIONS).get_inputs()[0].name == "input"
    sherpa_dir = exported[("sherpa-onnx", "pt-br")]
    model = onnx.load(str(_model(sherpa_dir)))
    assert [i.name for i in model.graph.input] == ["input", "input_lengths", "scales"]
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["model_type"] == "vits" and "coqui" in meta["comment"] and meta["frontend"] == "characters"
    assert (meta["add_blank"], meta["blank_id"], meta["use_eos_bos"], meta["n_speakers"]) == (
        "1",
        "164",
        "0",
        "1",
    )
    assert (
        meta["sample_rate"] == "16000"
        and meta["language"] == "Portuguese"
        and meta["graph"] == "single_voice"
    )
    # no Python line breaks inside: splitlines() is safe
    tokens = (sherpa_dir / "tokens.txt").read_text(encoding="utf-8").splitlines()
    symbols = [line.rsplit(" ", 1)[0] for line in tokens]
    assert len(symbols) == len(set(symbols)), "sherpa-onnx exits on a duplicated symbol"
    char_to_id = TextFrontendConfig.from_dict(bundle.config.text).char_to_id
    e_acute, comma, space = (char_to_id[c] for c in ("é", ",", " "))
    assert {f" {space}", f"é {e_acute}", f"É {e_acute}", f"; {comma}", f"\u00a0 {space}"} <= set(tokens)
    assert not any(line.startswith(("(", '"')) for line in tokens)  # removed symbols are left out


def test_baked_graph_equals_the_bundle_batched(
    exported: dict[tuple[str, str], Path],
    bundle: Bundle,
    tokenizer: Tokenizer,
    model_session: ort.InferenceSession,
) -> None:
    """Batch of two (padded) through the Piper graph, NFD marks included, vs the bundle's model."""
    directory = exported[("piper", "fr-fr")]
    id_map = json.loads(next(directory.glob("*.onnx.json")).read_text(encoding="utf-8"))["phoneme_id_map"]
    texts = ["Ça va très bien.", "Où es-tu, Noël?"]

    def batch(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        x = np.zeros((len(rows), max(map(len, rows))), dtype=np.int64)
        for i, row in enumerate(rows):
            x[i, : len(row)] = row
        return x, np.array([len(r) for r in rows], dtype=np.int64)

    scales = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    x, lengths = batch([piper_ids(t, id_map) for t in texts])
    baked = create_session(_model(directory), CPU_OPTIONS)
    got, got_len = baked.run(None, {"input": x, "input_lengths": lengths, "scales": scales})
    x, lengths = batch([tokenizer.encode(t, "fr-fr") for t in texts])
    emb = np.repeat(bundle.speaker_embeddings()[VOICE][None, :], 2, axis=0)
    want, want_len = model_session.run(None, {"input": x, "input_lengths": lengths, "scales": scales,
                                          "speaker_embedding": emb, "language_id": np.array([1, 1])})  # fmt: skip
    assert got_len.tolist() == want_len.tolist()
    assert np.max(np.abs(got - want)) <= TOLERANCE


def test_saved_voice_profile_and_errors(tiny_bundle: Path, bundle: Bundle, tmp_path: Path) -> None:
    emb = bundle.speaker_embeddings()["male-pt-3"]
    np.save(tmp_path / "myvoice.npy", emb)
    result = export_voice(tiny_bundle, str(tmp_path / "myvoice.npy"), "pt-br", "sherpa-onnx", tmp_path / "out",
                          progress=lambda _m: None)  # fmt: skip
    assert result.voice == "myvoice" and (tmp_path / "out" / "yourtts-pt-br-myvoice.onnx").is_file()
    assert result.max_abs_diff is not None and result.max_abs_diff <= TOLERANCE
    # re-exporting over an earlier export is allowed
    export_voice(
        tiny_bundle, "male-pt-3", "pt-br", "piper", tmp_path / "out", verify=False, progress=lambda _m: None
    )
    assert not list((tmp_path / "out").glob("tokens.txt"))

    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    cases = [
        (dict(voice="nobody"), "unknown voice 'nobody'"),
        (dict(language="de"), "unknown language 'de'"),
        (dict(fmt="coqui"), "unknown format 'coqui'"),
        (dict(out=tmp_path / "other"), "refusing to replace it"),
        (dict(name="bad name"), "invalid name"),
    ]
    for override, message in cases:
        kwargs = dict(voice="VCTK_p225", language="en", fmt="piper", out=tmp_path / "new") | override
        with pytest.raises(InputError, match=message):
            export_voice(tiny_bundle, kwargs.pop("voice"), kwargs.pop("language"), kwargs.pop("fmt"),
                         kwargs.pop("out"), progress=lambda _m: None, **kwargs)  # fmt: skip
    assert not (tmp_path / "new").exists() and (tmp_path / "other" / "keep.txt").read_text() == "mine"


def test_cli(tiny_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from yourtts_onnx.cli import main

    out = tmp_path / "cli"
    code = main(["export-voice", "--bundle", str(tiny_bundle), "--voice", "VCTK_p226", "--language", "en",
                 "--format", "sherpa-onnx", "--out", str(out), "--name", "p226"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0 and captured.out.strip() == str(out)
    assert "CC BY-NC-ND 4.0" in captured.err
    assert (out / "p226.onnx").is_file() and (out / "tokens.txt").is_file()
    code = main(["export-voice", "--bundle", str(tiny_bundle), "--voice", "VCTK_p226", "--language", "xx",
                 "--format", "piper", "--out", str(tmp_path / "x")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: unknown language 'xx'") and len(err.splitlines()) == 1


# -- Piper (piper-tts from PyPI) ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def piper() -> object:
    return pytest.importorskip("piper.voice", reason="piper-tts is not installed (pip install piper-tts)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_piper_audio_equals_ours(
    piper: object,
    language: str,
    exported: dict[tuple[str, str], Path],
    bundle: Bundle,
    tokenizer: Tokenizer,
    model_session: ort.InferenceSession,
) -> None:
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(_model(exported[("piper", language)]))
    no_noise = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=1.0, normalize_audio=False)
    for text in PIPER_TEXTS[language]:
        (phonemes,) = voice.phonemize(text)
        ids = voice.phonemes_to_ids(phonemes)
        assert ids == piper_ids(text, voice.config.phoneme_id_map)
        chunks = list(voice.synthesize(text, no_noise))
        assert len(chunks) == 1
        got = chunks[0].audio_float_array
        want = np.clip(
            _reference_audio(model_session, bundle, tokenizer.encode(text, language), language), -1, 1
        )
        assert got.shape == want.shape, text
        assert np.max(np.abs(got - want)) <= TOLERANCE, text


def test_piper_ids_equal_yourtts_ids_without_accents(
    piper: object, exported: dict[tuple[str, str], Path], tokenizer: Tokenizer
) -> None:
    """Text that NFD leaves alone reaches the graph with exactly the YourTTS ids."""
    from piper import PiperVoice

    voice = PiperVoice.load(_model(exported[("piper", "en")]))
    for text in ["Hello, World!", 'It\'s (quoted) "text" [x] <y>; a: b-c & d.', "ПРИВЕТ мир", "Tab\there"]:
        (phonemes,) = voice.phonemize(text)
        assert voice.phonemes_to_ids(phonemes) == tokenizer.encode(text, "en"), text


def test_piper_frontend_differences(
    piper: object, exported: dict[tuple[str, str], Path], tokenizer: Tokenizer
) -> None:
    """The documented differences: whitespace runs and edges are kept, '&' without spaces, '_' and '^'."""
    from piper import PiperVoice

    voice = PiperVoice.load(_model(exported[("piper", "en")]))
    char_to_id = tokenizer.config.char_to_id
    blank, space, a, b = 164, char_to_id[" "], char_to_id["a"], char_to_id["b"]

    def ids(text: str) -> list[int]:
        (phonemes,) = voice.phonemize(text)
        return voice.phonemes_to_ids(phonemes)

    assert tokenizer.encode("a  b", "en") == [blank, a, blank, space, blank, b, blank]
    assert ids("a  b") == [blank, a, blank, space, blank, space, blank, b, blank]  # runs are not collapsed
    assert ids(" a") == [blank, space, blank, a, blank]  # edges are not stripped
    assert ids("a&b") == tokenizer.encode("aandb", "en")  # YourTTS: "a and b"
    assert ids("a & b") == tokenizer.encode("a & b", "en")  # the usual spacing is read alike
    assert tokenizer.encode("a_b", "en") == [blank, a, blank, char_to_id["_"], blank, b, blank]
    assert ids("a_b") == [blank, a, blank, b, blank]  # "_" is Piper's pad key
    assert ids("a^b") == [blank, a, blank, blank, b, blank]  # "^" is Piper's bos key


# -- sherpa-onnx (from PyPI) ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sherpa() -> object:
    return pytest.importorskip("sherpa_onnx", reason="sherpa-onnx is not installed (pip install sherpa-onnx)")


def _sherpa_tts(sherpa_onnx: object, directory: Path, length_scale: float = 1.0) -> object:
    vits = sherpa_onnx.OfflineTtsVitsModelConfig(  # type: ignore[attr-defined]
        model=str(_model(directory)), tokens=str(directory / "tokens.txt"),
        noise_scale=0.0, noise_scale_w=0.0, length_scale=length_scale,
    )  # fmt: skip
    config = sherpa_onnx.OfflineTtsConfig(  # type: ignore[attr-defined]
        model=sherpa_onnx.OfflineTtsModelConfig(vits=vits, num_threads=1),  # type: ignore[attr-defined]
        max_num_sentences=1,
        silence_scale=1.0,  # the default 0.2 shortens pauses, which changes the audio
    )
    return sherpa_onnx.OfflineTts(config)  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", LANGUAGES)
def test_sherpa_audio_equals_ours(
    sherpa: object,
    language: str,
    exported: dict[tuple[str, str], Path],
    bundle: Bundle,
    tokenizer: Tokenizer,
    model_session: ort.InferenceSession,
) -> None:
    tts = _sherpa_tts(sherpa, exported[("sherpa-onnx", language)])
    assert tts.sample_rate == bundle.config.sample_rate and tts.num_speakers == 1  # type: ignore[attr-defined]
    tokens = _tokens(exported[("sherpa-onnx", language)])
    for text in SHERPA_TEXTS[language]:
        ids = tokenizer.encode(text, language)
        assert sherpa_ids(text, tokens, blank_id=164) == [ids], text
        got = np.asarray(tts.generate(text, sid=0, speed=1.0).samples, dtype=np.float32)  # type: ignore[attr-defined]
        want = _reference_audio(model_session, bundle, ids, language)
        assert got.shape == want.shape, text
        assert np.max(np.abs(got - want)) <= TOLERANCE, text


def _tokens(directory: Path) -> dict[str, int]:
    out = {}
    for line in (directory / "tokens.txt").read_text(encoding="utf-8").splitlines():
        sym, idx = line.rsplit(" ", 1)
        out[sym or " "] = int(idx)
    return out


def test_sherpa_splits_sentences_as_documented(
    sherpa: object, exported: dict[tuple[str, str], Path], bundle: Bundle, model_session: ort.InferenceSession
) -> None:
    """sherpa-onnx ends a sentence after . : ? ! and synthesises each alone; ':' is not read as ','."""
    directory = exported[("sherpa-onnx", "en")]
    tts = _sherpa_tts(sherpa, directory)
    text = "First part: second part. Third!"
    sentences = sherpa_ids(text, _tokens(directory), blank_id=164)
    assert len(sentences) == 3
    got = np.asarray(tts.generate(text, sid=0, speed=1.0).samples, dtype=np.float32)  # type: ignore[attr-defined]
    want = np.concatenate([_reference_audio(model_session, bundle, ids, "en") for ids in sentences])
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= TOLERANCE


# -- both hosts against Coqui's golden syntheses (independent of our graphs' own outputs) ----------------

#: golden cases whose d-vector is a bundle speaker (cloned and padded batch cases are not exportable as is)
GOLDEN_VOICES = {"single_en": ("VCTK_p225", "en"), "single_fr_slow": ("VCTK_p226", "fr-fr")}


@pytest.fixture(scope="module")
def golden_exports(
    tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Path]:
    root = tmp_path_factory.mktemp("golden-voices")
    return {
        (fmt, voice): export_voice(
            tiny_bundle, voice, language, fmt, root / f"{fmt}-{voice}", progress=lambda _m: None
        ).out
        for fmt in ("piper", "sherpa-onnx")
        for voice, language in GOLDEN_VOICES.values()
    }


def test_piper_and_sherpa_speak_coqui_golden(
    piper: object, sherpa: object, golden_exports: dict[tuple[str, str], Path], bundle: Bundle, reference
) -> None:
    """Coqui's golden syntheses (noise 0, Coqui's exact text, the golden d-vector as the exported voice) from
    Piper and sherpa-onnx, on both references, to the same 1e-4 the runtime meets; the other golden voice's
    export fails the same check (negative control)."""
    from piper import PiperVoice, SynthesisConfig

    cases = [c for c in reference.cases() if c.name in GOLDEN_VOICES]
    assert len(cases) == len(GOLDEN_VOICES)
    for case in cases:
        voice, _language = GOLDEN_VOICES[case.name]
        np.testing.assert_array_equal(bundle.speaker_embeddings()[voice], case.d_vectors.reshape(-1))
        assert case.noise_scale == case.noise_scale_dp == 0.0
        (text,) = case.texts
        ids = case.input[0, : int(case.input_lengths[0])].tolist()
        want = case.waveform.reshape(-1)

        piper_voice = PiperVoice.load(_model(golden_exports[("piper", voice)]))
        (phonemes,) = piper_voice.phonemize(text)
        # Piper reads NFD (accents as marks the exported graph composes back): its own ids, not Coqui's
        assert piper_voice.phonemes_to_ids(phonemes) == piper_ids(text, piper_voice.config.phoneme_id_map)
        config = SynthesisConfig(
            noise_scale=0.0, noise_w_scale=0.0, length_scale=case.length_scale, normalize_audio=False
        )
        (chunk,) = piper_voice.synthesize(text, config)
        assert chunk.audio_float_array.shape == want.shape, case.name
        assert np.max(np.abs(chunk.audio_float_array - np.clip(want, -1, 1))) <= TOLERANCE, case.name

        directory = golden_exports[("sherpa-onnx", voice)]
        assert sherpa_ids(text, _tokens(directory), blank_id=164) == [ids], case.name
        tts = _sherpa_tts(sherpa, directory, length_scale=case.length_scale)
        got = np.asarray(tts.generate(text, sid=0, speed=1.0).samples, dtype=np.float32)  # type: ignore[attr-defined]
        assert got.shape == want.shape, case.name
        assert np.max(np.abs(got - want)) <= TOLERANCE, case.name

    # negative control: single_en's text and scales through the other golden voice's export
    case = next(c for c in cases if c.name == "single_en")
    wrong = PiperVoice.load(_model(golden_exports[("piper", GOLDEN_VOICES["single_fr_slow"][0])]))
    no_noise = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=1.0, normalize_audio=False)
    (chunk,) = wrong.synthesize(case.texts[0], no_noise)
    want = np.clip(case.waveform.reshape(-1), -1, 1)
    got = chunk.audio_float_array
    assert got.shape != want.shape or np.max(np.abs(got - want)) > TOLERANCE


@pytest.mark.slow
def test_full_size_model_in_piper_and_sherpa(tmp_path: Path) -> None:
    """The released architecture (random weights): both hosts reproduce the bundle (about 40 s)."""
    pytest.importorskip("torch", reason="writing a random full-size checkpoint needs the 'export' extra")
    pytest.importorskip("piper.voice", reason="piper-tts is not installed")
    sherpa_onnx = pytest.importorskip("sherpa_onnx", reason="sherpa-onnx is not installed")
    from piper import PiperVoice, SynthesisConfig

    from yourtts_onnx.export.bundle_writer import export_bundle
    from yourtts_onnx.export.random_checkpoint import write_random_checkpoint

    ckpt = write_random_checkpoint(tmp_path / "ckpt", size="full")
    export_bundle(ckpt, tmp_path / "bundle", only=["model"], verify=False, progress=lambda _m: None)
    bundle = Bundle.open(tmp_path / "bundle")
    voice = bundle.config.speakers.names[0]
    session = create_session(bundle.graph_path("model"), CPU_OPTIONS)
    tokenizer = Tokenizer(TextFrontendConfig.from_dict(bundle.config.text))
    text, language = "Ça va très bien, merci Noël.", "fr-fr"
    want = _reference_audio(session, bundle, tokenizer.encode(text, language), language, voice)

    piper_dir = export_voice(
        tmp_path / "bundle", voice, language, "piper", tmp_path / "p", progress=_quiet
    ).out
    piper = PiperVoice.load(_model(piper_dir))
    no_noise = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, normalize_audio=False)
    (chunk,) = piper.synthesize(text, no_noise)
    assert np.max(np.abs(chunk.audio_float_array - np.clip(want, -1, 1))) <= TOLERANCE

    sherpa_dir = export_voice(
        tmp_path / "bundle", voice, language, "sherpa-onnx", tmp_path / "s", progress=_quiet
    ).out
    got = np.asarray(_sherpa_tts(sherpa_onnx, sherpa_dir).generate(text).samples, dtype=np.float32)
    assert got.shape == want.shape and np.max(np.abs(got - want)) <= TOLERANCE


def _quiet(_msg: str) -> None:
    pass
