"""Portuguese (Brazilian) text normalisation, table-driven (``normalize_text(text, "pt-br")``)."""

from __future__ import annotations

import pytest

from yourtts_onnx.runtime.text import chunk_text, normalize_text

CASES: list[tuple[str, str]] = [
    # horas
    ("Às 14h30.", "Às catorze horas e trinta."),
    ("às 14h", "às catorze horas"),
    ("às 1h", "às uma hora"),
    ("às 2h15", "às duas horas e quinze"),
    ("às 22h", "às vinte e duas horas"),
    ("às 21h", "às vinte e uma horas"),
    ("às 0h30", "às zero hora e trinta"),
    ("às 14:30", "às catorze horas e trinta"),
    ("às 8:00", "às oito horas"),
    ("às 9 h 05", "às nove horas e cinco"),
    ("das 9h às 18h", "das nove horas às dezoito horas"),
    ("há 4 horas", "há quatro horas"),
    # abreviaturas
    ("O Sr. Silva chegou.", "O Senhor Silva chegou."),
    ("a Sra. Costa", "a Senhora Costa"),
    ("a Srta. Lima", "a Senhorita Lima"),
    ("o Dr. Souza", "o Doutor Souza"),
    ("a Dra. Lima", "a Doutora Lima"),
    ("o Prof. Freire", "o Professor Freire"),
    ("a Profa. Freire", "a Professora Freire"),
    ("Sto. Antônio", "Santo Antônio"),
    ("Sta. Catarina", "Santa Catarina"),
    ("nº 5", "número cinco"),
    ("n.º 5", "número cinco"),
    ("maçãs, peras etc. Depois", "maçãs, peras etcétera. Depois"),
    ("maçãs etc. e peras", "maçãs etcétera e peras"),
    ("o sr. disse", "o sr. disse"),
    # unidades e porcentagens
    ("Faz 25 °C.", "Faz vinte e cinco graus Celsius."),
    ("-2 °C", "menos dois graus Celsius"),
    ("2,5 km", "dois vírgula cinco quilômetros"),
    ("1 km", "um quilômetro"),
    ("1 kg", "um quilograma"),
    ("3 kg", "três quilogramas"),
    ("80 km/h", "oitenta quilômetros por hora"),
    ("2 l", "dois litros"),
    ("300 ml", "trezentos mililitros"),
    ("100 g", "cem gramas"),
    ("5 cm", "cinco centímetros"),
    ("12%", "doze por cento"),
    ("7,5%", "sete vírgula cinco por cento"),
    # vírgula decimal e milhares
    ("3,14", "três vírgula um quatro"),
    ("0,5", "zero vírgula cinco"),
    ("3.5", "três vírgula cinco"),
    ("1.000 pessoas", "mil pessoas"),
    ("1.234,5", "mil duzentos e trinta e quatro vírgula cinco"),
    ("1.000.000", "um milhão"),
    # ordinais
    ("o 1º lugar", "o primeiro lugar"),
    ("a 1ª vez", "a primeira vez"),
    ("a 22ª edição", "a vigésima segunda edição"),
    ("a 3.ª vez", "a terceira vez"),
    ("o 10º andar", "o décimo andar"),
    # moedas
    ("R$ 5,50", "cinco reais e cinquenta centavos"),
    ("R$ 1", "um real"),
    ("R$5", "cinco reais"),
    ("US$ 3 milhões", "três milhões de dólares"),
    ("€ 10", "dez euros"),
    ("£ 2", "duas libras"),
    ("$ 1,50", "um dólar e cinquenta centavos"),
    # telefone
    ("Ligue (11) 91234-5678.", "Ligue um um, nove um dois três quatro, cinco seis sete oito."),
    ("91234-5678", "nove um dois três quatro, cinco seis sete oito"),
    ("(21) 2345-6789", "dois um, dois três quatro cinco, seis sete oito nove"),
    (
        "+55 11 91234-5678",
        "mais cinco cinco, um um, nove um dois três quatro, cinco seis sete oito",
    ),
    # números
    ("Tenho 3 gatos", "Tenho três gatos"),
    ("em 1999", "em mil novecentos e noventa e nove"),
    ("sem números", "sem números"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_portuguese(text: str, expected: str) -> None:
    assert normalize_text(text, "pt-br") == expected


def test_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60


def test_expanded_titles_do_not_end_sentences() -> None:
    chunks = chunk_text("O Dr. Souza chegou às 8h. A Sra. Lima saiu.", "pt-br", 200, normalize_numbers=True)
    assert chunks == ["O Doutor Souza chegou às oito horas.", "A Senhora Lima saiu."]


def test_output_has_no_digits() -> None:
    text = " ".join(t for t, _ in CASES)
    assert not any(ch.isdigit() for ch in normalize_text(text, "pt"))
