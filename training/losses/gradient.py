"""Image-gradient L1 loss: keeps the ink lines and the hard region borders of a distillation target."""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_images, check_same_shape, check_weight

__all__ = ["GradientLoss"]


class GradientLoss(nn.Module):
    """loss_weight * mean |d output - d target| over horizontal and vertical finite differences.

    A plain L1 on pixels lets a student blur a one-pixel line into its neighbours at little cost; the difference
    of gradients charges the full contrast of the line twice (its rising and falling edge).
    forward(output, target): [N, C, H, W] each, H and W >= 2.
    """

    def __init__(self, *, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_images("output", output)
        check_same_shape("output", output, "target", target)
        if output.shape[-1] < 2 or output.shape[-2] < 2:
            raise ValueError(f"the gradient loss needs at least 2 x 2 pixels, got {tuple(output.shape[-2:])}")
        rows = output.diff(dim=-2) - target.diff(dim=-2)
        cols = output.diff(dim=-1) - target.diff(dim=-1)
        return self.loss_weight * (rows.abs().mean() + cols.abs().mean())
