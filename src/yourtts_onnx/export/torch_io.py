"""Reading PyTorch checkpoint files safely and loading state dicts strictly, with one-line errors."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from yourtts_onnx.errors import CheckpointError

TRUST_FLAG = "--trust-checkpoint"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_torch_file(path: str | Path, *, trust: bool = False) -> Any:
    """``torch.load`` on CPU with ``weights_only=True`` unless the user explicitly trusts the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: file not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=not trust)
    except pickle.UnpicklingError as exc:
        if trust:
            raise CheckpointError(f"{path}: cannot unpickle ({_first_line(exc)})") from None
        raise CheckpointError(
            f"{path}: needs full unpickling, which can run arbitrary code; "
            f"pass {TRUST_FLAG} only if you trust this file"
        ) from None
    except Exception as exc:  # torch raises many types for a file that is not a checkpoint
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({_first_line(exc)})") from None


def extract_state_dict(obj: Any, source: str | Path) -> dict[str, torch.Tensor]:
    """The state dict of a Coqui checkpoint (``{"model": state_dict, ...}``) or a bare state dict."""
    state = obj.get("model", obj) if isinstance(obj, Mapping) else None
    if not isinstance(state, Mapping) or not state:
        raise CheckpointError(f"{source}: expected a state dict (or a dict with a 'model' state dict)")
    return dict(state)


def load_state_strict(model: torch.nn.Module, state: Mapping[str, Any], source: str | Path) -> None:
    """``load_state_dict(strict=True)`` with errors that name the offending key and both shapes."""
    expected = model.state_dict()
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{source}: key '{key}' holds a {type(value).__name__}, not a tensor")
    mismatched = [
        (k, list(state[k].shape), list(v.shape))
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]

    def more(items: list[Any]) -> str:
        return f" (and {len(items) - 1} more)" if len(items) > 1 else ""

    if mismatched:
        k, got, want = mismatched[0]
        raise CheckpointError(
            f"{source}: key '{k}' has shape {got}, the model expects {want}{more(mismatched)}"
        )
    if missing:
        raise CheckpointError(
            f"{source}: missing key '{missing[0]}' with shape {list(expected[missing[0]].shape)}{more(missing)}"
        )
    if unexpected:
        raise CheckpointError(
            f"{source}: unexpected key '{unexpected[0]}' with shape {list(state[unexpected[0]].shape)}"
            f"{more(unexpected)}"
        )
    model.load_state_dict(dict(state), strict=True)
