"""Streamed text → complete sentences: the same sentences as the runtime's splitter on the whole text, each
given out as soon as the text after it has begun, for any way the text is cut into chunks."""

from __future__ import annotations

import random

import pytest

from yourtts_onnx.runtime.text import split_sentences
from yourtts_onnx.wyoming.sentences import SentenceAssembler

TEXTS = {
    "en": [
        "Hello there. How are you? I'm fine!",
        "Dr. Smith met Mr. Jones at 3.5 p.m. on Jan. 5. They talked, etc. Then they left...",
        'He said "Stop." Then he left. (It was late.) Was it? Yes!?',
        "No. 5 is here. See fig. 3 for details.\n\nA new paragraph\n\nAnother one without a stop",
        "J. R. R. Tolkien wrote books. I. Am. Here.",
        "Wait... what? ... And then... Nothing.",
    ],
    "fr-fr": [
        "Bonjour M. Dupont. « Oui. » Puis il partit. Mme. Martin arriva !",
        "C'est l'été… Il fait chaud. N° 5, etc. Fin.",
    ],
    "pt-br": ["Olá, Sr. Silva. Tudo bem? Sim! A Sra. Costa chegou... e saiu.", "Vol. 2 está aqui. Fim."],
}
CASES = [(language, text) for language, texts in TEXTS.items() for text in texts]


def _chunks(text: str, rng: random.Random, low: int = 1, high: int = 6) -> list[str]:
    out, i = [], 0
    while i < len(text):
        n = rng.randint(low, high)
        out.append(text[i : i + n])
        i += n
    return out


@pytest.mark.parametrize(("language", "text"), CASES)
@pytest.mark.parametrize("seed", range(8))
def test_any_chunking_gives_the_whole_text_sentences(language: str, text: str, seed: int) -> None:
    rng = random.Random(seed)
    assembler = SentenceAssembler(language)
    got: list[str] = []
    for chunk in _chunks(text, rng, *((1, 1) if seed == 0 else (1, 6))):
        got.extend(assembler.add(chunk))
    got.extend(assembler.finish())
    assert got == split_sentences(text, language)
    assert assembler.pending == ""


@pytest.mark.parametrize(("language", "text"), CASES)
def test_each_sentence_comes_once_the_next_one_has_begun(language: str, text: str) -> None:
    """Fed character by character, sentence k is given out at the first character of sentence k+1 that the
    splitter needs — never later than the end of the next sentence's first word."""
    whole = split_sentences(text, language)
    assembler = SentenceAssembler(language)
    given = 0
    for i, ch in enumerate(text):
        given += len(assembler.add(ch))
        # once the text up to here splits into more sentences (and it is not still ending with a
        # separator), every sentence but the last is out
        prefix = split_sentences(text[: i + 1], language)
        if len(prefix) >= 2 and text[: i + 1].rstrip() == text[: i + 1] and prefix[-1][0].isalnum():
            assert given >= len(prefix) - 1, (text[: i + 1], prefix, given)
    assert given + len(assembler.finish()) == len(whole)


def test_an_abbreviation_at_the_end_of_a_chunk_waits_for_the_next_word() -> None:
    a = SentenceAssembler("en")
    assert a.add("We met Dr. ") == []
    assert a.add("Smith today. ") == []  # the stop might still be "Dr."-like: wait for the next word
    assert a.add("He was") == ["We met Dr. Smith today."]
    assert a.add(" late, etc. ") == []
    assert a.add("and more. And") == ["He was late, etc. and more."]
    assert a.finish() == ["And"]


def test_paragraph_breaks_end_sentences() -> None:
    a = SentenceAssembler("en")
    assert a.add("A title\n") == []
    assert a.add("\nFirst line") == ["A title"]
    assert a.finish() == ["First line"]


def test_empty_and_whitespace() -> None:
    a = SentenceAssembler("en")
    assert a.add("") == [] and a.add("   ") == []
    assert a.finish() == []
