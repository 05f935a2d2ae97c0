"""H/ASP ResNet speaker encoder, clip loading and windowing against Coqui's golden outputs."""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import torch

import yourtts_onnx
from conftest import REFERENCE, _require_reference
from runtime_helpers import EMBEDDING_ATOL, embedding_error, wrong_clip
from yourtts_onnx.errors import AudioError, BundleError, CheckpointError
from yourtts_onnx.export.graphs import speaker_encoder_spec
from yourtts_onnx.export.model.speaker_encoder import ResNetSpeakerEncoder
from yourtts_onnx.export.onnx_export import trace_to_onnx
from yourtts_onnx.export.random_checkpoint import speaker_encoder_config
from yourtts_onnx.export.speaker_embedding import embed_clip, embed_windows
from yourtts_onnx.export.speaker_encoder_config import SpeakerEncoderConfig, recipe_from_config
from yourtts_onnx.runtime.audio import load_audio, resample, rms_volume_norm, trim_silence, write_wav_atomic
from yourtts_onnx.runtime.session import CPU_OPTIONS, create_session
from yourtts_onnx.runtime.speaker_windows import (
    EmbeddingRecipe,
    average_clips,
    make_windows,
    mean_embedding,
    prepare_clip,
)

pytestmark = pytest.mark.export

# the speaker encoder is the same in both references; their recordings and Coqui's embeddings of them differ,
# so every golden check runs on both (conftest's parametrized ``golden_dir``)
CKPT = REFERENCE / "yourtts-tiny" / "checkpoint"

# Coqui's config_se.json for YourTTS's encoder (the same dict our random checkpoints write)
CONFIG_DICT: dict[str, Any] = speaker_encoder_config()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def config() -> SpeakerEncoderConfig:
    _require_reference()
    return SpeakerEncoderConfig.from_dict(
        json.loads((CKPT / "config_se.json").read_text()), str(CKPT / "config_se.json")
    )


@pytest.fixture(scope="module")
def recipe(config: SpeakerEncoderConfig) -> EmbeddingRecipe:
    return recipe_from_config(config)


@pytest.fixture(scope="module")
def model(config: SpeakerEncoderConfig) -> ResNetSpeakerEncoder:
    return ResNetSpeakerEncoder.from_checkpoint(CKPT / "model_se.pth", config)


@pytest.fixture(scope="module")
def state_dict() -> dict[str, torch.Tensor]:
    return torch.load(CKPT / "model_se.pth", map_location="cpu", weights_only=True)["model"]


@pytest.fixture(scope="module")
def cases(golden_dir: Path) -> dict[str, Any]:
    return json.loads((golden_dir / "cases.json").read_text())


@pytest.fixture(scope="module")
def clip_embeddings(
    model: ResNetSpeakerEncoder, recipe: EmbeddingRecipe, cases: dict[str, Any], golden_dir: Path
) -> dict[str, np.ndarray]:
    out = {}
    for case in cases["speaker_encoder"]:
        samples, sr = load_audio(golden_dir / case["wav"])
        out[case["wav"]] = embed_clip(model, samples, sr, recipe)
    return out


# --------------------------------------------------------------------------------------------
# Model against golden outputs
# --------------------------------------------------------------------------------------------


def test_state_dict_keys_match_checkpoint(config: SpeakerEncoderConfig, state_dict: dict) -> None:
    fresh = ResNetSpeakerEncoder.from_config(config)
    assert set(fresh.state_dict()) == set(state_dict)
    # The fresh module's derived front-end buffers agree with what torchaudio stored.
    spec = fresh.torch_spec[1]
    assert torch.allclose(spec.spectrogram.window, state_dict["torch_spec.1.spectrogram.window"], atol=1e-6)
    assert torch.allclose(spec.mel_scale.fb, state_dict["torch_spec.1.mel_scale.fb"], atol=1e-4)


