"""Spatially-adaptive semantic alignment (SSA), Liu et al. AAAI 2022, eq. 1-3.

For every position i of the skip features f, attend over the R x R window of the upsampled decoder map g around i:
z_ij = f_i . g_j, a = softmax_j(z), r_i = sum_j a_ij g_j. As in the reference code: raw dot products (no scaling,
no projection), values = keys, out-of-image neighbours are zero vectors (logit 0). The module has no parameters.

Written as R*R shifted slices of a zero-padded g instead of unfold/im2col so that it exports to plain ONNX
(Pad + Slice + Mul + ReduceSum + Softmax) and never materialises a C x R^2 x H x W tensor.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["SpatiallyAdaptiveAlignment"]


class SpatiallyAdaptiveAlignment(nn.Module):
    """Local attention of `query` over `keys` in an R x R window.

    query, keys: [N, C, H, W] (same shape). Returns the aligned map [N, C, H, W] (the skip is added by the caller).
    """

    def __init__(self, *, window: int = 3) -> None:
        super().__init__()
        if window < 1 or window % 2 == 0:
            raise ValueError(f"SSA window must be a positive odd number, got {window}")
        self.window = window

    def forward(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        if query.shape != keys.shape:
            raise ValueError(f"SSA query {tuple(query.shape)} and keys {tuple(keys.shape)} differ")
        radius = self.window // 2
        height, width = keys.shape[-2:]
        padded = F.pad(keys, (radius, radius, radius, radius))
        shifted = [
            padded[:, :, dy : dy + height, dx : dx + width] for dy in range(self.window) for dx in range(self.window)
        ]
        logits = torch.stack([(query * g).sum(dim=1) for g in shifted], dim=1)  # [N, R*R, H, W]
        attention = torch.softmax(logits, dim=1)
        aligned = attention[:, 0:1] * shifted[0]
        for index in range(1, len(shifted)):
            aligned = aligned + attention[:, index : index + 1] * shifted[index]
        return aligned
