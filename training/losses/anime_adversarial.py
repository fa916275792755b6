"""AnimeGAN's adversarial terms: one discriminator that must tell anime images from generated images, from
grayscale anime images (so that G cannot win by copying colours) and from edge-smoothed anime images (so that it
learns that sharp edges are part of the style). LSGAN form, built on `LSGANLoss`.
"""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_images, check_same_shape, check_weight
from .adversarial import LSGANLoss
from .color import grayscale

__all__ = ["AnimeAdversarialLoss"]


class AnimeAdversarialLoss(nn.Module):
    """G: loss_weight * mean((D(G(p)) - 1)^2).
    D: loss_weight * [mean((D(a) - 1)^2) + mean(D(G(p))^2) + gray_weight * mean(D(gray a)^2)
                      + smooth_weight * mean(D(gray smooth a)^2)].

    `discriminator` maps [N, 3, H, W] to patch scores; grayscale images are given to it as 3 equal channels.
    Paper weights: loss_weight 300 (G and D), gray 1, smooth 0.1.
    """

    def __init__(self, discriminator: nn.Module, *, loss_weight: float = 300.0, gray_weight: float = 1.0,
                 smooth_weight: float = 0.1) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)
        self.gray_weight = check_weight(gray_weight)
        self.smooth_weight = check_weight(smooth_weight)
        self.discriminator = discriminator

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        """fake: generator output [N, 3, H, W] in [-1, 1]."""
        check_images("fake", fake, channels=3)
        return self.loss_weight * LSGANLoss.real_term(self.discriminator(fake))

    def discriminator_loss(self, fake: torch.Tensor, anime: torch.Tensor, smooth: torch.Tensor) -> torch.Tensor:
        """fake (detached by the caller), anime and its edge-smoothed version, RGB [N, 3, H, W] in [-1, 1].
        One discriminator pass over all four sets (so spectral norm updates once per step).
        """
        check_images("fake", fake, channels=3)
        check_same_shape("fake", fake, "anime", anime)
        check_same_shape("anime", anime, "smooth", smooth)
        scores = self.discriminator(torch.cat([anime, fake, grayscale(anime), grayscale(smooth)]))
        real, generated, gray, smoothed = scores.chunk(4)
        return self.loss_weight * (
            LSGANLoss.real_term(real) + LSGANLoss.fake_term(generated)
            + self.gray_weight * LSGANLoss.fake_term(gray) + self.smooth_weight * LSGANLoss.fake_term(smoothed)
        )