def test_raw_window_matches_golden(
    model: ResNetSpeakerEncoder, cases: dict[str, Any], golden_dir: Path
) -> None:
    files = cases["speaker_encoder_window"]
    x = np.load(golden_dir / files["input"])
    want = np.load(golden_dir / files["output"])
    with torch.no_grad():
        got = model(torch.from_numpy(x), l2_norm=True).numpy()
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4


@pytest.mark.parametrize("index", range(5))
def test_clip_embedding_matches_golden(
    index: int, clip_embeddings: dict[str, np.ndarray], cases: dict[str, Any], golden_dir: Path
) -> None:
    case = cases["speaker_encoder"][index]
    want = np.load(golden_dir / case["embedding"])
    got = clip_embeddings[case["wav"]]
    assert got.shape == want.shape == (512,)
    assert embedding_error(got, want) <= EMBEDDING_ATOL  # measured ≤ 1.7e-7 (runtime_helpers.EMBEDDING_ATOL)
    # negative control: another recording's embedding fails the same check
    other = clip_embeddings[f"ref_{wrong_clip(index)}.wav"]
    assert embedding_error(other, want) > EMBEDDING_ATOL


def test_mean_of_two_clips_matches_golden(
    clip_embeddings: dict[str, np.ndarray], cases: dict[str, Any], golden_dir: Path
) -> None:
    want = np.load(golden_dir / cases["speaker_encoder_mean_of_ref_0_and_1"])
    got = average_clips([clip_embeddings["ref_0.wav"], clip_embeddings["ref_1.wav"]])
    assert embedding_error(got, want) <= EMBEDDING_ATOL
    # negative control: one clip instead of the mean of two fails the same check
    for one in ("ref_0.wav", "ref_1.wav"):
        assert embedding_error(clip_embeddings[one], want) > EMBEDDING_ATOL


def test_onnx_round_trip(
    model: ResNetSpeakerEncoder, tmp_path: Path, cases: dict[str, Any], golden_dir: Path
) -> None:
    path = tmp_path / "speaker_encoder.onnx"
    spec = speaker_encoder_spec(model, 512)
    trace_to_onnx(spec, path, 17)
    session = create_session(path, CPU_OPTIONS)
    # named and shaped per the bundle contract (runtime.graph_contract)
    assert [i.name for i in session.get_inputs()] == ["audio"] == spec.input_names
    assert [o.name for o in session.get_outputs()] == ["speaker_embedding"] == spec.output_names
    assert session.get_inputs()[0].shape == ["batch", "audio_samples"]
    assert session.get_outputs()[0].shape == ["batch", 512]

    x = np.load(golden_dir / cases["speaker_encoder_window"]["input"]).astype(np.float32)
    got = session.run(None, {"audio": x})[0]
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    assert np.abs(got - want).max() <= 1e-4

    rng = np.random.default_rng(0)
    x2 = np.stack([x[0, 1000:28000], x[0, 9000:36000] * 0.5]) + 1e-3 * rng.standard_normal((2, 27000))
    x2 = x2.astype(np.float32)
    got2 = session.run(None, {"audio": x2})[0]
    with torch.no_grad():
        want2 = model(torch.from_numpy(x2)).numpy()
    assert got2.shape == (2, 512)
    assert np.abs(got2 - want2).max() <= 1e-4


def test_stereo_48k_file(
    model: ResNetSpeakerEncoder, recipe: EmbeddingRecipe, tmp_path: Path, golden_dir: Path
) -> None:
    mono16, sr = load_audio(golden_dir / "ref_0.wav")
    up = resample(mono16, sr, 48000)
    stereo = np.stack([up * 0.9, up * 0.7], axis=1)
    path = tmp_path / "stereo48k.wav"
    sf.write(path, stereo, 48000, subtype="PCM_16")
    samples, sr48 = load_audio(path)
    assert sr48 == 48000 and samples.ndim == 1 and samples.shape[0] == stereo.shape[0]
    emb = embed_clip(model, samples, sr48, recipe)
    assert emb.shape == (512,) and np.all(np.isfinite(emb))
    # a 48 kHz stereo copy (PCM_16, resampled twice) is still ref_0: within the clip-separating tolerance
    # of Coqui's ref_0 embedding, and not within it of ref_1's
    assert embedding_error(emb, np.load(golden_dir / "ref_0_embedding.npy")) <= EMBEDDING_ATOL
    assert embedding_error(emb, np.load(golden_dir / "ref_1_embedding.npy")) > EMBEDDING_ATOL


