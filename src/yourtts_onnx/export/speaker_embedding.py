"""Speaker embeddings from reference clips with the PyTorch encoder (export-time and test helper).

The same recipe runs at inference time with ONNX Runtime; only the encoder call differs.
"""

from __future__ import annotations

import numpy as np
import torch

from yourtts_onnx.export.model.speaker_encoder import ResNetSpeakerEncoder
from yourtts_onnx.runtime.speaker_windows import (
    EmbeddingRecipe,
    make_windows,
    mean_embedding,
    prepare_clip,
)


@torch.no_grad()
def embed_windows(model: ResNetSpeakerEncoder, windows: np.ndarray) -> np.ndarray:
    """L2-normalised embeddings ``[num_windows, proj_dim]`` for a ``[num_windows, L]`` batch."""
    model.eval()
    batch = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))
    return model(batch, l2_norm=True).numpy()


def embed_clip(
    model: ResNetSpeakerEncoder,
    samples: np.ndarray,
    sr: int,
    recipe: EmbeddingRecipe,
    name: str = "reference audio",
) -> np.ndarray:
    """Coqui's per-clip speaker embedding ``[proj_dim]`` (mean of L2-normalised window embeddings)."""
    clip = prepare_clip(samples, sr, recipe, name=name)
    return mean_embedding(embed_windows(model, make_windows(clip, recipe)))
