"""Bad checkpoints give one-line CheckpointErrors naming the file, field or key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from yourtts_onnx.errors import CheckpointError
from yourtts_onnx.export.checkpoint import load_checkpoint, load_torch_file

pytestmark = pytest.mark.export


@pytest.fixture()
def ckpt_copy(tmp_path: Path, live_checkpoint: Path) -> Path:
    dst = tmp_path / "ckpt"
    dst.mkdir()
    for name in ("config.json", "language_ids.json", "speakers.json", "config_se.json"):
        shutil.copy(live_checkpoint / name, dst / name)
    # the model file is large: link instead of copying where tests don't modify it
    (dst / "model_file.pth").symlink_to(live_checkpoint / "model_file.pth")
    return dst


def _one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_missing_directory(tmp_path):
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "nope")
    assert "not found" in _one_line(err)


def test_empty_directory(tmp_path):
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path)
    assert "no config.json" in _one_line(err)


def test_missing_model_file(ckpt_copy):
    (ckpt_copy / "model_file.pth").unlink()
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt_copy)
    assert "no model weights" in _one_line(err)


def test_malformed_json(ckpt_copy):
    (ckpt_copy / "config.json").write_text('{"model": "vits", ')
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt_copy)
    msg = _one_line(err)
    assert "config.json" in msg and "malformed JSON" in msg


def test_missing_config_field(ckpt_copy):
    cfg = json.loads((ckpt_copy / "config.json").read_text())
    del cfg["model_args"]["num_chars"]
    (ckpt_copy / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt_copy)
    assert "model_args.num_chars" in _one_line(err)


def test_wrong_typed_field(ckpt_copy):
    cfg = json.loads((ckpt_copy / "config.json").read_text())
    cfg["model_args"]["hidden_channels"] = "wide"
    (ckpt_copy / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt_copy)
    assert "model_args.hidden_channels" in _one_line(err)


def test_shape_mismatch_names_key_and_shapes(ckpt_copy):
    cfg = json.loads((ckpt_copy / "config.json").read_text())
    cfg["model_args"]["num_chars"] = 170
    (ckpt_copy / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt_copy)
    msg = _one_line(err)
    assert "text_encoder.emb.weight" in msg and "[165, 32]" in msg and "[170, 32]" in msg


def test_missing_key(tmp_path, ckpt_copy, live_checkpoint):
    state = torch.load(live_checkpoint / "model_file.pth", weights_only=True)
    del state["model"]["flow.flows.0.post.bias"]
    (ckpt_copy / "model_file.pth").unlink()
    torch.save(state, ckpt_copy / "model_file.pth")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt_copy)
    assert "missing key 'flow.flows.0.post.bias'" in _one_line(err)


class NeedsPickle:
    def __init__(self) -> None:
        self.value = 3


def test_pickled_objects_need_trust_flag(tmp_path):
    path = tmp_path / "model_file.pth"
    torch.save({"model": {}, "extra": NeedsPickle()}, path)
    with pytest.raises(CheckpointError) as err:
        load_torch_file(path)
    assert "--trust-checkpoint" in _one_line(err)
    assert isinstance(load_torch_file(path, trust=True)["extra"], NeedsPickle)


def test_not_a_torch_file(ckpt_copy):
    (ckpt_copy / "model_file.pth").unlink()
    (ckpt_copy / "model_file.pth").write_text("hello")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt_copy)
    assert "model_file.pth" in _one_line(err)


def test_bad_language_ids(ckpt_copy):
    (ckpt_copy / "language_ids.json").write_text(json.dumps({"en": 0, "fr-fr": 3}))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt_copy)
    assert "language ids" in _one_line(err)


def test_bad_speaker_embedding(ckpt_copy):
    data = json.loads((ckpt_copy / "speakers.json").read_text())
    first = next(iter(data))
    data[first]["embedding"] = data[first]["embedding"][:10]
    (ckpt_copy / "speakers.json").write_text(json.dumps(data))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt_copy)
    assert first in _one_line(err) and "[512]" in _one_line(err)


def test_legacy_weight_norm_keys_load(tmp_path, ckpt_copy, live_checkpoint):
    state = torch.load(live_checkpoint / "model_file.pth", weights_only=True)
    legacy = {}
    for k, v in state["model"].items():
        k = k.replace("parametrizations.weight.original0", "weight_g").replace(
            "parametrizations.weight.original1", "weight_v"
        )
        legacy[k] = v
    (ckpt_copy / "model_file.pth").unlink()
    torch.save({"model": legacy}, ckpt_copy / "model_file.pth")
    ckpt = load_checkpoint(ckpt_copy)
    assert ckpt.dropped_keys["speaker_encoder."] > 0