# --------------------------------------------------------------------------------------------
# Checkpoint strictness
# --------------------------------------------------------------------------------------------


def test_missing_key_names_key(config: SpeakerEncoderConfig, state_dict: dict) -> None:
    broken = dict(state_dict)
    del broken["layer3.2.bn1.running_var"]
    with pytest.raises(CheckpointError, match=r"layer3\.2\.bn1\.running_var"):
        ResNetSpeakerEncoder.from_checkpoint(broken, config)


def test_wrong_shape_names_key_and_shapes(config: SpeakerEncoderConfig, state_dict: dict) -> None:
    broken = dict(state_dict)
    broken["fc.weight"] = torch.zeros(512, 2048)
    with pytest.raises(CheckpointError) as info:
        ResNetSpeakerEncoder.from_checkpoint(broken, config)
    msg = str(info.value)
    assert "fc.weight" in msg and "[512, 2048]" in msg and "[512, 4096]" in msg


def test_unexpected_key_rejected(config: SpeakerEncoderConfig, state_dict: dict) -> None:
    broken = dict(state_dict)
    broken["extra.weight"] = torch.zeros(3)
    with pytest.raises(CheckpointError, match=r"extra\.weight"):
        ResNetSpeakerEncoder.from_checkpoint(broken, config)


def test_pickled_checkpoint_needs_trust(
    config: SpeakerEncoderConfig, state_dict: dict, tmp_path: Path
) -> None:
    path = tmp_path / "model_se.pth"
    torch.save({"model": state_dict, "args": argparse.Namespace(lr=0.1)}, path)
    with pytest.raises(CheckpointError, match="--trust-checkpoint"):
        ResNetSpeakerEncoder.from_checkpoint(path, config)
    model = ResNetSpeakerEncoder.from_checkpoint(path, config, trust=True)
    assert not model.training


def test_missing_checkpoint_file(config: SpeakerEncoderConfig, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"nope\.pth"):
        ResNetSpeakerEncoder.from_checkpoint(tmp_path / "nope.pth", config)


def test_garbage_checkpoint_file(config: SpeakerEncoderConfig, tmp_path: Path) -> None:
    path = tmp_path / "garbage.pth"
    path.write_bytes(b"not a torch file at all")
    with pytest.raises(CheckpointError, match=r"garbage\.pth"):
        ResNetSpeakerEncoder.from_checkpoint(path, config)


# --------------------------------------------------------------------------------------------
# Config parsing
# --------------------------------------------------------------------------------------------


def test_config_parses_reference_shape() -> None:
    cfg = SpeakerEncoderConfig.from_dict(CONFIG_DICT, "config_se.json")
    assert cfg.encoder_type == "ASP" and cfg.use_torch_spec and cfg.log_input
    assert cfg.audio.hop_length == 160 and cfg.audio.trim_db == 60.0
    recipe = recipe_from_config(cfg)
    assert recipe.window_samples == 40000 and recipe.num_windows == 10 and recipe.sample_rate == 16000
    assert EmbeddingRecipe.from_dict(json.loads(json.dumps(recipe.to_dict()))) == recipe


def test_config_widths_shape_the_encoder() -> None:
    raw = copy.deepcopy(CONFIG_DICT)
    assert SpeakerEncoderConfig.from_dict(raw, "config_se.json").layers is None  # Coqui's configs: defaults
    raw["model_params"].update(layers=[1, 1, 2, 1], num_filters=[8, 8, 16, 24])
    cfg = SpeakerEncoderConfig.from_dict(raw, "config_se.json")
    model = ResNetSpeakerEncoder.from_config(cfg)
    assert (
        len(model.layer3) == 2 and model.conv1.out_channels == 8 and model.layer4[0].conv1.out_channels == 24
    )
    raw["model_params"]["layers"] = [1, 0, 1, 1]
    with pytest.raises(CheckpointError, match=r"model_params\.layers.*4 positive integers"):
        SpeakerEncoderConfig.from_dict(raw, "config_se.json")


