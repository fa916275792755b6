"""Texture representation loss (White-box): adversarial on randomly colour-shifted grayscale images."""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_images, check_weight
from .adversarial import LSGANLoss

__all__ = ["TextureLoss", "random_color_shift"]

# Ranges of the per-channel weights (White-box reference code).
_WEIGHT_LOW = (0.199, 0.487, 0.014)
_WEIGHT_HIGH = (0.399, 0.687, 0.214)


def random_color_shift(*images: torch.Tensor, generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """Project RGB images [N, 3, H, W] to one channel [N, 1, H, W] with ONE random draw of channel weights
    shared by all the given images: out = sum_c w_c x_c / sum_c w_c.
    """
    for index, image in enumerate(images):
        check_images(f"image {index}", image, channels=3)
    low = torch.tensor(_WEIGHT_LOW)
    high = torch.tensor(_WEIGHT_HIGH)
    weights = low + (high - low) * torch.rand(3, generator=generator)
    weights = (weights / weights.sum()).to(images[0]).view(1, 3, 1, 1)
    return [(image * weights).sum(dim=1, keepdim=True) for image in images]


class TextureLoss(nn.Module):
    """LSGAN terms of the texture discriminator (1 input channel) on colour-shifted grayscale images."""

    def __init__(self, discriminator: nn.Module, *, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)
        self.discriminator = discriminator
        self.gan = LSGANLoss()

    def generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        """fake: generator output [N, 3, H, W]."""
        (gray,) = random_color_shift(fake)
        return self.loss_weight * self.gan.generator(self.discriminator(gray))

    def discriminator_loss(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """fake (detached) and real cartoon [N, 3, H, W], shifted by the same draw."""
        fake_gray, real_gray = random_color_shift(fake, real)
        return self.gan.discriminator(self.discriminator(real_gray), self.discriminator(fake_gray))
