"""Word timestamps: the span tracking through the text pipeline, the word rule, the engine's ``Audio.words``
against Coqui's golden durations (yourtts-tiny and yourtts-tiny-live), and ``synth --timestamps``.

Expected times are computed here independently of the runtime's span machinery: for the golden texts
cleaning only lower-cases (one character per input character), so the k-th kept character is id ``2k + 1``
and a word's times come straight from Coqui's ``durations`` (cumulative frames × 256 / 16000).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import srt
import webvtt

from yourtts_onnx.cli import main
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime import Synthesizer
from yourtts_onnx.runtime.captions import LINE_CHARS, MAX_LINES
from yourtts_onnx.runtime.text import Tokenizer
from yourtts_onnx.runtime.text.spans import TrackedText, locate_pieces, rewrite
from yourtts_onnx.runtime.utterances import plan_utterances
from yourtts_onnx.runtime.words import Word, WordRuns, utterance_words

pytest_plugins = ["runtime_fixtures"]

HOP, SR = 256, 16000
QUIET = {"noise_scale": 0.0, "noise_scale_dp": 0.0}


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ref_synth(reference, tiny_bundle):
    """(golden directory, synthesizer) for each reference checkpoint (conftest's ``reference``)."""
    return reference.golden, Synthesizer.from_bundle(tiny_bundle, threads=2)


def _cases(golden: Path) -> list[dict]:
    return json.loads((golden / "cases.json").read_text())["synthesis"]


def _expected_words(text: str, tokenizer: Tokenizer, language: str, durations: np.ndarray) -> list[Word]:
    """The rule, written out for texts whose cleaning is one-to-one (checked): an independent oracle."""
    cleaned = tokenizer.clean(text, language)
    assert len(cleaned) == len(text), "oracle only for one-to-one cleaning"
    vocab = tokenizer.config.char_to_id
    token_of: dict[int, int] = {}  # input index -> token index
    kept = 0
    for i, ch in enumerate(cleaned):
        if ch in vocab:
            token_of[i] = 2 * kept + 1
            kept += 1
    starts = np.concatenate([[0], np.cumsum(durations)])
    words = []
    at = 0
    for piece in text.split(" "):
        begin, end = at, at + len(piece)
        at = end + 1
        letters = [token_of[i] for i in range(begin, end) if i in token_of and cleaned[i].isalnum()]
        if letters:
            t0, t1 = starts[letters[0]], starts[letters[-1] + 1]
            words.append(Word(piece, t0 * HOP / SR, t1 * HOP / SR, begin, end))
    return words


# -- acceptance: Coqui's durations, to the frame ----------------------------------------------------


def test_words_equal_coqui_durations(ref_synth):
    golden, synth = ref_synth
    languages = {v: k for k, v in synth.config.languages.items()}
    checked = 0
    for case in _cases(golden):
        files = {k: np.load(golden / v) for k, v in case["files"].items()}
        for i, text in enumerate(case["texts"]):
            n = int(files["input_lengths"][i])
            durations = files["durations"][i].reshape(-1)[:n].astype(np.int64)
            language = languages[int(files["language_ids"][i])]
            audio = synth.synthesize(
                text,
                language=language,
                embedding=files["d_vectors"][i],
                length_scale=case["length_scale"],
                normalize_numbers=False,
                split_sentences=False,
                **QUIET,
            )
            expected = _expected_words(text, synth.tokenizer, language, durations)
            assert list(audio.words) == expected, f"{case['name']}[{i}]"
            assert all(text[w.start_char : w.end_char] == w.word for w in audio.words)
            assert audio.words[-1].end_time <= audio.duration
            checked += 1
    assert checked == 5


def test_negative_control_other_length_scale_differs(ref_synth):
    golden, synth = ref_synth
    case = next(c for c in _cases(golden) if c["name"] == "single_fr_slow")  # length_scale 1.5
    embedding = np.load(golden / case["files"]["d_vectors"])[0]
    durations = np.load(golden / case["files"]["durations"]).reshape(-1).astype(np.int64)
    audio = synth.synthesize(
        case["texts"][0],
        language="fr-fr",
        embedding=embedding,
        length_scale=1.0,
        split_sentences=False,
        **QUIET,
    )
    assert list(audio.words) != _expected_words(case["texts"][0], synth.tokenizer, "fr-fr", durations)


def test_second_sentence_is_offset_by_first_audio_and_pause(ref_synth):
    _, synth = ref_synth
    first, second = "Be a voice, not an echo.", "Short one here."
    text = f"{first}  {second}"
    both = synth.synthesize(text, language="en", sentence_pause=0.3, **QUIET)
    one = synth.synthesize(first, language="en", **QUIET)
    two = synth.synthesize(second, language="en", **QUIET)
    offset_samples = len(one) + round(0.3 * SR)
    assert len(both) == offset_samples + len(two)
    assert list(both.words[: len(one.words)]) == list(one.words)
    shift = len(first) + 2
    expected = [
        Word(
            w.word,
            (offset_samples + w.start_time * SR) / SR,
            (offset_samples + w.end_time * SR) / SR,
            w.start_char + shift,
            w.end_char + shift,
        )
        for w in two.words
    ]
    got = list(both.words[len(one.words) :])
    assert [(w.word, w.start_char, w.end_char) for w in got] == [
        (w.word, w.start_char, w.end_char) for w in expected
    ]
    np.testing.assert_allclose(
        [(w.start_time, w.end_time) for w in got], [(w.start_time, w.end_time) for w in expected], atol=1e-9
    )
    assert got[0].start_time >= (len(one) + round(0.3 * SR)) / SR > one.words[-1].end_time


def test_stream_yields_each_sentence_words_with_its_first_chunk(ref_synth):
    _, synth = ref_synth
    text = "Be a voice, not an echo. Short one here."
    whole = synth.synthesize(text, language="en", **QUIET)
    chunks = list(synth.stream(text, language="en", chunk_frames=4, **QUIET))
    with_words = [i for i, c in enumerate(chunks) if c.words]
    assert len(with_words) == 2 and with_words[0] == 0
    assert sum(len(c.words) for c in chunks) == len(whole.words)
    assert [w for c in chunks for w in c.words] == list(whole.words)


# -- the rule on the text pipeline (the stub bundle's tokenizer; durations chosen here) -------------


def _frames(
    text: str, tokenizer: Tokenizer, language: str = "en", **kw
) -> list[tuple[str, int, int, int, int]]:
    """Words with every token lasting one frame, hop 1 and rate 1: times are token indices."""
    out = []
    runs = WordRuns(text)
    for u in plan_utterances(text, tokenizer, language, **kw):
        words = utterance_words(
            runs,
            u.ids,
            u.spans,
            [1] * len(u.ids),
            tokenizer.letter_ids,
            first_sample=0,
            hop_length=1,
            sample_rate=1,
        )
        out.extend((w.word, int(w.start_time), int(w.end_time), w.start_char, w.end_char) for w in words)
    return out


@pytest.fixture(scope="module")
def tok(stub_synth) -> Tokenizer:
    return stub_synth.tokenizer


def test_rule_multiple_spaces_and_punctuation(tok):
    # cleaned "hi there, you!": h=1 i=3 ' '=5 t=7 ... e=15 ','=17 ' '=19 y=21 o=23 u=25 '!'=27
    assert _frames("Hi   there,  you!", tok) == [
        ("Hi", 1, 4, 0, 2),
        ("there,", 7, 16, 5, 11),
        ("you!", 21, 26, 13, 17),
    ]


def test_rule_punctuation_only_runs_are_not_words(tok):
    words = _frames('Well - "yes" ... (no) !', tok)
    assert [w[0] for w in words] == ["Well", '"yes"', "(no)"]


def test_rule_apostrophes_inside_words(tok):
    # "don't stop": d=1 o=3 n=5 '=7 t=9 ' '=11 s=13 ... p=19
    assert _frames("Don't stop", tok) == [("Don't", 1, 10, 0, 5), ("stop", 13, 20, 6, 10)]
    assert _frames("'quoted' word", tok)[0] == ("'quoted'", 3, 14, 0, 8)


def test_rule_unknown_characters_are_dropped(tok):
    # "😀" has no token: not a word; inside a word it is skipped. Cleaned "c😀at 😀 go" keeps
    # c=1 a=3 t=5 ' '=7 ' '=9 g=11 o=13; offsets count code points (Python indices)
    assert _frames("c😀at 😀 go", tok) == [("c😀at", 1, 6, 0, 4), ("go", 11, 14, 7, 9)]


def test_rule_numbers_keep_their_input_form(tok):
    text = "I have 3 cats and 12.5% of $5.50 today."
    words = _frames(text, tok)
    assert [w[0] for w in words] == ["I", "have", "3", "cats", "and", "12.5%", "of", "$5.50", "today."]
    assert all(text[s:e] == w for w, _, _, s, e in words)
    three = words[2]
    assert three[1:3] == (2 * 7 + 1, 2 * 11 + 2)  # "i have three": t at char 7, last e at char 11
    dollars = next(w for w in words if w[0] == "$5.50")
    spoken = "five dollars and fifty cents"
    assert dollars[2] - dollars[1] == 2 * len(spoken) - 1
    starts = [w[1] for w in words]
    assert starts == sorted(starts)


def test_rule_amount_across_a_space_is_one_word(tok):
    text = "J'ai 3,50 € et 1 234 choses."
    words = _frames(text, tok, "fr-fr")
    assert [w[0] for w in words] == ["J'ai", "3,50 €", "et", "1 234", "choses."]
    assert all(text[s:e] == w for w, _, _, s, e in words)


def test_rule_numbers_not_expanded_are_dropped(tok):
    words = _frames("I have 3 cats", tok, normalize_numbers=False, split=False)
    assert [w[0] for w in words] == ["I", "have", "cats"]


def test_rule_hyphen_and_ampersand(tok):
    words = _frames("well-known R&D", tok)
    assert [w[0] for w in words] == ["well-known", "R&D"]
    # a lone "&" is spoken ("and") but holds no letter: no word, as a dash or an ellipsis
    assert [w[0] for w in _frames("Tom & Jerry - again...", tok)] == ["Tom", "Jerry", "again..."]


# -- span tracking: one mechanism, same text as the plain pipeline -------------------------------------

SPAN_TEXTS = [
    "Hello  World!",
    "J'ai 3,50 € et 1 234 choses, le 1er mai.",
    "Olá, tudo bem? R$ 1.234,56 e 2ª vez.",
    'Mr. Smith paid $1,000,000 (one million) on 21st May 1963 — "quoted" [text] <b>.',
    "e\u0301te\u0301 ÉTÉ İstanbul ΟΔΟΣ \t\n tab; colon: semi & and - dash",
    "  leading and trailing  ",
    "😀 emoji 😀 only 42% ... -5 and 007.",
]


@pytest.mark.parametrize("text", SPAN_TEXTS)
@pytest.mark.parametrize("language", ["en", "fr-fr", "pt-br"])
def test_tracked_pipeline_gives_the_same_ids_and_valid_spans(tok, text, language):
    plain = tok.encode(text, language, normalize_numbers=True, strict=False)
    enc = tok.encode_with_report(text, language, normalize_numbers=True, strict=False)
    assert list(enc.ids) == plain
    assert len(enc.spans) == len(enc.ids)
    for token, span in zip(enc.ids, enc.spans, strict=True):
        if token == tok.blank_id:
            assert span is None
        else:
            assert 0 <= span[0] <= span[1] <= len(text)
    # the planned utterances keep the same spans as encoding their pieces
    utterances = plan_utterances(text, tok, language, max_tokens=41)
    assert all(len(u.spans) == len(u.ids) for u in utterances)


def test_unchanged_characters_keep_their_own_span(tok):
    text = "Ab, cd."
    enc = tok.encode_with_report(text, "en")
    char_spans = [s for s in enc.spans if s is not None]
    assert char_spans == [(i, i + 1) for i in range(len(text))]


def test_rewrite_unions_the_spans_it_replaces():
    import re

    t = rewrite(TrackedText.of("a 12 b"), re.compile(r"\d+"), "twelve")
    assert t.text == "a twelve b"
    assert {t.span(i) for i in range(2, 8)} == {(2, 4)}
    assert t.span(9) == (5, 6)
    inserted = rewrite(TrackedText.of("ab"), re.compile(r"(?<=a)"), "-")
    assert inserted.text == "a-b" and inserted.span(1) == (1, 1)


def test_locate_pieces_skips_dropped_text():
    source = TrackedText.of('One\n\n  two "" three.  Four')
    pieces = locate_pieces(source, ["One", "two", "three. Four"], " \n")
    assert [p.text for p in pieces] == ["One", "two", "three. Four"]
    assert pieces[2].span(6) == (20, 22)  # the collapsed double space


# -- the whole-model backend cannot time words: it says so -------------------------------------------


def test_model_backend_has_no_words_and_says_why(stub_bundle, tmp_path, capsys):
    model = Synthesizer.from_bundle(stub_bundle, backend="model", threads=1)
    assert not model.times_words and model.synthesize("Hi there.").words is None
    with pytest.raises(InputError, match="word timestamps need the component graphs"):
        model.require_word_times()
    out, stamps = tmp_path / "o.wav", tmp_path / "o.json"
    rc = main(
        [
            "synth",
            "-b",
            str(stub_bundle),
            "Hi.",
            "-o",
            str(out),
            "--timestamps",
            str(stamps),
            "--backend",
            "model",
        ]
    )
    err = capsys.readouterr().err
    assert (
        rc == 2
        and err.startswith("error: word timestamps need the component graphs")
        and err.count("\n") == 1
    )
    assert list(tmp_path.iterdir()) == []


# -- CLI: synth --timestamps ------------------------------------------------------------------------

LONG = (
    "This first sentence is deliberately long, so long that its words need more than two caption lines of "
    "about forty-two characters each. Short one! Then 3 cats & 2 dogs <b> went home."
)


@pytest.mark.parametrize("stream", [False, True])
def test_cli_timestamps_json_equals_api(stub_bundle, stub_synth, tmp_path, stream):
    stamps = tmp_path / "w.json"
    args = ["synth", "-b", str(stub_bundle), LONG, "-o", str(tmp_path / "w.wav"), "--timestamps", str(stamps)]
    assert (
        main([*args, "--noise-scale", "0", "--noise-scale-dp", "0", *(["--stream"] if stream else [])]) == 0
    )
    data = json.loads(stamps.read_text(encoding="utf-8"))
    audio = stub_synth.synthesize(LONG, **QUIET)
    assert data["sample_rate"] == 16000 and data["duration"] == pytest.approx(audio.duration)
    assert data["words"] == [w.to_dict() for w in audio.words]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.json", "w.wav"]


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@pytest.mark.parametrize("stream", [False, True])
def test_cli_srt_and_vtt_parse_and_hold_every_word(stub_bundle, stub_synth, tmp_path, stream):
    audio = stub_synth.synthesize(LONG, **QUIET)
    words = [" ".join(w.word.split()) for w in audio.words]
    sentence_ends = [w.end_time for w in audio.words[:-1] if w.word.endswith((".", "!"))]
    for ext in ("srt", "vtt"):
        path = tmp_path / f"c.{ext}"
        args = [
            "synth",
            "-b",
            str(stub_bundle),
            LONG,
            "-o",
            str(tmp_path / "c.wav"),
            "--timestamps",
            str(path),
        ]
        assert (
            main([*args, "--noise-scale", "0", "--noise-scale-dp", "0", *(["--stream"] if stream else [])])
            == 0
        )
        if ext == "srt":
            cues = [
                (c.start.total_seconds(), c.end.total_seconds(), c.content)
                for c in srt.parse(path.read_text())
            ]
        else:
            cues = [
                (
                    c.start_time.in_milliseconds() / 1000,
                    c.end_time.in_milliseconds() / 1000,
                    _unescape(c.raw_text),
                )
                for c in webvtt.read(str(path))
            ]
        assert [t for _, _, content in cues for t in content.split()] == " ".join(words).split()
        for start, end, content in cues:
            lines = content.split("\n")
            assert 1 <= len(lines) <= MAX_LINES
            assert all(len(line) <= LINE_CHARS or " " not in line for line in lines)
            assert start < end
            assert not any(start + 0.001 < t < end - 0.001 for t in sentence_ends), (
                "a cue spans a sentence break"
            )
        assert [c[0] for c in cues] == sorted(c[0] for c in cues)
        assert cues[-1][1] <= audio.duration + 0.001


@pytest.mark.parametrize(
    ("name", "message"),
    [("w.txt", "unknown extension .txt; use .json, .srt or .vtt"), ("w", "unknown extension (none)")],
)
def test_cli_timestamps_bad_extension(stub_bundle, tmp_path, capsys, name, message):
    rc = main(
        [
            "synth",
            "-b",
            str(stub_bundle),
            "Hi.",
            "-o",
            str(tmp_path / "o.wav"),
            "--timestamps",
            str(tmp_path / name),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_timestamps_with_audio_on_stdout(stub_bundle, stub_synth, tmp_path, capsysbinary):
    stamps = tmp_path / "w.vtt"
    args = ["synth", "-b", str(stub_bundle), "One. Two three.", "-o", "-", "--timestamps", str(stamps)]
    assert main([*args, "--noise-scale", "0", "--noise-scale-dp", "0", "--stream"]) == 0
    audio = stub_synth.synthesize("One. Two three.", **QUIET)
    assert capsysbinary.readouterr().out[44:] == audio.to_wav()[44:]
    assert [c.text for c in webvtt.read(str(stamps))] == ["One.", "Two three."]


def test_cli_timestamps_must_not_be_the_audio_file(stub_bundle, tmp_path, capsys):
    out = tmp_path / "o.json"
    assert main(["synth", "-b", str(stub_bundle), "Hi.", "-o", str(out), "--timestamps", str(out)]) == 2
    assert "is the --out file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_caption_cues_follow_the_conventions():
    from yourtts_onnx.runtime.captions import cues

    def words(text: str, t0: float) -> list[Word]:
        return [Word(w, t0 + i, t0 + i + 0.5, 0, len(w)) for i, w in enumerate(text.split())]

    long = words(
        "This first sentence is deliberately long, so long that its words need more than two lines.", 0
    )
    short = words("Short one!", 100)
    huge = words("x" * 50 + " y", 200)
    got = cues([long, short, huge])
    assert [c.lines for c in got] == [
        ("This first sentence is", "deliberately long, so"),  # the fewest cues, as even as the words allow
        ("long that its words need", "more than two lines."),
        ("Short one!",),  # a new sentence: a new cue
        ("x" * 50, "y"),  # a word longer than a line takes a line alone
    ]
    assert [(c.start_ms, c.end_ms) for c in got[:3]] == [(0, 6500), (7000, 15500), (100000, 101500)]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "Dr. Smith met me at 14:30 and ran 5 km in 1990s style.",
            "en",
            ["Dr.", "Smith", "met", "me", "at", "14:30", "and", "ran", "5 km", "in", "1990s", "style."],
        ),
        (
            "Le 1er mai à 14h30, M. Dupont a couru 5 km.",
            "fr-fr",
            ["Le", "1er", "mai", "à", "14h30,", "M.", "Dupont", "a", "couru", "5 km."],
        ),
        ("Sra. Silva pagou R$ 5,50 às 9h.", "pt-br", ["Sra.", "Silva", "pagou", "R$ 5,50", "às", "9h."]),
    ],
)
def test_rule_every_normalisation_step_keeps_the_input_form(tok, text, language, expected):
    """Abbreviations, times, units, years and amounts are rewrites through the one span-aware substitution:
    their words keep their written form and span the tokens of what is spoken."""
    words = _frames(text, tok, language)
    assert [w[0] for w in words] == expected
    assert all(text[s:e] == w for w, _, _, s, e in words)
    assert all(start < end for _, start, end, _, _ in words)


def test_rule_lexicon_replacements_keep_the_written_word(stub_synth):
    from yourtts_onnx.runtime.text.lexicon import Lexicon

    tok = Tokenizer(stub_synth.tokenizer.config, Lexicon({"en": {"GIF": "jif", "SQL": "sequel"}}))
    words = _frames("A GIF, and SQL!", tok)
    assert [w[0] for w in words] == ["A", "GIF,", "and", "SQL!"]
    # cleaned "a jif, and sequel!": character k is token 2k + 1; j=2, f=4, a=7, d=9, s=11, l=16
    assert [w[1:3] for w in words] == [(1, 2), (5, 10), (15, 20), (23, 34)]


@pytest.mark.parametrize("windows", [False, True])
def test_loudness_normalisation_keeps_the_words(stub_synth, windows):
    text = "Hello there. A second sentence follows."
    plain = stub_synth.synthesize(text, **QUIET)
    chunks = list(stub_synth.stream(text, windows=windows, loudness=-20.0, **QUIET))
    assert [w for c in chunks for w in c.words] == list(plain.words)
    assert sum(len(c) for c in chunks) == len(plain)
