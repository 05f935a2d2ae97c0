"""INT8 recipes compared on HiFi-GAN alone (``vocoder.onnx``): speed against fp32 and SNR of the output.

Dynamic quantisation (``ConvInteger``), static QDQ of the convolutions only (``ConvTranspose`` then stays an
fp32 kernel between Dequantize/Quantize), static QDQ of every op, and the shipped recipe (every op, after
folding the averages and rewriting the transposed convolutions as polyphase convolutions), per-tensor and
per-channel weights. A graph-level measurement: sessions come from ``create_session``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from yourtts_onnx.bench.timing import interleaved
from yourtts_onnx.optimize.calibration import make_calibration
from yourtts_onnx.optimize.derive import vocoder_feeds
from yourtts_onnx.optimize.quantize import QUANTISED_OPS, quantize_dynamic_convs, quantize_vocoder
from yourtts_onnx.runtime.bundle import GRAPH_FLOW, GRAPH_VOCODER, Bundle
from yourtts_onnx.runtime.graph_catalog import Z
from yourtts_onnx.runtime.session import SessionOptions, create_session
from yourtts_onnx.runtime.similarity import snr_db

Progress = Callable[[str], None]

RECIPES: dict[str, dict[str, Any]] = {
    "dynamic, int8 weights per channel": {"dynamic": True, "per_channel": True, "signed": True},
    "dynamic, uint8 weights per tensor": {"dynamic": True, "per_channel": False, "signed": False},
    "static QDQ, Conv + ConvTranspose only": {"ops": ["Conv", "ConvTranspose"], "rewrite": False},
    "static QDQ, every op": {"ops": [*QUANTISED_OPS, "ConvTranspose"], "rewrite": False},
    "static QDQ, every op, polyphase, per-tensor weights": {"per_channel": False},
    "static QDQ, every op, polyphase, per-channel (shipped)": {},
}


def build_recipe(
    vocoder: onnx.ModelProto, feeds: list[dict[str, np.ndarray]], recipe: dict[str, Any]
) -> onnx.ModelProto:
    if recipe.get("dynamic"):
        return quantize_dynamic_convs(
            vocoder, per_channel=recipe["per_channel"], signed_weights=recipe["signed"]
        )
    return quantize_vocoder(
        vocoder,
        feeds,
        boundary=Z,
        op_types=recipe.get("ops"),
        per_channel=recipe.get("per_channel", True),
        rewrite=recipe.get("rewrite", True),
    )


def compare_recipes(
    fp32_bundle: Path,
    split_bundle: Path,
    z_p: np.ndarray,
    embedding: np.ndarray,
    threads: int,
    reps: int,
    progress: Progress,
) -> dict[str, Any]:
    """``z_p [1, C, F]``: a sampled latent; the vocoder input is the fp32 flow's output for it.
    ``split_bundle``: an fp32 bundle with ``flow.onnx`` and ``vocoder.onnx``."""
    split = Bundle.open(split_bundle, integrity="none")
    flow = onnx.load(str(split.graph_path(GRAPH_FLOW)))
    vocoder = onnx.load(str(split.graph_path(GRAPH_VOCODER)))
    feeds = vocoder_feeds(flow, make_calibration(Bundle.open(fp32_bundle, integrity="none")).vocoder_latents)
    (z,) = vocoder_feeds(flow, [(z_p, embedding)])
    sessions: dict[str, Any] = {}
    sizes: dict[str, int] = {}
    options = SessionOptions(threads=threads)
    for name, recipe in {"fp32": None, **RECIPES}.items():
        progress(f"  int8 recipe: {name}")
        model = vocoder if recipe is None else build_recipe(vocoder, feeds, recipe)
        data = model.SerializeToString()
        sizes[name] = len(data)
        sessions[name] = create_session(data, options, name=f"vocoder ({name})")
    outputs = {name: s.run(None, z)[0].ravel() for name, s in sessions.items()}
    stats = interleaved({n: (lambda s=s: s.run(None, z)) for n, s in sessions.items()}, reps, warmup=1)
    base = stats["fp32"].median
    return {
        "frames": int(z_p.shape[2]),
        "recipes": {
            n: {
                "seconds": st.to_dict(),
                "speedup_vs_fp32": base / st.median,
                "snr_db": snr_db(outputs["fp32"], outputs[n]),
                "bytes": sizes[n],
            }
            for n, st in stats.items()
        },
    }
