"""Voice profiles: cloning from files of any format/rate/channels, saving, loading by name or path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from runtime_helpers import embedding_error, write_tone
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime import Synthesizer, VoiceProfile, default_voices_dir, list_profiles, load_profile
from yourtts_onnx.runtime.voice_profiles import save_profile

pytest_plugins = ["runtime_fixtures"]


def test_default_voices_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("YOURTTS_ONNX_VOICES", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_voices_dir() == tmp_path / "xdg" / "yourtts-onnx" / "voices"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_voices_dir() == Path.home() / ".local" / "share" / "yourtts-onnx" / "voices"
    monkeypatch.setenv("YOURTTS_ONNX_VOICES", str(tmp_path / "env"))
    assert default_voices_dir() == tmp_path / "env"


def _write_chord(path: Path, sr: int, channels: int = 1, f0: float = 150.0, fmt: str = "WAV", **kw) -> Path:
    """A noise-free 2 s chord (f0 and 2·f0), exactly the same sound at any rate (both well under Nyquist)."""
    t = np.arange(int(2.0 * sr)) / sr
    x = 0.3 * (np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(2 * np.pi * 2 * f0 * t)) / 1.5
    sf.write(path, np.stack([x] * channels, 1) if channels > 1 else x, sr, format=fmt, **kw)
    return path


#: The same chord through any container, rate and channel count embeds (stub encoder, max-abs after L2
#: normalisation) within ≤ 7.2e-4 of the 16 kHz float original (measured: WAV 16 kHz 2.8e-5, FLAC 44.1 kHz
#: stereo 7.0e-5, OGG 22.05 kHz 5.0e-4, WAV 8 kHz stereo 7.2e-4), while a chord 10 Hz lower is 4.5e-3 away and
#: white noise 9.8e-3. 1.5e-3 separates them (cosine does not: the noise is at 0.998).
SAME_SOUND_ATOL = 1.5e-3


@pytest.mark.parametrize(
    ("fmt", "sr", "channels"),
    [("WAV", 16000, 1), ("FLAC", 44100, 2), ("OGG", 22050, 1), ("WAV", 8000, 2)],
)
def test_clone_any_format_rate_and_channels(stub_synth, tmp_path, fmt, sr, channels):
    ref = stub_synth.embed(_write_chord(tmp_path / "ref.wav", 16000, subtype="FLOAT"))
    emb = stub_synth.embed(_write_chord(tmp_path / f"clip.{fmt.lower()}", sr, channels, fmt=fmt))
    assert emb.shape == (512,) and np.all(np.isfinite(emb))
    assert embedding_error(emb, ref) <= SAME_SOUND_ATOL  # the same sound
    # negative controls through the same container: another sound fails the same check
    lower = stub_synth.embed(_write_chord(tmp_path / f"low.{fmt.lower()}", sr, channels, f0=140.0, fmt=fmt))
    assert embedding_error(lower, ref) > SAME_SOUND_ATOL
    noise = tmp_path / f"noise.{fmt.lower()}"
    x = 0.1 * np.random.default_rng(0).standard_normal(2 * sr)
    sf.write(noise, np.stack([x] * channels, 1) if channels > 1 else x, sr, format=fmt)
    assert embedding_error(stub_synth.embed(noise), ref) > SAME_SOUND_ATOL


def test_save_and_use_voice(stub_synth, tmp_path, voices_dir):
    clips = [write_tone(tmp_path / "a.wav", 1.5), write_tone(tmp_path / "b.flac", 2.5, sr=22050)]
    synth = Synthesizer.from_bundle(stub_synth.bundle.root)
    profile = synth.voices.save("alice", clips)
    assert profile.path == voices_dir / "alice.json"
    assert sorted(p.name for p in voices_dir.iterdir()) == ["alice.json", "alice.npy"]
    meta = json.loads(profile.path.read_text())
    assert meta["format"] == "yourtts-onnx-voice" and meta["dim"] == 512
    assert [s["source"] for s in meta["sources"]] == [str(c) for c in clips]
    assert meta["sources"][1]["sample_rate"] == 22050
    assert meta["sources"][0]["duration"] == pytest.approx(1.5)
    assert len(meta["sources"][0]["sha256"]) == 64
    assert meta["recipe"]["num_windows"] == 10
    assert meta["speaker_encoder_sha256"] == synth.config.files["speaker_encoder.onnx"]["sha256"]
    assert meta["created"].endswith("Z")
    np.testing.assert_array_equal(np.load(voices_dir / "alice.npy"), synth.embed(clips))

    by_name = synth.synthesize("Hello.", voice="alice", noise_scale=0, noise_scale_dp=0)
    by_path = synth.synthesize("Hello.", voice=str(profile.path), noise_scale=0, noise_scale_dp=0)
    by_wav = synth.synthesize("Hello.", speaker_wav=clips, noise_scale=0, noise_scale_dp=0)
    np.testing.assert_array_equal(by_name.samples, by_wav.samples)
    np.testing.assert_array_equal(by_path.samples, by_wav.samples)
    assert [v.name for v in list_profiles()] == ["alice"]


def test_existing_voice_is_not_overwritten(stub_synth, tmp_path, voices_dir):
    clip = write_tone(tmp_path / "a.wav", 1.0)
    synth = Synthesizer.from_bundle(stub_synth.bundle.root, voices_dir=voices_dir)
    synth.voices.save("carol", clip)
    with pytest.raises(InputError, match="already exists"):
        synth.voices.save("carol", clip)
    synth.voices.save("carol", clip, overwrite=True)
    with pytest.raises(InputError, match="built-in speaker"):
        synth.voices.save(synth.speakers[0], clip)


@pytest.mark.parametrize("name", ["", "../evil", "a/b", ".hidden", "x" * 65, "name.json"])
def test_invalid_voice_names(stub_synth, tmp_path, voices_dir, name):
    with pytest.raises(InputError, match="invalid voice name"):
        stub_synth.voices.save(name, write_tone(tmp_path / "a.wav", 1.0))
    assert not voices_dir.exists() or not any(voices_dir.iterdir())


def test_bare_npy_voice(stub_synth, tmp_path):
    path = tmp_path / "v.npy"
    np.save(path, stub_synth.voices.speaker(stub_synth.speakers[2]))
    a = stub_synth.synthesize("Hi.", voice=str(path), noise_scale=0, noise_scale_dp=0)
    b = stub_synth.synthesize("Hi.", voice=stub_synth.speakers[2], noise_scale=0, noise_scale_dp=0)
    np.testing.assert_array_equal(a.samples, b.samples)


def test_wrong_dimension_voice_is_rejected(stub_synth, tmp_path):
    save_profile(VoiceProfile(name="small", embedding=np.ones(64, dtype=np.float32)), tmp_path)
    with pytest.raises(InputError, match="512 values"):
        stub_synth.synthesize("Hi.", voice=str(tmp_path / "small.json"))


def test_unknown_voice_lists_builtin_and_saved(stub_synth, voices_dir):
    save_profile(VoiceProfile(name="dora", embedding=np.ones(512, dtype=np.float32)), voices_dir)
    with pytest.raises(InputError) as err:
        stub_synth.synthesize("Hi.", voice="nobody")
    msg = str(err.value)
    assert "unknown voice 'nobody'" in msg and "dora" in msg and stub_synth.speakers[0] in msg
    assert "\n" not in msg


def test_corrupt_profile_is_an_input_error_and_skipped_in_listing(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    assert list_profiles(tmp_path) == []
    with pytest.raises(InputError, match="cannot be read"):
        load_profile(str(tmp_path / "bad.json"))
    (tmp_path / "other.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(InputError, match="not a yourtts-onnx voice"):
        load_profile(tmp_path / "other.json")


def test_profile_write_is_atomic(tmp_path, monkeypatch):
    """A failure while writing leaves neither a partial file nor a temporary one."""

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(InputError, match="No space left"):
        save_profile(VoiceProfile(name="eve", embedding=np.ones(512, dtype=np.float32)), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_voice_service_deletes_damaged_voices(stub_synth, voices_dir):
    from yourtts_onnx.runtime import Voices

    voices = Voices(stub_synth.bundle, voices_dir)
    voices_dir.mkdir(parents=True)
    (voices_dir / "broken.json").write_text("{truncated")
    (voices_dir / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    assert voices.saved() == [] and voices.saved_names() == ["broken"]
    with pytest.raises(InputError, match="cannot be read"):
        voices.embedding("broken")
    voices.delete("broken")
    assert list(voices_dir.iterdir()) == []
    with pytest.raises(InputError, match="unknown voice 'broken'"):
        voices.delete("broken")
    with pytest.raises(InputError, match="built-in speaker"):
        voices.delete(stub_synth.speakers[0])


def test_voice_service_keeps_a_label(stub_synth, tmp_path, voices_dir):
    from yourtts_onnx.runtime import Voices

    voices = Voices(stub_synth.bundle, voices_dir)
    profile = voices.save("ann", write_tone(tmp_path / "a.wav", 1.0), label="Ann (kitchen)")
    assert voices.profile("ann").label == "Ann (kitchen)" and profile.path == voices_dir / "ann.json"
