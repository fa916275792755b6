"""Differentiable guided filter (He et al.) with a box filter normalised by the box of ones (White-box)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["guided_filter", "box_filter"]


def box_filter(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over the (2r+1)^2 window, counting only in-image pixels. [N, C, H, W] -> [N, C, H, W]."""
    return F.avg_pool2d(x, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)


def guided_filter(guide: torch.Tensor, src: torch.Tensor, *, radius: int, eps: float) -> torch.Tensor:
    """Filter `src` [N, C, H, W] guided per channel by `guide` [N, C, H, W] (or [N, 1, H, W])."""
    if radius < 1 or eps <= 0:
        raise ValueError(f"guided filter needs radius >= 1 and eps > 0, got {radius}, {eps}")
    mean_i = box_filter(guide, radius)
    mean_p = box_filter(src, radius)
    cov_ip = box_filter(guide * src, radius) - mean_i * mean_p
    var_i = box_filter(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box_filter(a, radius) * guide + box_filter(b, radius)
