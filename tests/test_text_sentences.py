"""Sentence splitting and chunk capping."""

from __future__ import annotations

import random

import pytest

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.text import apply_cleaner, cap_sentence, chunk_text, default_rules, split_sentences

RULES = default_rules("multilingual_cleaners")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there. How are you? Fine!", ["Hello there.", "How are you?", "Fine!"]),
        ("Mr. Smith met Dr. Jones.", ["Mr. Smith met Dr. Jones."]),
        ("Use e.g. this one. Or that.", ["Use e.g. this one.", "Or that."]),
        ("It costs 3.5 dollars. Cheap.", ["It costs 3.5 dollars.", "Cheap."]),
        ("Wait... what? Yes.", ["Wait... what?", "Yes."]),
        ("I waited… Then he came.", ["I waited…", "Then he came."]),
        ("J. R. R. Tolkien wrote it. Really.", ["J. R. R. Tolkien wrote it.", "Really."]),
        ("So did I. Then we left.", ["So did I.", "Then we left."]),
        ("See No. 5 now. Go.", ["See No. 5 now.", "Go."]),
        ("I said no. Then I left.", ["I said no.", "Then I left."]),
        ("Apples, pears, etc. Then more.", ["Apples, pears, etc.", "Then more."]),
        ("Apples, pears, etc. and more.", ["Apples, pears, etc. and more."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ("approx. five of them.", ["approx. five of them."]),
        ("First line\nsame sentence. Next.", ["First line same sentence.", "Next."]),
        ("Title\n\nBody text", ["Title", "Body text"]),
        ("   ", []),
        ("", []),
        ("No terminator", ["No terminator"]),
    ],
)
def test_split_english(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour M. Dupont. Comment allez-vous ?", ["Bonjour M. Dupont.", "Comment allez-vous ?"]),
        ("Mme. Martin est là. Elle parle.", ["Mme. Martin est là.", "Elle parle."]),
        ("Il a dit « Oui. » Puis il est parti.", ["Il a dit « Oui. »", "Puis il est parti."]),
        ("Il mesure 1,85 m. Il est grand !", ["Il mesure 1,85 m.", "Il est grand !"]),
        ("Voir p. 12 pour plus. Merci.", ["Voir p. 12 pour plus.", "Merci."]),
    ],
)
def test_split_french(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "fr-fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O Sr. Silva chegou. A Sra. Costa também.", ["O Sr. Silva chegou.", "A Sra. Costa também."]),
        ("Olá! Tudo bem? Sim.", ["Olá!", "Tudo bem?", "Sim."]),
        ("Custa 3.5 reais. Barato.", ["Custa 3.5 reais.", "Barato."]),
        ("A Dra. Ana é ótima. Ela ajuda.", ["A Dra. Ana é ótima.", "Ela ajuda."]),
        ("Ele é. Então vamos.", ["Ele é.", "Então vamos."]),
    ],
)
def test_split_portuguese(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "pt-br") == expected


def test_unknown_language_uses_all_abbreviations() -> None:
    assert split_sentences("Sra. Costa e Mme. Martin. Fim.", "xx") == ["Sra. Costa e Mme. Martin.", "Fim."]


def _measure(text: str, language: str = "en") -> int:
    return len(apply_cleaner(text, language, RULES))


def test_cap_prefers_clause_punctuation() -> None:
    sentence = "The first clause is here, the second clause is there; and a third one follows."
    pieces = cap_sentence(sentence, 40, language="en")
    assert pieces == ["The first clause is here,", "the second clause is there;", "and a third one follows."]


def test_cap_falls_back_to_spaces_then_hard_split() -> None:
    pieces = cap_sentence("aaaa bbbb cccc dddd", 9)
    assert pieces == ["aaaa bbbb", "cccc dddd"]
    pieces = cap_sentence("abcdefghijklmnopqrstuvwxyz", 10)
    assert pieces == ["abcdefghij", "klmnopqrst", "uvwxyz"]


def test_cap_short_sentence_untouched_and_empty_dropped() -> None:
    assert cap_sentence("  Short.  ", 100) == ["Short."]
    assert cap_sentence('"()"', 100) == []


def test_cap_counts_cleaned_characters() -> None:
    # '&' cleans to " and " (en), so "a & b" is 7 cleaned characters, and quotes do not count.
    assert cap_sentence("a & b", 7, language="en") == ["a & b"]
    assert cap_sentence('"a" & b', 7, language="en") == ['"a" & b']
    assert all(_measure(p) <= 6 for p in cap_sentence("a & b", 6, language="en"))


def test_cap_rejects_bad_limits() -> None:
    for bad in (0, -3, 2.5, True):
        with pytest.raises(InputError, match="max_chars"):
            cap_sentence("hello", bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="too small"):
        cap_sentence("&&&", 2, language="en")


@pytest.mark.parametrize("limit", [3, 5, 8, 13, 20, 37, 64, 100])
@pytest.mark.parametrize("language", ["en", "fr-fr", "pt-br"])
def test_chunks_never_exceed_limit(limit: int, language: str) -> None:
    rng = random.Random(limit * 31 + len(language))
    alphabet = "abcdefghij éàçõ" * 3 + ',;:.!?&-"()«» \n' + "Mr. Sra. M. e.g. 3.5 "
    for _ in range(15):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        text += " " + "x" * rng.randint(0, 3 * limit)  # a word longer than the limit
        chunks = chunk_text(text, language, limit)
        for chunk in chunks:
            assert 0 < _measure(chunk, language) <= limit, (chunk, limit)
        # Nothing is lost: letters survive in order.
        letters = [ch for ch in apply_cleaner(text, language, RULES) if ch.isalpha()]
        kept = [ch for chunk in chunks for ch in apply_cleaner(chunk, language, RULES) if ch.isalpha()]
        if "&" not in text:
            assert kept == letters


def test_chunk_text_with_numbers() -> None:
    chunks = chunk_text("I have 3 cats. They are 12 years old.", "en", 30, normalize_numbers=True)
    assert chunks == ["I have three cats.", "They are twelve years old."]


def test_chunk_text_empty() -> None:
    assert chunk_text("", "en", 50) == []
    assert chunk_text(" \n\n ", "fr-fr", 50) == []
