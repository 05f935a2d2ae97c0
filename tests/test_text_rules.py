"""The text rules recorded in config.json: sentence splitting/capping/pause (``text.sentences``) and
language-name resolution (``text.language_resolution``). Bundles without them behave as before; a config
with other tables changes the behaviour; malformed sections are BundleErrors naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import STUB_BUNDLE
from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime.languages import LanguageResolution, default_language, resolve_language
from yourtts_onnx.runtime.text import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_PAUSE_SECONDS,
    SentenceRules,
    TextFrontendConfig,
    Tokenizer,
    default_sentence_rules,
    split_sentences,
)
from yourtts_onnx.runtime.utterances import pause_samples, plan_utterances

STUB_TEXT: dict[str, Any] = json.loads((STUB_BUNDLE / "config.json").read_text())["text"]
LANGUAGES = {"en": 0, "fr-fr": 1, "pt-br": 2}

TEXT = (
    "Mr. Smith met Dr. Jones. So did I. J. R. R. Tolkien wrote it, e.g. here. Wait... what? Yes… Then "
    "he came.\n\nNew paragraph. Apples, pears, etc. and more."
)


def _text_config(**sections: Any) -> TextFrontendConfig:
    d = json.loads(json.dumps(STUB_TEXT))
    d.update(sections)
    return TextFrontendConfig.from_dict(d)


def _plan(config: TextFrontendConfig, text: str, language: str = "en", **kwargs: Any) -> list[str]:
    """The splitter's decisions alone: normalisation (which writes titles such as "Mr." out before
    splitting) is off unless a test asks for it."""
    kwargs.setdefault("normalize_numbers", False)
    return [u.text for u in plan_utterances(text, Tokenizer(config), language, **kwargs)]


# -- old bundles ------------------------------------------------------------------------------------


def test_bundle_without_the_sections_gets_the_defaults() -> None:
    assert "sentences" not in STUB_TEXT and "language_resolution" not in STUB_TEXT
    config = TextFrontendConfig.from_dict(STUB_TEXT)
    assert config.sentences == default_sentence_rules()
    assert config.language_resolution == LanguageResolution()
    assert config.sentences.max_tokens == DEFAULT_MAX_TOKENS == 400
    assert config.sentences.pause_seconds == DEFAULT_PAUSE_SECONDS == 0.2
    # written back, the defaults are explicit, and reading them again changes nothing
    written = config.to_dict()
    assert written["sentences"] == default_sentence_rules().to_dict()
    assert TextFrontendConfig.from_dict(json.loads(json.dumps(written))) == config


def test_default_rules_split_as_before() -> None:
    assert _plan(_text_config(), TEXT) == [
        "Mr. Smith met Dr. Jones.",
        "So did I.",
        "J. R. R. Tolkien wrote it, e.g. here.",
        "Wait... what?",
        "Yes…",
        "Then he came.",
        "New paragraph.",
        "Apples, pears, etc. and more.",
    ]
    # the explicit section with the default values is the same as no section
    explicit = _text_config(sentences=default_sentence_rules().to_dict())
    assert _plan(explicit, TEXT) == _plan(_text_config(), TEXT)


def test_other_languages_use_the_default_abbreviations() -> None:
    rules = default_sentence_rules()
    assert rules.abbreviations_for("de") == rules.default_abbreviations
    assert rules.abbreviations_for("FR_fr") == dict(rules.language_abbreviations)["fr"]
    assert "sra" in rules.default_abbreviations.never and "mme" in rules.default_abbreviations.never


# -- config-driven rules ----------------------------------------------------------------------------


def _changed_rules(**changes: Any) -> dict[str, Any]:
    d = default_sentence_rules().to_dict()
    d.update(changes)
    return d


def test_config_abbreviations_change_splitting() -> None:
    d = _changed_rules()
    en = d["language_abbreviations"]["en"]
    en["never"] = [w for w in en["never"] if w != "dr"] + ["smith"]
    en["not_initials"] = []
    changed = _text_config(sentences=d)
    assert _plan(changed, "Mr. Smith. Met Dr. Jones. So did I. Then we left.") == [
        "Mr. Smith. Met Dr.",
        "Jones.",
        "So did I. Then we left.",
    ]
    assert _plan(_text_config(), "Mr. Smith. Met Dr. Jones. So did I. Then we left.") == [
        "Mr. Smith.",
        "Met Dr. Jones.",
        "So did I.",
        "Then we left.",
    ]
    # French is untouched by the English table
    assert _plan(changed, "Le Dr. Roux est là. Il parle.", "fr-fr") == ["Le Dr. Roux est là.", "Il parle."]


def test_config_terminators_closers_and_openers() -> None:
    rules = SentenceRules.from_dict(
        _changed_rules(
            terminators=".!?;", final_terminators="!?;", ellipses="", closers="", spaced_closers=""
        )
    )
    assert split_sentences("One; two… three. (Four) five!", "en", rules) == [
        "One;",
        "two… three.",
        "(Four) five!",
    ]
    assert split_sentences('He said "Stop." Then he left.', "en", rules) == ['He said "Stop." Then he left.']
    assert split_sentences('He said "Stop." Then he left.', "en") == ['He said "Stop."', "Then he left."]


def test_config_max_tokens_and_clause_rules_cap_utterances() -> None:
    long = "one two three four five, six seven eight nine ten - eleven twelve thirteen fourteen fifteen"
    tight = _text_config(sentences=_changed_rules(max_tokens=61))
    pieces = plan_utterances(long, Tokenizer(tight), "en")
    assert [p.text for p in pieces] == [
        "one two three four five,",
        "six seven eight nine ten -",
        "eleven twelve thirteen",
        "fourteen fifteen",
    ]
    assert all(len(p.ids) <= 61 for p in pieces)
    no_clauses = _text_config(
        sentences=_changed_rules(max_tokens=61, clause_punctuation="", clause_dashes="")
    )
    assert [p.text for p in plan_utterances(long, Tokenizer(no_clauses), "en")] == [
        "one two three four five, six",
        "seven eight nine ten - eleven",
        "twelve thirteen fourteen",
        "fifteen",
    ]
    # an explicit max_tokens overrides the config's
    assert len(plan_utterances(long, Tokenizer(tight), "en", max_tokens=400)) == 1


def test_pause_samples_rounds_half_to_even() -> None:
    assert pause_samples(0.2, 16000) == 3200
    assert pause_samples(0.2, 22050) == 4410
    assert pause_samples(0.5 / 16000, 16000) == 0  # 0.5 -> 0
    assert pause_samples(1.5 / 16000, 16000) == 2  # 1.5 -> 2
    assert pause_samples(0, 16000) == 0
    for bad in (-0.1, float("nan"), float("inf"), True, "0.2"):
        with pytest.raises(InputError, match="sentence_pause"):
            pause_samples(bad, 16000)  # type: ignore[arg-type]


def test_sentence_rules_round_trip() -> None:
    rules = default_sentence_rules()
    again = SentenceRules.from_dict(json.loads(json.dumps(rules.to_dict())))
    assert again == rules and hash(again) == hash(rules)


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
        ("sentences", [], "sentences: expected an object"),
        ("sentences.max_tokens", _DELETE, r"sentences\.max_tokens: missing"),
        ("sentences.max_tokens", 0, r"sentences\.max_tokens: expected a positive integer"),
        ("sentences.max_tokens", 2, r"sentences\.max_tokens: 2 is below 3"),
        ("sentences.max_tokens", 4.5, r"sentences\.max_tokens"),
        ("sentences.pause_seconds", -1, r"sentences\.pause_seconds"),
        ("sentences.pause_seconds", "0.2", r"sentences\.pause_seconds"),
        ("sentences.terminators", "", r"sentences\.terminators: empty"),
        (
            "sentences.final_terminators",
            "!#",
            r"sentences\.final_terminators: '#' is not one of the terminators",
        ),
        ("sentences.closers", "» ", r"sentences\.closers: holds the whitespace character ' '"),
        ("sentences.whitespace", "\t", r"sentences\.whitespace: must contain the space"),
        ("sentences.language_match", "fuzzy", r"sentences\.language_match"),
        ("sentences.language_abbreviations", [], r"sentences\.language_abbreviations: expected an object"),
        (
            "sentences.language_abbreviations.en.never",
            "mr",
            r"language_abbreviations\.en\.never: expected a list",
        ),
        (
            "sentences.language_abbreviations.en.may_end",
            _DELETE,
            r"language_abbreviations\.en\.may_end: missing",
        ),
        ("sentences.language_abbreviations.en.not_initials", ["II"], r"not_initials\[0\]: expected a single"),
        ("sentences.default_abbreviations.never", [""], r"default_abbreviations\.never\[0\]"),
        ("language_resolution", "en", "language_resolution: expected an object"),
        (
            "language_resolution.match",
            ["exact", "fuzzy"],
            r"language_resolution\.match\[1\]: unknown step 'fuzzy'",
        ),
        ("language_resolution.normalize", ["upper"], r"language_resolution\.normalize\[0\]"),
        ("language_resolution.aliases", {"x": 3}, r"language_resolution\.aliases"),
        ("language_resolution.preferred_default", "", r"language_resolution\.preferred_default"),
        (
            "language_resolution.preferred_default",
            _DELETE,
            r"language_resolution\.preferred_default: missing",
        ),
    ],
)
def test_malformed_sections_name_the_field(dotted: str, value: Any, match: str) -> None:
    d = TextFrontendConfig.from_dict(STUB_TEXT).to_dict()
    with pytest.raises(BundleError, match=match):
        TextFrontendConfig.from_dict(_corrupt(d, dotted, value))


# -- language names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("en", "en"),
        ("EN", "en"),
        (" en ", "en"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("fr", "fr-fr"),
        ("fr_FR", "fr-fr"),
        ("FR-fr", "fr-fr"),
        ("fr-CA", "fr-fr"),
        ("pt", "pt-br"),
        ("PT_BR", "pt-br"),
        ("pt-PT", "pt-br"),
        (None, "en"),
    ],
)
def test_default_resolution(requested: str | None, expected: str) -> None:
    assert resolve_language(requested, LANGUAGES) == (expected, LANGUAGES[expected])
    rules = TextFrontendConfig.from_dict(STUB_TEXT).language_resolution
    assert resolve_language(requested, LANGUAGES, rules)[0] == expected


def test_default_resolution_errors() -> None:
    for bad in ("de", "xx-fr", "   ", ""):
        with pytest.raises(InputError, match=r"language.*\(known: en, fr-fr, pt-br\)"):
            resolve_language(bad, LANGUAGES)
    with pytest.raises(InputError, match="several languages"):
        resolve_language(None, {"fr-fr": 0, "pt-br": 1})
    with pytest.raises(InputError, match="unknown language 'en'"):  # two English variants: ambiguous
        resolve_language("en", {"en-us": 0, "en-gb": 1})
    assert default_language({"fr-fr": 0, "en-us": 1}) == "en-us"
    assert default_language({"de": 0}) == "de"


def test_resolution_rules_from_config() -> None:
    rules = LanguageResolution.from_dict(
        {
            "normalize": ["lowercase"],
            "match": ["alias", "exact"],
            "aliases": {"English": "en", "Portuguese": "pt-br"},
            "preferred_default": "pt",
        }
    )
    assert resolve_language("english", LANGUAGES, rules)[0] == "en"
    assert resolve_language("PORTUGUESE", LANGUAGES, rules)[0] == "pt-br"
    assert resolve_language("fr-fr", LANGUAGES, rules)[0] == "fr-fr"
    for no_longer in ("fr", "EN", "pt_br"):
        with pytest.raises(InputError, match="unknown language"):
            resolve_language(no_longer, LANGUAGES, rules)
    assert default_language(LANGUAGES, rules) is None  # "pt" does not resolve without primary_subtag
    with pytest.raises(InputError, match="several languages"):
        resolve_language(None, LANGUAGES, rules)
    assert default_language(LANGUAGES, LanguageResolution(preferred_default=None)) is None
    assert default_language({"de": 0}, LanguageResolution(preferred_default=None)) == "de"


def test_alias_to_a_missing_language_is_a_bundle_error() -> None:
    rules = LanguageResolution(aliases=(("deutsch", "de"),))
    with pytest.raises(BundleError, match=r"language_resolution\.aliases\.deutsch: 'de' is not a language"):
        resolve_language("Deutsch", LANGUAGES, rules)
    assert resolve_language("en", LANGUAGES, rules)[0] == "en"  # other names are unaffected


def test_language_resolution_round_trip() -> None:
    rules = LanguageResolution(aliases=(("english", "en"),), preferred_default=None)
    assert LanguageResolution.from_dict(json.loads(json.dumps(rules.to_dict()))) == rules
