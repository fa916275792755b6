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

    @staticmethod
    def real_term(pred: torch.Tensor) -> torch.Tensor:
        """mean((pred - 1)^2), unweighted: how far predictions are from "real"."""
        return ((pred - 1.0) ** 2).mean()

    @staticmethod
    def fake_term(pred: torch.Tensor) -> torch.Tensor:
        """mean(pred^2), unweighted: how far predictions are from "fake"."""
        return (pred**2).mean()

    def discriminator(self, real_pred: torch.Tensor, fake_pred: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * 0.5 * (self.real_term(real_pred) + self.fake_term(fake_pred))

    def generator(self, fake_pred: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * self.real_term(fake_pred)
