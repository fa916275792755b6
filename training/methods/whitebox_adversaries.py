"""White-box's two patch adversaries (surface: the 3-channel guided-filtered image, texture: the 1-channel random
colour shift), their losses and their shared optimizer. The `pmc` / `whitebox` and `semantic` methods both use them."""
from __future__ import annotations

import torch
from torch import nn

from ..losses import SurfaceLoss, TextureLoss
from ..nets.discriminator import PatchDiscriminator
from .base import optimizer_step

__all__ = ["WhiteBoxAdversaries"]


class WhiteBoxAdversaries:
    """Build with the loss weights, the discriminators' width and whether their last conv is spectral-normalised.

    `modules` holds the discriminators under the checkpoint names `surface_d` / `texture_d`; `optimizer` is the
    methods' `opt_d`."""

    def __init__(self, *, surface_weight: float, texture_weight: float, width: int, spectral_head: bool,
                 lr: float, betas: tuple[float, float], dist, device: torch.device) -> None:
        surface_d = PatchDiscriminator(in_channels=3, width=width, spectral_head=spectral_head).to(device)
        texture_d = PatchDiscriminator(in_channels=1, width=width, spectral_head=spectral_head).to(device)
        self.modules: dict[str, nn.Module] = {"surface_d": surface_d, "texture_d": texture_d}
        self.surface = SurfaceLoss(dist.wrap(surface_d), loss_weight=surface_weight)
        self.texture = TextureLoss(dist.wrap(texture_d), loss_weight=texture_weight)
        self.optimizer = torch.optim.Adam([*surface_d.parameters(), *texture_d.parameters()], lr=lr, betas=betas)

    def generator_terms(self, output: torch.Tensor) -> dict[str, torch.Tensor]:
        """G's adversarial terms on its output [N, 3, H, W] in [-1, 1], under their loss-log names."""
        return {"surface_g": self.surface.generator_loss(output), "texture_g": self.texture.generator_loss(output)}

    def discriminator_step(self, output: torch.Tensor, cartoon: torch.Tensor) -> torch.Tensor:
        """One step of both discriminators on G's output (detached here) against cartoons; returns their loss."""
        fake = output.detach()
        loss = self.surface.discriminator_loss(fake, cartoon) + self.texture.discriminator_loss(fake, cartoon)
        optimizer_step(self.optimizer, loss)
        return loss