@pytest.mark.parametrize(
    ("section", "field"),
    [("audio", "hop_length"), ("model_params", "proj_dim"), ("audio", "do_rms_norm"), ("audio", "db_level")],
)
def test_config_missing_field_named(section: str, field: str) -> None:
    d = copy.deepcopy(CONFIG_DICT)
    del d[section][field]
    with pytest.raises(CheckpointError) as info:
        SpeakerEncoderConfig.from_dict(d, "/ckpt/config_se.json")
    assert f"{section}.{field}" in str(info.value) and "/ckpt/config_se.json" in str(info.value)


def test_config_missing_section_named() -> None:
    d = copy.deepcopy(CONFIG_DICT)
    del d["audio"]
    with pytest.raises(CheckpointError, match="'audio'"):
        SpeakerEncoderConfig.from_dict(d, "config_se.json")


def test_config_ill_typed_field_named() -> None:
    d = copy.deepcopy(CONFIG_DICT)
    d["model_params"]["input_dim"] = "64"
    with pytest.raises(CheckpointError, match=r"model_params\.input_dim"):
        SpeakerEncoderConfig.from_dict(d, "config_se.json")
    d = copy.deepcopy(CONFIG_DICT)
    d["audio"]["do_trim_silence"] = "no"
    with pytest.raises(CheckpointError, match=r"audio\.do_trim_silence"):
        SpeakerEncoderConfig.from_dict(d, "config_se.json")


def test_config_unsupported_model() -> None:
    d = copy.deepcopy(CONFIG_DICT)
    d["model_params"]["model_name"] = "lstm"
    with pytest.raises(CheckpointError, match="resnet"):
        SpeakerEncoderConfig.from_dict(d, "config_se.json")


def test_config_without_torch_spec_rejected() -> None:
    d = copy.deepcopy(CONFIG_DICT)
    d["model_params"]["use_torch_spec"] = False
    cfg = SpeakerEncoderConfig.from_dict(d, "config_se.json")
    with pytest.raises(CheckpointError, match="use_torch_spec"):
        recipe_from_config(cfg)
    with pytest.raises(CheckpointError, match="use_torch_spec"):
        ResNetSpeakerEncoder.from_config(cfg)


def test_recipe_from_dict_errors() -> None:
    d = recipe_from_config(SpeakerEncoderConfig.from_dict(CONFIG_DICT, "c")).to_dict()
    del d["window_samples"]
    with pytest.raises(BundleError, match="window_samples"):
        EmbeddingRecipe.from_dict(d)


# --------------------------------------------------------------------------------------------
# Audio loading and clip preparation
# --------------------------------------------------------------------------------------------


def _tone(seconds: float, sr: int, amp: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)


def test_text_file_named_wav_is_audio_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n")
    with pytest.raises(AudioError, match=r"notes\.wav"):
        load_audio(path)


def test_missing_and_bytes_sources(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"absent\.wav"):
        load_audio(tmp_path / "absent.wav")
    with pytest.raises(AudioError):
        load_audio(b"RIFF0000WAVEjunk")
    path = tmp_path / "tone.flac"
    sf.write(path, _tone(1.0, 22050), 22050, format="FLAC")
    raw = path.read_bytes()
    a, sr_a = load_audio(raw)
    with path.open("rb") as fh:
        b, sr_b = load_audio(fh)
    assert sr_a == sr_b == 22050 and a.dtype == np.float32 and np.array_equal(a, b)


def test_silent_audio_is_audio_error(recipe: EmbeddingRecipe, tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(32000, dtype=np.float32), 16000, subtype="PCM_16")
    samples, sr = load_audio(path)
    with pytest.raises(AudioError, match="silent"):
        prepare_clip(samples, sr, recipe, name=str(path))


