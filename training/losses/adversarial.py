"""Least-squares GAN loss (Mao et al.), as used by White-box and PMC."""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_weight

__all__ = ["LSGANLoss"]


class LSGANLoss(nn.Module):
    """D: 1/2 [mean((D(real) - 1)^2) + mean(D(fake)^2)];  G: mean((D(fake) - 1)^2); both times loss_weight.

    Predictions are patch maps of any shape [N, 1, h, w].
    """

    def __init__(self, *, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)

    def discriminator(self, real_pred: torch.Tensor, fake_pred: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * 0.5 * (((real_pred - 1.0) ** 2).mean() + (fake_pred**2).mean())

    def generator(self, fake_pred: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * ((fake_pred - 1.0) ** 2).mean()
