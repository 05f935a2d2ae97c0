"""Text frontend: Coqui parity on the golden tokenizer cases, config and cleaner-rule round trips, errors."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from yourtts_onnx.errors import BundleError, CheckpointError, InputError
from yourtts_onnx.runtime.text import (
    COQUI_VITS_BLANK,
    CleanerRules,
    TextFrontendConfig,
    Tokenizer,
    apply_cleaner,
    default_rules,
)
from yourtts_onnx.runtime.text.cleaners import PYTHON_WHITESPACE

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
GOLDEN_FILE = REFERENCE / "tokenizer_golden.json"
CHECKPOINT_CONFIG = REFERENCE / "yourtts-tiny" / "checkpoint" / "config.json"


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        pytest.fail(f"reference data missing: {path}")
    return json.loads(path.read_text(encoding="utf-8"))


GOLDEN = _load(GOLDEN_FILE)
COQUI_CONFIG = _load(CHECKPOINT_CONFIG)


@pytest.fixture(scope="module")
def config() -> TextFrontendConfig:
    return TextFrontendConfig.from_coqui(
        COQUI_CONFIG["characters"], COQUI_CONFIG["add_blank"], COQUI_CONFIG["text_cleaner"]
    )


@pytest.fixture(scope="module")
def tok(config: TextFrontendConfig) -> Tokenizer:
    return Tokenizer(config)


# -- vocabulary -------------------------------------------------------------------------------------


def test_vocab_equals_coqui(config: TextFrontendConfig) -> None:
    assert list(config.vocab) == GOLDEN["vocab"]
    assert config.pad == GOLDEN["pad"] == "_"
    assert config.add_blank is GOLDEN["add_blank"] is True
    assert config.cleaner == GOLDEN["cleaner"] == "multilingual_cleaners"


def test_char_to_id_uses_last_occurrence(config: TextFrontendConfig) -> None:
    assert config.char_to_id[","] == 157
    assert config.char_to_id[" "] == 163
    assert config.char_to_id[COQUI_VITS_BLANK] == 164
    assert config.blank_id == 164 == len(config.vocab) - 1
    assert config.pad_id == 0
    assert config.vocab_size == len(GOLDEN["vocab"])


def test_from_coqui_ignores_config_blank_like_vits_characters() -> None:
    chars = dict(COQUI_CONFIG["characters"])
    assert chars["blank"] is None  # the config says no blank, VitsCharacters adds "<BLNK>" anyway
    cfg = TextFrontendConfig.from_coqui(chars, True, "multilingual_cleaners")
    assert cfg.blank == COQUI_VITS_BLANK


def test_from_coqui_phonemes_are_appended() -> None:
    chars = {"pad": "_", "punctuations": "!.", "characters": "ab", "phonemes": "ə"}
    cfg = TextFrontendConfig.from_coqui(chars, False, "multilingual_cleaners")
    assert cfg.vocab == ("_", "!", ".", "a", "b", "ə", COQUI_VITS_BLANK)
    missing = {"pad": "_", "punctuations": "!", "characters": "ab"}
    assert TextFrontendConfig.from_coqui(missing, False, "basic_cleaners").vocab == (
        "_",
        "!",
        "a",
        "b",
        "<BLNK>",
    )


@pytest.mark.parametrize(
    ("characters", "cleaner", "match"),
    [
        (
            {"pad": "_", "punctuations": "!", "characters": 5},
            "multilingual_cleaners",
            "characters.characters",
        ),
        ({"punctuations": "!", "characters": "ab"}, "multilingual_cleaners", "characters.pad"),
        (
            {
                "characters_class": "TTS.tts.utils.text.characters.Graphemes",
                "pad": "_",
                "punctuations": "",
                "characters": "a",
            },
            "multilingual_cleaners",
            "characters_class",
        ),
        ({"pad": "_", "punctuations": "!", "characters": "ab"}, "english_cleaners", "english_cleaners"),
    ],
)
def test_from_coqui_rejects_bad_checkpoints(characters: dict[str, Any], cleaner: str, match: str) -> None:
    with pytest.raises(CheckpointError, match=match):
        TextFrontendConfig.from_coqui(characters, True, cleaner)


# -- golden parity ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case", GOLDEN["cases"], ids=[f"{i}-{c['language']}" for i, c in enumerate(GOLDEN["cases"])]
)
def test_golden_ids_exact(tok: Tokenizer, case: dict[str, Any]) -> None:
    assert tok.encode(case["text"], case["language"], strict=False) == case["ids"]


@pytest.mark.parametrize(
    "case",
    [c for c in GOLDEN["cases"] if any(ch.isalpha() for ch in c["text"])],
    ids=lambda c: c["text"][:20],
)
def test_strict_mode_agrees_on_golden_cases_with_letters(tok: Tokenizer, case: dict[str, Any]) -> None:
    assert tok.encode(case["text"], case["language"]) == case["ids"]


def test_strict_mode_rejects_punctuation_only(tok: Tokenizer) -> None:
    with pytest.raises(InputError, match="nothing the model can pronounce"):
        tok.encode("!!!", "en")
    assert tok.encode("!!!", "en", strict=False) == [164, 153, 164, 153, 164, 153, 164]  # Coqui


def test_golden_parity_survives_json_round_trip(config: TextFrontendConfig) -> None:
    again = TextFrontendConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    tok2 = Tokenizer(again)
    for case in GOLDEN["cases"]:
        assert tok2.encode(case["text"], case["language"], strict=False) == case["ids"]


def test_blank_interspersing_shape(tok: Tokenizer) -> None:
    ids = tok.encode("abc", "en")
    assert ids[0::2] == [164] * 4
    assert tok.decode(ids) == "abc"
    assert len(ids) == 2 * 3 + 1


def test_no_blank_when_add_blank_is_false(config: TextFrontendConfig) -> None:
    d = config.to_dict()
    d["add_blank"] = False
    tok = Tokenizer(TextFrontendConfig.from_dict(d))
    assert tok.encode("ab", "en") == [38, 39]
    assert tok.encode("", "en", strict=False) == []


# -- errors and reporting ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_an_input_error(tok: Tokenizer, text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        tok.encode(text, "en")
    assert tok.encode(text, "en", strict=False) == [164]  # Coqui's result


def test_only_removed_symbols_is_an_input_error(tok: Tokenizer) -> None:
    with pytest.raises(InputError, match="empty after cleaning"):
        tok.encode('"()" <>', "en")


def test_only_unknown_characters_names_them(tok: Tokenizer) -> None:
    with pytest.raises(InputError, match="U\\+1F600") as err:
        tok.encode("😀 @ 123", "en")
    assert "'@'" in str(err.value) and "'1'" in str(err.value)
    assert tok.encode("😀", "en", strict=False) == [164]


def test_unknown_characters_listed_once_in_order(tok: Tokenizer) -> None:
    assert tok.unknown_characters("a😀b😀 @@ 2+2", "en") == ["😀", "@", "2", "+"]
    assert tok.unknown_characters("Tom & Jerry", "en") == []  # '&' becomes "and"
    assert tok.unknown_characters("Tom & Jerry", "de") == ["&"]  # no rule for German


def test_dropped_characters_logged_once_per_call(tok: Tokenizer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="yourtts_onnx.runtime.text.tokenizer"):
        tok.encode("a😀b😀c@", "en")
    records = [r for r in caplog.records if r.name == "yourtts_onnx.runtime.text.tokenizer"]
    assert len(records) == 1
    assert "U+1F600" in records[0].getMessage() and "U+0040" in records[0].getMessage()


def test_can_speak(tok: Tokenizer) -> None:
    assert tok.can_speak("Hi 😀", "en")
    assert not tok.can_speak("😀 !!", "en")
    assert not tok.can_speak("", "en")
    assert not tok.can_speak("42", "en")
    assert tok.can_speak("42", "en", normalize_numbers=True)


def test_encode_with_report(tok: Tokenizer) -> None:
    enc = tok.encode_with_report("Hi 😀!", "en")
    assert enc.cleaned_text == "hi 😀!"
    assert enc.dropped == ("😀",)
    assert enc.num_chars == 4  # h, i, space, !
    assert len(enc.ids) == 2 * enc.num_chars + 1


def test_control_characters_are_described_readably(tok: Tokenizer) -> None:
    with pytest.raises(InputError, match="U\\+200B"):
        tok.encode("\u200b", "en")


def test_non_string_text_is_an_input_error(tok: Tokenizer) -> None:
    with pytest.raises(InputError):
        tok.encode(None, "en")  # type: ignore[arg-type]


def test_normalize_numbers_option(tok: Tokenizer) -> None:
    assert tok.clean("I have 3 cats", "en", normalize_numbers=True) == "i have three cats"
    assert tok.clean("I have 3 cats", "en") == "i have 3 cats"
    with pytest.raises(InputError):
        tok.encode("123", "en")
    assert tok.decode(tok.encode("123", "en", normalize_numbers=True)) == "one hundred and twenty three"


# -- cleaner behaviour ------------------------------------------------------------------------------

RULES = default_rules("multilingual_cleaners")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("A; B: C-D", "en", "a, b, c d"),
        ("Tom & Jerry", "en", "tom and jerry"),
        ("Tom & Jerry", "fr", "tom et jerry"),
        ("Tom & Jerry", "fr-fr", "tom et jerry"),
        ("Tom & Jerry", "pt-br", "tom e jerry"),
        ("Tom & Jerry", "PT_BR", "tom e jerry"),
        ("Tom & Jerry", "it", "tom e jerry"),
        ("Tom & Jerry", "xx-yy", "tom & jerry"),
        ("Tom & Jerry", None, "tom & jerry"),
        ("l'avi; diguem-ho & tu", "ca", "lavi, diguemho i tu"),
        ("τι; ναι-όχι", "el", "τι; ναι όχι"),
        ('"Quoted" <tag> [x] (y)', "en", "quoted tag x y"),
        ("  many \t\n spaces\u00a0\u3000here  ", "en", "many spaces here"),
        ("e\u0301te\u0301", "fr-fr", "été"),  # NFC composes decomposed accents
        ("ÉCOLE", "fr-fr", "école"),
        ("« guillemets » “curly”", "fr-fr", "« guillemets » “curly”"),  # not removed: dropped by the vocab
    ],
)
def test_multilingual_cleaner(text: str, language: str | None, expected: str) -> None:
    assert apply_cleaner(text, language, RULES) == expected


def test_exact_language_match_mode() -> None:
    d = RULES.to_dict()
    d["language_match"] = "exact"
    exact = CleanerRules.from_dict(d)
    assert apply_cleaner("a & b", "fr-fr", exact) == "a & b"
    assert apply_cleaner("a & b", "fr", exact) == "a et b"


def test_whitespace_table_is_pythons() -> None:
    computed = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert computed == PYTHON_WHITESPACE
    assert RULES.whitespace == computed


def test_cleaner_matches_regex_reference_on_awkward_strings() -> None:
    import re

    def reference(text: str, lang: str) -> str:
        text = unicodedata.normalize("NFC", text).lower()
        text = text.replace(";", ",").replace("-", " ").replace(":", ",")
        if lang == "en":
            text = text.replace("&", " and ")
        text = re.sub(r"[\<\>\(\)\[\]\"]+", "", text)
        return re.sub(r"\s+", " ", text).strip()

    samples = [
        "\x1c\x1dA\x85b\u2028c\u205f",
        " - ; : & ",
        "İstanbul ΟΔΟΣ Straße",
        '(a)[b]<c>"d"',
        "x\u3000\u3000y\t\t\nz",
        "",
    ]
    for text in samples:
        assert apply_cleaner(text, "en", RULES) == reference(text, "en"), text


def test_unknown_cleaner_name() -> None:
    with pytest.raises(BundleError, match=r"unknown text cleaner 'nope'.*multilingual_cleaners"):
        default_rules("nope")


def test_basic_cleaners() -> None:
    rules = default_rules("basic_cleaners")
    assert apply_cleaner("  Hello;  World-&  ", "en", rules) == "hello; world-&"


# -- round trips and malformed config ---------------------------------------------------------------


def test_cleaner_rules_round_trip() -> None:
    for name in ("multilingual_cleaners", "basic_cleaners"):
        rules = default_rules(name)
        again = CleanerRules.from_dict(json.loads(json.dumps(rules.to_dict())))
        assert again == rules
        assert again.to_dict() == rules.to_dict()
        assert hash(again) == hash(rules)


def test_config_round_trip(config: TextFrontendConfig) -> None:
    d = config.to_dict()
    assert set(d) == {
        "vocab",
        "pad",
        "blank",
        "add_blank",
        "cleaner",
        "cleaner_rules",
        "sentences",
        "language_resolution",
    }
    text = json.dumps(d)
    assert TextFrontendConfig.from_dict(json.loads(text)).to_dict() == d
    assert hash(TextFrontendConfig.from_dict(json.loads(text))) == hash(config)


def _corrupt(d: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    d = json.loads(json.dumps(d))
    target = d
    *parents, last = dotted.split(".")
    for key in parents:
        target = target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return d


_DELETE = object()


@pytest.mark.parametrize(
    ("dotted", "value", "match"),
    [
        ("vocab", _DELETE, "vocab: missing"),
        ("vocab", "abc", "vocab: expected a list"),
        ("vocab", [], "vocab: empty"),
        ("vocab", ["_", 3], r"vocab\[1\]"),
        ("pad", _DELETE, "pad: missing"),
        ("pad", "§", "pad: '§' is not in the vocabulary"),
        ("blank", "§", "blank"),
        ("blank", None, "add_blank is true but no blank"),
        ("add_blank", "yes", "add_blank: expected a boolean"),
        ("cleaner", "other", "does not match cleaner_rules.name"),
        ("cleaner_rules", _DELETE, "cleaner_rules: missing"),
        ("cleaner_rules", [], "cleaner_rules: expected an object"),
        ("cleaner_rules.steps", _DELETE, r"cleaner_rules\.steps: missing"),
        ("cleaner_rules.steps", ["lowercase", "shout"], r"cleaner_rules\.steps\[1\]: unknown step 'shout'"),
        ("cleaner_rules.language_match", "fuzzy", "language_match"),
        ("cleaner_rules.default_replacements", [[";"]], r"default_replacements\[0\]"),
        ("cleaner_rules.default_replacements", [["", "x"]], "empty string"),
        ("cleaner_rules.language_replacements", {"en": "x"}, r"language_replacements\.en"),
        ("cleaner_rules.language_replacements", {"en": [[1, 2]]}, r"language_replacements\.en\[0\]"),
        ("cleaner_rules.removed_symbols", None, "removed_symbols: expected a string"),
        ("cleaner_rules.whitespace", "", "whitespace: empty"),
    ],
)
def test_from_dict_names_the_bad_field(
    config: TextFrontendConfig, dotted: str, value: Any, match: str
) -> None:
    with pytest.raises(BundleError, match=match):
        TextFrontendConfig.from_dict(_corrupt(config.to_dict(), dotted, value))


def test_from_dict_rejects_non_object() -> None:
    with pytest.raises(BundleError, match="expected an object"):
        TextFrontendConfig.from_dict([])  # type: ignore[arg-type]


def test_package_does_not_import_torch_or_onnxruntime() -> None:
    code = (
        "import sys, yourtts_onnx.runtime.text as t; "
        "t.Tokenizer; bad = [m for m in ('torch', 'onnxruntime', 'num2words') if m in sys.modules]; "
        "sys.exit(repr(bad) if bad else 0)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
