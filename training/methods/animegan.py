"""The AnimeGAN method (`animegan` recipe; docs/METHODS.md, "AnimeGAN").

Init phase: content loss only (1.5 x L1 of VGG19 conv4_4), lr 1e-4. GAN phase: G minimises
300 adv + 1.5 content + 3 gram + 10 colour; D minimises 300 [(D(a) - 1)^2 + D(G(p))^2 + D(gray a)^2
+ 0.1 D(gray smooth a)^2]; constant lr 8e-5 (G) and 1.6e-4 (D).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..losses import AnimeAdversarialLoss, ColorLoss, ContentLoss, GramStyleLoss, grayscale
from ..nets.animegan import AnimeGANConfig, AnimeGANGenerator
from ..nets.animegan_discriminator import AnimeGANDiscriminator
from ..nets.vgg import VGG19Features
from ..recipes.animegan import AnimeGANRecipe
from .base import TrainingMethod, gan_losses, optimizer_step
from .whitebox import CONTENT_LAYER

__all__ = ["AnimeGANMethod"]


class AnimeGANMethod(TrainingMethod):
    """Networks: the AnimeGAN generator and one spectral-norm discriminator."""

    needs_edge_smoothed = True
    recipe: AnimeGANRecipe

    def __init__(self, recipe: AnimeGANRecipe, dist, device: torch.device) -> None:
        super().__init__(recipe, dist, device)
        weights = recipe.weights
        self.generator = AnimeGANGenerator(config=recipe.generator).to(device)
        discriminator = AnimeGANDiscriminator(width=recipe.discriminator_width).to(device)
        self.modules = {"generator": self.generator, "discriminator": discriminator}
        self.g_model = dist.wrap(self.generator)
        self.adversarial = AnimeAdversarialLoss(
            dist.wrap(discriminator), loss_weight=weights.adversarial, gray_weight=weights.gray,
            smooth_weight=weights.smooth,
        )
        self.content = ContentLoss(loss_weight=weights.content)
        self.gram = GramStyleLoss(loss_weight=weights.gram)
        self.color = ColorLoss(loss_weight=weights.color)
        self.vgg = VGG19Features(layers=[CONTENT_LAYER]).to(device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=recipe.init_lr, betas=recipe.betas)
        self.opt_d = torch.optim.Adam(discriminator.parameters(), lr=recipe.discriminator_lr, betas=recipe.betas)
        self.optimizers = {"opt_g": self.opt_g, "opt_d": self.opt_d}

    def learning_rates(self, step: int) -> dict[str, float]:
        """Constant rates (the paper does not decay them); the content-only init phase uses init_lr."""
        if step < self.recipe.init_steps:
            return {"opt_g": self.recipe.init_lr, "opt_d": self.recipe.init_lr}
        return {"opt_g": self.recipe.lr, "opt_d": self.recipe.discriminator_lr}

    def init_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """Content loss only: G learns to reproduce the photo's VGG content before the adversary starts."""
        photo = batch["photo"]
        with torch.no_grad():
            photo_features = self.vgg(photo)[CONTENT_LAYER]
        loss = self.content(self.vgg(self.g_model(photo))[CONTENT_LAYER], photo_features)
        optimizer_step(self.opt_g, loss)
        return {"content": loss.item()}

    def gan_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        photo, anime, smooth = batch["photo"], batch["cartoon"], batch["cartoon_smooth"]
        fake = self.g_model(photo)
        with torch.no_grad():
            photo_features, gray_features = self.vgg(torch.cat([photo, grayscale(anime)]))[CONTENT_LAYER].chunk(2)
        fake_features = self.vgg(fake)[CONTENT_LAYER]
        terms = {
            "adversarial_g": self.adversarial.generator_loss(fake),
            "content": self.content(fake_features, photo_features),
            "gram": self.gram(fake_features, gray_features),
            "color": self.color(fake, photo),
        }
        generator_loss = sum(terms.values())
        optimizer_step(self.opt_g, generator_loss)

        discriminator_loss = self.adversarial.discriminator_loss(fake.detach(), anime, smooth)
        optimizer_step(self.opt_d, discriminator_loss)
        return gan_losses(terms, generator_loss, discriminator_loss)

    @classmethod
    def build_generator(cls, config: dict[str, Any]) -> nn.Module:
        return AnimeGANGenerator(config=AnimeGANConfig(**config))

    @classmethod
    def card_fields(cls, recipe: dict[str, Any], generator: nn.Module) -> dict[str, Any]:
        return {
            "architecture": "animegan_generator",
            "size_multiple": AnimeGANGenerator.size_multiple,
            # Instance norm uses whole-frame statistics: a tile would be normalised differently from the frame.
            "supports_tiling": False,
            "tile_overlap": 0,
            "postprocess": None,
        }
