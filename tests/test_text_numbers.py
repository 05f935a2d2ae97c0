"""Optional number expansion (en / fr / pt) used before cleaning when synthesis asks for it."""

from __future__ import annotations

import pytest

from yourtts_onnx.runtime.text import normalize_numbers, number_language


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "en"), ("fr-fr", "fr"), ("pt-br", "pt"), ("PT_BR", "pt"), ("de", None), ("", None), (None, None)],
)
def test_number_language(language: str | None, expected: str | None) -> None:
    assert number_language(language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have 3 cats", "I have three cats"),
        ("1st 2nd 3rd 4th 21st 11TH", "first second third fourth twenty-first eleventh"),
        ("$5", "five dollars"),
        ("$1", "one dollar"),
        ("$5.50", "five dollars and fifty cents"),
        ("$0.99", "ninety-nine cents"),
        ("€3", "three euros"),
        ("£2.01", "two pounds and one penny"),
        ("5$", "five dollars"),
        ("$1,000,000", "one million dollars"),
        ("$5 million", "five million dollars"),
        ("12%", "twelve percent"),
        ("-3.5%", "minus three point five percent"),
        ("It costs 3.25 now", "It costs three point two five now"),
        ("1,234", "one thousand two hundred and thirty-four"),
        ("Prior to November 22, 1963.", "Prior to November twenty-two, nineteen sixty-three."),
        ("In 2024", "In twenty twenty-four"),
        ("2024 was", "two thousand and twenty-four was"),
        ("Call 007", "Call zero zero seven"),
        ("-5 degrees", "minus five degrees"),
        ("pages 10-15", "pages ten-fifteen"),
        ("mp3 player", "mp three player"),
        ("no digits here", "no digits here"),
    ],
)
def test_english(text: str, expected: str) -> None:
    assert normalize_numbers(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("J'ai 3 chats", "J'ai trois chats"),
        ("3,5 kg", "trois virgule cinq kilogrammes"),
        ("3.5 kg", "trois virgule cinq kilogrammes"),
        ("1 000 000 habitants", "un million habitants"),
        ("1\u202f234 euros", "mille deux cent trente-quatre euros"),
        ("12 %", "douze pour cent"),
        ("12\u00a0%", "douze pour cent"),
        ("5 €", "cinq euros"),
        ("1 €", "un euro"),
        ("3,50 €", "trois euros et cinquante centimes"),
        ("3 millions €", "trois millions d'euros"),
        ("le 1er mai", "le premier mai"),
        ("la 1re fois", "la première fois"),
        ("la 1ère fois", "la première fois"),
        ("le 2e et le 21e", "le deuxième et le vingt et unième"),
        ("le 2nd", "le second"),
        ("en 1963", "en mille neuf cent soixante-trois"),
    ],
)
def test_french(text: str, expected: str) -> None:
    assert normalize_numbers(text, "fr-fr") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tenho 3 gatos", "Tenho três gatos"),
        ("3,5 km", "três vírgula cinco quilômetros"),
        ("1.000 pessoas", "mil pessoas"),
        ("1.234,5", "mil duzentos e trinta e quatro vírgula cinco"),
        ("R$ 5,50", "cinco reais e cinquenta centavos"),
        ("R$ 1", "um real"),
        ("US$ 3 milhões", "três milhões de dólares"),
        ("12%", "doze por cento"),
        ("o 1º lugar", "o primeiro lugar"),
        ("a 1ª vez", "a primeira vez"),
        ("a 22ª edição", "a vigésima segunda edição"),
        ("a 3.ª vez", "a terceira vez"),
    ],
)
def test_portuguese(text: str, expected: str) -> None:
    assert normalize_numbers(text, "pt-br") == expected


def test_other_languages_are_untouched() -> None:
    assert normalize_numbers("3 Katzen, 5 €", "de") == "3 Katzen, 5 €"
    assert normalize_numbers("3 cats", None) == "3 cats"


def test_huge_numbers_fall_back_to_digits() -> None:
    out = normalize_numbers("9" * 80, "en")
    assert out == " ".join(["nine"] * 80)


def test_output_has_no_digits_and_no_commas_from_num2words() -> None:
    out = normalize_numbers("1963 and 1,000,001 and 3.14", "en")
    assert not any(ch.isdigit() for ch in out)
    assert "," not in out
