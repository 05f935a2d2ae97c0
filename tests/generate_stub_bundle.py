"""Regenerate ``tests/data/stub_bundle/``: a tiny random-weight bundle for fast runtime, CLI and server tests.

    .venv/bin/python tests/generate_stub_bundle.py            # needs the 'export' extra (torch, onnx)

The stub is a real export through :func:`yourtts_onnx.export.bundle_writer.export_bundle` (so it follows
the bundle contract exactly: every graph, one shared ``weights.bin``, receptive fields, metadata, hashes) of
a "micro" YourTTS with random weights: hidden width 8, one layer everywhere, and the deterministic duration
predictor instead of the stochastic one (whose 192-channel flows alone would weigh ~3 MB; its graph still
takes ``dp_noise``, unused). Its speech is noise; only shapes, names and plumbing matter.

The speaker encoder of real bundles is ~33 MB, so the stub's checkpoint carries a *micro* ResNet encoder
(16 mels, 128-point FFT, 8 filters per stage: ``model_params.layers``/``num_filters`` in its
``config_se.json``) with the same graph interface; it is exported with the rest, metadata included.
Cloning *accuracy* is tested against a real export of the reference checkpoint; the stub tests the cloning
*pipeline* (files, errors, profiles).

Deterministic: a fixed seed. The model is small, so everything runs in a few seconds on a CPU.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch

from yourtts_onnx.export.bundle_writer import export_bundle
from yourtts_onnx.export.checkpoint_config import YourTTSConfig
from yourtts_onnx.export.model.speaker_encoder import ResNetSpeakerEncoder
from yourtts_onnx.export.random_checkpoint import (
    YOURTTS_LANGUAGES,
    ModelSize,
    coqui_config,
    random_speakers,
    random_yourtts,
    speaker_encoder_config,
    vocabulary_size,
)
from yourtts_onnx.export.speaker_encoder_config import SpeakerEncoderConfig
from yourtts_onnx.runtime.bundle import CONFIG_NAME, Bundle

OUT = Path(__file__).resolve().parent / "data" / "stub_bundle"
SEED = 20240601
MICRO = ModelSize(
    hidden=8, ffn=16, heads=2, encoder_layers=1, posterior_layers=1, flow_layers=1, decoder_channels=16
)
SE_LAYERS = (1, 1, 1, 1)
SE_FILTERS = (8, 8, 8, 8)


def micro_config() -> dict:
    config = coqui_config(MICRO, vocabulary_size())
    config["run_name"] = "yourtts-onnx-stub"
    config["model_args"]["use_sdp"] = False
    return config


def micro_speaker_encoder_config() -> dict:
    config = speaker_encoder_config()
    config["model_params"].update(input_dim=16, layers=list(SE_LAYERS), num_filters=list(SE_FILTERS))
    config["audio"].update({"num_mels": 16, "fft_size": 128, "win_length": 128})
    return config


def write_checkpoint(directory: Path) -> None:
    config_dict = micro_config()
    config = YourTTSConfig.from_dict(config_dict, "<stub config>")
    model = random_yourtts(config, len(YOURTTS_LANGUAGES), SEED)
    (directory / "config.json").write_text(
        json.dumps(config_dict, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    (directory / "language_ids.json").write_text(
        json.dumps({name: i for i, name in enumerate(YOURTTS_LANGUAGES)}), encoding="utf-8"
    )
    (directory / "speakers.json").write_text(json.dumps(random_speakers(3, 512, SEED)), encoding="utf-8")
    torch.save({"model": model.state_dict(), "config": config_dict, "step": 0}, directory / "model_file.pth")
    se_dict = micro_speaker_encoder_config()
    se_config = SpeakerEncoderConfig.from_dict(se_dict, "<stub config_se>")
    torch.manual_seed(SEED + 1)
    encoder = ResNetSpeakerEncoder.from_config(se_config).eval()
    (directory / "config_se.json").write_text(json.dumps(se_dict, indent=2), encoding="utf-8")
    torch.save({"model": encoder.state_dict(), "config": se_dict, "step": 0}, directory / "model_se.pth")


def generate(out: Path = OUT) -> Path:
    with tempfile.TemporaryDirectory(prefix="stub-ckpt-") as tmp:
        ckpt = Path(tmp) / "checkpoint"
        ckpt.mkdir()
        write_checkpoint(ckpt)
        staged = Path(tmp) / "bundle"
        export_bundle(ckpt, staged, progress=lambda msg: print(msg, file=sys.stderr))
        cfg_path = staged / CONFIG_NAME
        raw = json.loads(cfg_path.read_text(encoding="utf-8"))
        raw["model"]["note"] = (
            "test stub: random micro weights, speech is noise (tests/generate_stub_bundle.py)"
        )
        cfg_path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        Bundle.open(staged)  # the result must open and pass its own hash check
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, out)
        out.chmod(0o755)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"bundle directory (default {OUT})")
    args = parser.parse_args()
    out = generate(args.out)
    total = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {out} ({total / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
