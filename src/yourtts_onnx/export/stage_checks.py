"""Stages of a checkpoint that cannot have been trained: Coqui's initialisation leaves the flows' output
projections at exactly zero, which makes the flow the identity and (with the affine flow at zero too) the
stochastic duration predictor a constant — every token one frame at noise 0. Training moves all of them, so a
checkpoint where a whole stage is still zero is a random initialisation, not a model: verification of such a
stage proves nothing about its arithmetic, and the audio is not speech."""

from __future__ import annotations

from torch import nn

from yourtts_onnx.export.model.yourtts import YourTTS


def _all_zero(layers: list[nn.Conv1d]) -> bool:
    return bool(layers) and all(
        not layer.weight.detach().any() and (layer.bias is None or not layer.bias.detach().any())
        for layer in layers
    )


def identity_stages(model: YourTTS) -> list[str]:
    """One warning per stage whose learned projections are all zero (empty for a trained checkpoint)."""
    warnings = []
    couplings = [block.post for block in model.flow.flows if hasattr(block, "post")]
    if _all_zero(couplings):
        warnings.append(
            "flow: every coupling projection (flow.flows.*.post) is zero, so the flow is the identity — "
            "this is an untrained initialisation, not a trained model"
        )
    dp = model.duration_predictor
    splines = [flow.proj for flow in getattr(dp, "flows", []) if hasattr(flow, "proj")]
    if _all_zero(splines):
        warnings.append(
            "duration_predictor: every spline projection (duration_predictor.flows.*.proj) is zero, so its "
            "flow is the identity and durations do not depend on the text — this is an untrained "
            "initialisation, not a trained model"
        )
    return warnings
