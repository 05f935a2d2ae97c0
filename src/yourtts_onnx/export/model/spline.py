"""Inverse of the monotonic rational-quadratic spline (Durkan et al., 2019) with linear tails,
written with elementwise ops and gathers only so that it exports to ONNX.

Inputs outside ``[-tail_bound, tail_bound]`` pass through unchanged (identity tails); inside, the
bin is found by counting knots below the input instead of a sort-search.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

MIN_BIN_WIDTH = 1e-3
MIN_BIN_HEIGHT = 1e-3
MIN_DERIVATIVE = 1e-3


def _knots(unnormalized: Tensor, lower: float, upper: float, min_size: float) -> tuple[Tensor, Tensor]:
    """Softmax bin sizes → cumulative knot positions in [lower, upper] and the bin sizes."""
    num_bins = unnormalized.shape[-1]
    sizes = F.softmax(unnormalized, dim=-1)
    sizes = min_size + (1 - min_size * num_bins) * sizes
    cum = F.pad(torch.cumsum(sizes, dim=-1), (1, 0), value=0.0)
    cum = (upper - lower) * cum + lower
    # pin both ends exactly to the interval's bounds
    cum = torch.cat(
        [torch.full_like(cum[..., :1], lower), cum[..., 1:-1], torch.full_like(cum[..., :1], upper)], -1
    )
    return cum, cum[..., 1:] - cum[..., :-1]


def _pick(values: Tensor, index: Tensor) -> Tensor:
    return torch.gather(values, -1, index).squeeze(-1)


def inverse_rational_quadratic(
    inputs: Tensor,
    unnormalized_widths: Tensor,
    unnormalized_heights: Tensor,
    unnormalized_derivatives: Tensor,
    tail_bound: float,
) -> Tensor:
    """Invert the spline elementwise. ``inputs``: ``[...]``; parameters: ``[..., K]``, ``[..., K]``,
    ``[..., K-1]`` (interior derivatives; boundary derivatives are fixed so the tails join smoothly)."""
    boundary = math.log(math.exp(1 - MIN_DERIVATIVE) - 1)
    edge = torch.full_like(unnormalized_derivatives[..., :1], boundary)
    derivatives = MIN_DERIVATIVE + F.softplus(torch.cat([edge, unnormalized_derivatives, edge], dim=-1))

    cumwidths, widths = _knots(unnormalized_widths, -tail_bound, tail_bound, MIN_BIN_WIDTH)
    cumheights, heights = _knots(unnormalized_heights, -tail_bound, tail_bound, MIN_BIN_HEIGHT)

    inside = (inputs >= -tail_bound) & (inputs <= tail_bound)
    y = inputs.clamp(-tail_bound, tail_bound)

    # bin index = number of knots <= y, minus one (last knot nudged up so y == upper stays in range)
    search = torch.cat([cumheights[..., :-1], cumheights[..., -1:] + 1e-6], dim=-1)
    bin_idx = ((y.unsqueeze(-1) >= search).sum(dim=-1, keepdim=True) - 1).clamp(min=0)

    x_k = _pick(cumwidths, bin_idx)
    w_k = _pick(widths, bin_idx)
    y_k = _pick(cumheights, bin_idx)
    h_k = _pick(heights, bin_idx)
    delta = heights / widths
    s_k = _pick(delta, bin_idx)
    d_k = _pick(derivatives, bin_idx)
    d_k1 = _pick(derivatives[..., 1:], bin_idx)

    dy = y - y_k
    curvature = d_k + d_k1 - 2 * s_k
    a = dy * curvature + h_k * (s_k - d_k)
    b = h_k * d_k - dy * curvature
    c = -s_k * dy
    discriminant = (b.pow(2) - 4 * a * c).clamp(min=0)
    theta = (2 * c) / (-b - torch.sqrt(discriminant))
    outputs = theta * w_k + x_k
    return torch.where(inside, outputs, inputs)