def test_short_clip_is_audio_error(recipe: EmbeddingRecipe) -> None:
    with pytest.raises(AudioError, match="too short"):
        prepare_clip(_tone(0.2, 16000), 16000, recipe)
    # The golden "very short" clip is ~0.64 s; anything from 0.5 s on is accepted.
    assert prepare_clip(_tone(0.6, 22050), 22050, recipe).shape == (9600,)


def test_prepare_clip_rms_level(recipe: EmbeddingRecipe) -> None:
    out = prepare_clip(_tone(1.0, 44100, amp=0.01), 44100, recipe)
    assert out.dtype == np.float32 and out.shape == (16000,)
    assert 20 * np.log10(np.sqrt(np.mean(out.astype(np.float64) ** 2))) == pytest.approx(-27.0, abs=1e-3)
    assert rms_volume_norm(np.ones(10, np.float32), -20.0) == pytest.approx(np.full(10, 0.1), rel=1e-6)


def test_make_windows_offsets(recipe: EmbeddingRecipe) -> None:
    x = np.arange(75860, dtype=np.float32)
    w = make_windows(x, recipe)
    starts = [int(s) for s in np.linspace(0, 75860 - 40000, 10)]
    assert w.shape == (10, 40000)
    assert [int(row[0]) for row in w] == starts
    short = make_windows(np.arange(10247, dtype=np.float32), recipe)
    assert short.shape == (10, 10247) and np.all(short == short[0])


def test_mean_embedding_not_renormalised() -> None:
    e = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert np.allclose(mean_embedding(e), [0.5, 0.5])
    assert np.allclose(average_clips([np.array([1.0, 0.0]), np.array([0.0, 3.0])]), [0.5, 1.5])


def test_trim_silence_cuts_quiet_edges() -> None:
    sr = 16000
    x = np.concatenate([np.zeros(8000), _tone(1.0, sr), np.zeros(8000)]).astype(np.float32)
    y = trim_silence(x, sr, top_db=60, frame_length=400, hop_length=160)
    # Kept span is the tone plus at most about one frame of context on each side.
    assert 16000 <= y.shape[0] <= 16000 + 2 * 400
    assert np.abs(y[:100]).max() < 0.31


def test_trim_enabled_recipe(recipe: EmbeddingRecipe) -> None:
    from dataclasses import replace

    trimming = replace(recipe, do_trim_silence=True)
    x = np.concatenate([np.zeros(16000), _tone(1.0, 16000), np.zeros(16000)]).astype(np.float32)
    assert prepare_clip(x, 16000, trimming).shape[0] < 17000
    with pytest.raises(AudioError, match="too short"):
        prepare_clip(np.concatenate([np.zeros(16000), _tone(0.2, 16000)]), 16000, trimming)


def test_write_wav_atomic_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    x = _tone(0.5, 22050)
    x[0] = 1.5  # clipped
    write_wav_atomic(path, x, 22050)
    info = sf.info(path)
    assert info.samplerate == 22050 and info.subtype == "PCM_16" and info.channels == 1
    back, _ = sf.read(path, dtype="float32")
    assert back[0] == pytest.approx(32767 / 32768)
    assert np.abs(back[1:] - x[1:]).max() < 1e-4
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_embed_windows_batch_consistent(
    model: ResNetSpeakerEncoder, recipe: EmbeddingRecipe, golden_dir: Path
) -> None:
    samples, sr = load_audio(golden_dir / "ref_4.wav")
    windows = make_windows(prepare_clip(samples, sr, recipe), recipe)
    e = embed_windows(model, windows[:2])
    assert np.allclose(e[0], e[1], atol=1e-6)
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)


def test_runtime_modules_do_not_import_torch() -> None:
    src = str(Path(yourtts_onnx.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    code = (
        "import sys, yourtts_onnx.runtime.audio, yourtts_onnx.runtime.speaker_windows, "
        "yourtts_onnx.export.speaker_encoder_config; assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
