"""The bundle in a non-Python host: examples/node/synth.mjs (onnxruntime-node) against the Python reference.

The Node program reads only config.json, model.onnx (whose weights ONNX Runtime reads from the shared
weights.bin beside it) and speakers.npy. Its token ids must equal the Python
tokenizer's and its audio must equal ONNX Runtime in Python (same ids, embedding, language, scales with
noise 0) to 1e-4. ``node`` missing skips; ``examples/node/node_modules`` missing fails with the command to
run (``make node-deps``, which ``make test`` runs when node is installed): tests never touch the network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from yourtts_onnx.runtime.bundle import Bundle
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.text import TextFrontendConfig, Tokenizer
from yourtts_onnx.runtime.waveform import wav_header

NODE_DIR = Path(__file__).resolve().parents[1] / "examples" / "node"
SYNTH = NODE_DIR / "synth.mjs"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node (Node.js >= 18) is not on PATH")

# (language, text): accented letters, upper case, punctuation, removed symbols, replaced symbols, whitespace.
TOKEN_CASES = [
    ("en", "Hello, world!"),
    ("en", 'It\'s "quoted" (bracketed) [and] <tagged>; ok: yes - no & done.'),
    ("en", "  Tabs\tand\nnew\u00a0lines\u2003everywhere  "),
    ("en", "ÉCOLE À L'ÎLE, ÇA?"),
    ("en", "Decomposed e\u0301 and A\u0300 become NFC."),
    ("en", "Unknown: 😀 @ # % ~ İstanbul"),
    ("en", "ПРИВЕТ, мир! Ґанок і їжак."),
    ("fr-fr", "Ça va? L'été à Noël, où es-tu? « Très bien » & merci!"),
    ("fr-fr", "Œuvre, cœur; naïve: Noël—fête."),
    ("pt-br", "Olá! Não há ação, coração: maçã & pão."),
    ("pt-br", "Você está à vontade? Óbvio; é lógico."),
    ("pt-br", "under_score and 3 digits 42"),
]

# (language, speaker, text, scales): audio parity cases, all three languages.
AUDIO_CASES = [
    ("en", 0, "Hello, world! It's a (small) test; isn't it?", (0.0, 1.0, 0.0)),
    ("en", 2, "ÉCOLE & CAFÉ: the end.", (0.0, 1.3, 0.0)),
    ("fr-fr", 1, "Ça va? L'été à Noël, où es-tu?", (0.0, 1.0, 0.0)),
    ("fr-fr", 3, "« Très bien », dit-elle; naïve cœur!", (0.0, 0.8, 0.0)),
    ("pt-br", 3, "Olá! Não há ação, coração: maçã & pão.", (0.0, 1.0, 0.0)),
    ("pt-br", 0, "Você está à vontade? Óbvio.", (0.0, 1.0, 0.0)),
]

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def node_ready() -> Path:
    if not (NODE_DIR / "node_modules" / "onnxruntime-node").is_dir():
        pytest.fail(
            f"{NODE_DIR}/node_modules is missing: run `make node-deps` "
            "(cd examples/node && ONNXRUNTIME_NODE_INSTALL=skip npm ci) once; `make test` does it when node exists"
        )
    return NODE_DIR


def _node(*args: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, str(SYNTH), *args], capture_output=True, text=True, timeout=120, check=False)


def _tokenizer(bundle: Bundle) -> Tokenizer:
    return Tokenizer(TextFrontendConfig.from_dict(bundle.config.text))


def test_node_ids_equal_python_tokenizer(tiny_bundle: Path) -> None:
    bundle = Bundle.open(tiny_bundle)
    tokenizer = _tokenizer(bundle)
    for language, text in TOKEN_CASES:
        proc = _node("--bundle", str(tiny_bundle), "--language", language, "--text", text, "--ids-only")
        assert proc.returncode == 0, proc.stderr
        got = json.loads(proc.stdout)
        enc = tokenizer.encode_with_report(text, language, normalize_numbers=False)
        assert got["ids"] == list(enc.ids), (language, text)
        assert got["cleaned"] == enc.cleaned_text, (language, text)
        assert got["dropped"] == list(enc.dropped), (language, text)


def test_node_rejects_unspeakable_text_like_python(tiny_bundle: Path) -> None:
    for text in ("", "   ", '"()"', "😀 !!!"):
        proc = _node("--bundle", str(tiny_bundle), "--language", "en", "--text", text, "--ids-only")
        assert proc.returncode == 2
        assert proc.stderr.startswith("error: "), proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_node_audio_equals_python_reference(tiny_bundle: Path, node_ready: Path, tmp_path: Path) -> None:
    bundle = Bundle.open(tiny_bundle)
    config = bundle.config
    tokenizer = _tokenizer(bundle)
    speakers = bundle.speaker_embeddings()
    names = list(config.speakers.names)
    session = create_session(bundle.graph_path("model"), CPU_OPTIONS)
    worst = 0.0
    for i, (language, speaker, text, scales) in enumerate(AUDIO_CASES):
        name = names[speaker]
        raw, wav = tmp_path / f"{i}.f32", tmp_path / f"{i}.wav"
        proc = _node(
            "--bundle", str(tiny_bundle), "--language", language, "--speaker", name, "--text", text,
            "--scales", ",".join(map(str, scales)), "--raw-out", str(raw), "--out", str(wav),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        ids = np.array([tokenizer.encode(text, language, normalize_numbers=False)], dtype=np.int64)
        out, lengths = session.run(
            ["output", "output_lengths"],
            {
                "input": ids,
                "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
                "scales": np.array(scales, dtype=np.float32),
                "speaker_embedding": speakers[name][None, :],
                "language_id": np.array([config.languages[language]], dtype=np.int64),
            },
        )
        expected = out[0, 0, : int(lengths[0])]
        got = np.fromfile(raw, dtype="<f4")
        assert got.shape == expected.shape, (language, text)
        diff = float(np.max(np.abs(got - expected)))
        worst = max(worst, diff)
        assert diff <= TOLERANCE, (language, text, diff)
        pcm = np.frombuffer(wav.read_bytes()[44:], dtype="<i2")
        assert wav.read_bytes()[:44] == wav_header(config.sample_rate, expected.shape[0])
        ref_pcm = np.round(np.clip(expected, -1, 1) * np.float32(32767)).astype(np.int16)
        assert np.max(np.abs(pcm.astype(np.int32) - ref_pcm)) <= 1
    print(f"node vs python max-abs over {len(AUDIO_CASES)} cases: {worst:.3e}")


def test_node_takes_an_embedding_file(tiny_bundle: Path, node_ready: Path, tmp_path: Path) -> None:
    bundle = Bundle.open(tiny_bundle)
    name = bundle.config.speakers.names[1]
    emb = bundle.speaker_embeddings()[name]
    np.save(tmp_path / "voice.npy", emb[None, :])
    emb.astype("<f4").tofile(tmp_path / "voice.f32")
    profile = {"format": "yourtts-onnx-voice", "format_version": 1, "name": "voice", "embedding": "voice.npy"}
    (tmp_path / "voice.json").write_text(json.dumps(profile))
    common = ["--bundle", str(tiny_bundle), "--language", "en", "--text", "Same voice.", "--scales", "0,1,0"]
    outputs = []
    for i, voice in enumerate((["--speaker", name], ["--embedding", str(tmp_path / "voice.npy")],
                               ["--embedding", str(tmp_path / "voice.f32")],
                               ["--embedding", str(tmp_path / "voice.json")])):  # fmt: skip
        proc = _node(*common, *voice, "--raw-out", str(tmp_path / f"{i}.raw"))
        assert proc.returncode == 0, proc.stderr
        outputs.append(np.fromfile(tmp_path / f"{i}.raw", dtype="<f4"))
    assert all(np.array_equal(outputs[0], other) for other in outputs[1:])

    bad = tmp_path / "short.npy"
    np.save(bad, emb[:10])
    proc = _node(*common, "--embedding", str(bad), "--out", str(tmp_path / "x.wav"))
    assert proc.returncode == 2 and "needs 512" in proc.stderr
    proc = _node(*common, "--speaker", "nobody", "--out", str(tmp_path / "x.wav"))
    assert proc.returncode == 2 and "unknown speaker 'nobody'" in proc.stderr
    assert not (tmp_path / "x.wav").exists()
