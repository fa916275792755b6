"""Surface representation loss (White-box): adversarial on guided-filter-smoothed images."""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_images, check_weight
from .adversarial import LSGANLoss
from .guided_filter import guided_filter

__all__ = ["SurfaceLoss", "surface_representation"]


def surface_representation(image: torch.Tensor, *, radius: int = 5, eps: float = 0.2) -> torch.Tensor:
    """Self-guided filter of an RGB image [N, 3, H, W] in [-1, 1] (r = 5, eps = 0.2: White-box's values;
    docs/METHODS.md, "White-box and PMC")."""
    return guided_filter(image, image, radius=radius, eps=eps)


class SurfaceLoss(nn.Module):
    """LSGAN terms of the surface discriminator on surface representations.

    `discriminator` (a PatchDiscriminator over 3 channels) maps [N, 3, H, W] to patch scores.
    """

    def __init__(self, discriminator: nn.Module, *, loss_weight: float = 0.1, radius: int = 5,
                 eps: float = 0.2) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)
        self.discriminator = discriminator
        self.gan = LSGANLoss()
        self.radius, self.eps = radius, eps

    def _represent(self, image: torch.Tensor) -> torch.Tensor:
        check_images("surface input", image, channels=3)
        return surface_representation(image, radius=self.radius, eps=self.eps)

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        """fake: generator output [N, 3, H, W]; gradients reach the generator, not the discriminator's step."""
        return self.loss_weight * self.gan.generator(self.discriminator(self._represent(fake)))

    def discriminator_loss(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """fake (detached by the caller) and real cartoon [N, 3, H, W]."""
        return self.gan.discriminator(self.discriminator(self._represent(real)),
                                      self.discriminator(self._represent(fake)))
