"""English text normalisation, table-driven: times, years, abbreviations, units, ordinals, currencies,
telephone numbers and plain numbers (``normalize_text(text, "en")``)."""

from __future__ import annotations

import pytest

from yourtts_onnx.runtime.text import chunk_text, normalize_numbers, normalize_text
from yourtts_onnx.runtime.text.normalize import normalization_rules
from yourtts_onnx.runtime.text.normalize.rewrite import apply_rules

CASES: list[tuple[str, str]] = [
    # times
    ("Meet me at 14:30.", "Meet me at fourteen thirty."),
    ("It starts at 3:45 pm sharp.", "It starts at three forty-five pee em sharp."),
    ("At 3:05 PM", "At three oh five pee em"),
    ("At 3:00", "At three o'clock"),
    ("At 3:00 p.m. we left", "At three pee em we left"),
    ("Wake at 7 a.m. Then eat.", "Wake at seven ay em. Then eat."),
    ("Wake at 7am", "Wake at seven ay em"),
    ("at 11:59 P.M.", "at eleven fifty-nine pee em."),
    ("at 18:00", "at eighteen hundred"),
    ("at 0:00", "at zero hundred"),
    ("a 3:2 ratio", "a three:two ratio"),
    ("at 25:61", "at twenty-five:sixty-one"),
    ("at 13 pm", "at thirteen pm"),  # not a time: left to the number rule
    # years
    ("In 2024 we met.", "In twenty twenty-four we met."),
    ("since 1066", "since ten sixty-six"),
    ("by 2005", "by two thousand and five"),
    ("from 1999 until 2001", "from nineteen ninety-nine until two thousand and one"),
    ("Prior to November 22, 1963.", "Prior to November twenty-two, nineteen sixty-three."),
    ("the 1990s", "the nineteen nineties"),
    ("the 2010s", "the twenty tens"),
    ("the 1900s", "the nineteen hundreds"),
    ("in 1800", "in eighteen hundred"),
    ("2024 was long", "two thousand and twenty-four was long"),
    ("in 3000", "in three thousand"),
    # abbreviations
    ("Dr. Smith is here.", "Doctor Smith is here."),
    ("Mr. Jones and Mrs. Brown", "Mister Jones and Missus Brown"),
    ("Mr Jones", "Mister Jones"),
    ("Ms. Lee", "Miz Lee"),
    ("Prof. Xavier", "Professor Xavier"),
    ("St. Louis", "Saint Louis"),
    ("on Main St. and away", "on Main Street and away"),
    ("on Main St.", "on Main Street."),
    ("Mt. Everest", "Mount Everest"),
    ("Martin Luther King Jr. spoke", "Martin Luther King Junior spoke"),
    ("apples, pears etc. Then we ate.", "apples, pears et cetera. Then we ate."),
    ("apples etc. and pears", "apples et cetera and pears"),
    ("fruit, e.g. apples", "fruit, for example apples"),
    ("one, i.e. this", "one, that is this"),
    ("cats vs. dogs", "cats versus dogs"),
    ("No. 5 please", "number five please"),
    ("No. I refuse", "No. I refuse"),
    ("the dr. said", "the dr. said"),
    ("Drake Smith", "Drake Smith"),
    # units and percentages
    ("It is 25 °C.", "It is twenty-five degrees Celsius."),
    ("-3°C outside", "minus three degrees Celsius outside"),
    ("100 °F", "one hundred degrees Fahrenheit"),
    ("an angle of 90°", "an angle of ninety degrees"),
    ("5 km away", "five kilometers away"),
    ("1 km", "one kilometer"),
    ("2.5 kg", "two point five kilograms"),
    ("1 kg", "one kilogram"),
    ("100 km/h", "one hundred kilometers per hour"),
    ("60 mph", "sixty miles per hour"),
    ("3 m tall", "three meters tall"),
    ("15 cm", "fifteen centimeters"),
    ("2 l of milk", "two liters of milk"),
    ("250 ml", "two hundred and fifty milliliters"),
    ("500 mg", "five hundred milligrams"),
    ("12%", "twelve percent"),
    ("-3.5 %", "minus three point five percent"),
    ("5 kilos", "five kilos"),
    # ordinals
    ("the 21st time", "the twenty-first time"),
    ("1st 2nd 3rd 4th", "first second third fourth"),
    ("the 100th day", "the one hundredth day"),
    # currencies
    ("$5.50", "five dollars and fifty cents"),
    ("$1", "one dollar"),
    ("€3", "three euros"),
    ("£2.01", "two pounds and one penny"),
    ("R$ 10", "ten reais"),
    ("$5 million", "five million dollars"),
    ("$0.99", "ninety-nine cents"),
    # telephone numbers
    ("call (555) 123-4567", "call five five five, one two three, four five six seven"),
    ("call 555-123-4567 now", "call five five five, one two three, four five six seven now"),
    ("555.123.4567", "five five five, one two three, four five six seven"),
    (
        "+1 555 123 4567",
        "plus one, five five five, one two three, four five six seven",
    ),
    ("+44 20 7946 0958", "plus four four, two zero, seven nine four six, zero nine five eight"),
    ("pages 10-15", "pages ten-fifteen"),
    # plain numbers
    ("I have 3 cats", "I have three cats"),
    ("1,234", "one thousand two hundred and thirty-four"),
    ("It costs 3.25 now", "It costs three point two five now"),
    ("Call 007", "Call zero zero seven"),
    ("mp3 player", "mp three player"),
    ("no digits here", "no digits here"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_english(text: str, expected: str) -> None:
    assert normalize_text(text, "en") == expected


def test_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60


def test_the_old_name_is_the_same_function() -> None:
    assert normalize_numbers is normalize_text


def test_every_step_is_a_rule_through_the_one_helper() -> None:
    for text, expected in CASES:
        assert apply_rules(text, normalization_rules("en")) == expected


def test_expanded_titles_do_not_end_sentences() -> None:
    chunks = chunk_text(
        "Dr. Smith met Mr. Jones at 3 p.m. Then they left.", "en", 200, normalize_numbers=True
    )
    assert chunks == ["Doctor Smith met Mister Jones at three pee em.", "Then they left."]


def test_output_has_no_digits() -> None:
    text = " ".join(t for t, _ in CASES)
    assert not any(ch.isdigit() for ch in normalize_text(text, "en"))
