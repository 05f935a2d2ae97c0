"""French text normalisation, table-driven (``normalize_text(text, "fr-fr")``)."""

from __future__ import annotations

import pytest

from yourtts_onnx.runtime.text import chunk_text, normalize_text

CASES: list[tuple[str, str]] = [
    # heures
    ("Rendez-vous à 14h30.", "Rendez-vous à quatorze heures trente."),
    ("à 14 h", "à quatorze heures"),
    ("à 14h", "à quatorze heures"),
    ("à 14 h 30", "à quatorze heures trente"),
    ("à 1h05", "à une heure cinq"),
    ("à 21h01", "à vingt et une heures une"),
    ("à 0h15", "à zéro heure quinze"),
    ("à 14:30", "à quatorze heures trente"),
    ("à 8:00", "à huit heures"),
    ("à 12h00", "à douze heures"),
    ("il y a 4 heures", "il y a quatre heures"),
    ("à 25h", "à vingt-cinq h"),
    ("de 9h à 17h", "de neuf heures à dix-sept heures"),
    # abréviations
    ("M. Dupont est là.", "Monsieur Dupont est là."),
    ("MM. Dupont et Durand", "Messieurs Dupont et Durand"),
    ("Mme Martin", "Madame Martin"),
    ("Mme. Martin", "Madame Martin"),
    ("Mmes Martin et Petit", "Mesdames Martin et Petit"),
    ("Mlle Petit", "Mademoiselle Petit"),
    ("le Dr Petit", "le Docteur Petit"),
    ("le Dr. Petit", "le Docteur Petit"),
    ("le Pr Curie", "le Professeur Curie"),
    ("St Denis", "Saint Denis"),
    ("Ste Catherine", "Sainte Catherine"),
    ("n° 5", "numéro cinq"),
    ("des pommes, etc. Puis", "des pommes, et cetera. Puis"),
    ("M. est une lettre", "M. est une lettre"),
    # unités et pourcentages
    ("Il fait 25 °C.", "Il fait vingt-cinq degrés Celsius."),
    ("-5 °C", "moins cinq degrés Celsius"),
    ("2,5 km", "deux virgule cinq kilomètres"),
    ("1,5 kg", "un virgule cinq kilogramme"),
    ("3 kg", "trois kilogrammes"),
    ("1 km", "un kilomètre"),
    ("130 km/h", "cent trente kilomètres par heure"),
    ("2 l", "deux litres"),
    ("500 g", "cinq cents grammes"),
    ("10 m", "dix mètres"),
    ("12 %", "douze pour cent"),
    ("12\u00a0%", "douze pour cent"),
    ("3,5 %", "trois virgule cinq pour cent"),
    # virgule décimale
    ("3,14", "trois virgule un quatre"),
    ("0,5", "zéro virgule cinq"),
    ("3.5", "trois virgule cinq"),
    ("1 234,5", "mille deux cent trente-quatre virgule cinq"),
    ("1 000 000 habitants", "un million habitants"),
    ("1\u202f234 euros", "mille deux cent trente-quatre euros"),
    # ordinaux
    ("le 1er mai", "le premier mai"),
    ("la 1re fois", "la première fois"),
    ("la 1ère fois", "la première fois"),
    ("le 2e et le 21e", "le deuxième et le vingt et unième"),
    ("le 2nd", "le second"),
    ("le 3ème", "le troisième"),
    # monnaies
    ("5 €", "cinq euros"),
    ("1 €", "un euro"),
    ("3,50 €", "trois euros et cinquante centimes"),
    ("3 millions €", "trois millions d'euros"),
    ("10 $", "dix dollars"),
    ("2 £", "deux livres"),
    ("R$ 3", "trois réaux"),
    # téléphone
    ("Appelez le 01 23 45 67 89.", "Appelez le zéro un, deux trois, quatre cinq, six sept, huit neuf."),
    ("01.23.45.67.89", "zéro un, deux trois, quatre cinq, six sept, huit neuf"),
    (
        "+33 1 23 45 67 89",
        "plus trois trois, un, deux trois, quatre cinq, six sept, huit neuf",
    ),
    # nombres
    ("J'ai 3 chats", "J'ai trois chats"),
    ("en 1963", "en mille neuf cent soixante-trois"),
    ("-4 degrés", "moins quatre degrés"),
    ("pas de chiffres", "pas de chiffres"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_french(text: str, expected: str) -> None:
    assert normalize_text(text, "fr-fr") == expected


def test_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60


def test_expanded_titles_do_not_end_sentences() -> None:
    chunks = chunk_text("M. Dupont arrive à 8h. Mme Martin part.", "fr-fr", 200, normalize_numbers=True)
    assert chunks == ["Monsieur Dupont arrive à huit heures.", "Madame Martin part."]


def test_output_has_no_digits() -> None:
    text = " ".join(t for t, _ in CASES)
    assert not any(ch.isdigit() for ch in normalize_text(text, "fr"))


def test_cli_tokenize_prints_the_normalised_text():
    """Through the CLI (a real process): ``tokenize --split`` shows each utterance as it is spoken."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    text = "M. Dupont arrive à 14h30 ; il fait 2,5 °C."
    r = subprocess.run(
        [sys.executable, "-m", "yourtts_onnx", "tokenize", "-b", str(root / "tests/data/stub_bundle"),
         "--language", "fr-fr", "--split", text],
        capture_output=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    (utterance,) = json.loads(r.stdout)
    assert (
        utterance["text"]
        == "Monsieur Dupont arrive à quatorze heures trente ; il fait deux virgule cinq degrés Celsius."
    )
