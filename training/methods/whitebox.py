"""The White-box / PMC method (`pmc`, `whitebox` recipes; docs/METHODS.md, "White-box and PMC"): surface and texture
adversaries, structure, content and TV terms, and for `pmc` the perceptual motion consistency loss."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..losses import (
    ContentLoss,
    MotionConsistencyLoss,
    StructureLoss,
    TotalVariationLoss,
    superpixel_target,
)
from ..losses.guided_filter import guided_filter
from ..nets.generator import CartoonGenerator, GeneratorConfig
from ..nets.vgg import VGG19Features
from ..recipes.cartoon import CartoonRecipe
from .base import TrainingMethod, gan_losses, optimizer_step
from .whitebox_adversaries import WhiteBoxAdversaries

__all__ = ["WhiteBoxMethod", "CONTENT_LAYER"]

CONTENT_LAYER = "conv4_4"
# White-box's inference post-filter (docs/METHODS.md, "White-box and PMC", "Inference filter")
_INFERENCE_FILTER = {"radius": 1, "eps": 5e-3}


class WhiteBoxMethod(TrainingMethod):
    """Networks: the SSA / Baseline generator and two spectral-norm patch discriminators (surface, texture)."""

    recipe: CartoonRecipe

    def __init__(self, recipe: CartoonRecipe, dist, device: torch.device) -> None:
        super().__init__(recipe, dist, device)
        self.generator = CartoonGenerator(config=recipe.generator).to(device)
        self.adversaries = WhiteBoxAdversaries(
            surface_weight=recipe.weights.surface, texture_weight=recipe.weights.texture,
            width=recipe.discriminator_width, spectral_head=True, lr=recipe.lr, betas=recipe.betas,
            dist=dist, device=device,
        )
        self.modules = {"generator": self.generator, **self.adversaries.modules}
        self.g_model = dist.wrap(self.generator)
        self.content = ContentLoss(loss_weight=recipe.weights.content)
        self.structure = StructureLoss(loss_weight=recipe.weights.structure)
        self.total_variation = TotalVariationLoss(loss_weight=recipe.weights.total_variation)
        self.motion = MotionConsistencyLoss(loss_weight=recipe.weights.motion, queries=recipe.motion_queries)
        layers = [CONTENT_LAYER, *(recipe.motion_layers if recipe.uses_motion else ())]
        self.vgg = VGG19Features(layers=layers).to(device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=recipe.init_lr, betas=recipe.betas)
        self.optimizers = {"opt_g": self.opt_g, "opt_d": self.adversaries.optimizer}

    def _filtered(self, photo: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        """G's output as the losses see it: guided-filtered by the photo when the recipe says so (White-box)."""
        if self.recipe.output_filter is None:
            return output
        radius, eps = self.recipe.output_filter
        return guided_filter(photo, output, radius=radius, eps=eps)

    def inference(self, photos: torch.Tensor) -> torch.Tensor:
        return self._filtered(photos, self.generator(photos))

    def gan_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        recipe = self.recipe
        photo, cartoon = batch["photo"], batch["cartoon"]
        if recipe.uses_motion:
            inputs = torch.cat([photo, batch["photo_next"]])
            outputs = self._filtered(inputs, self.g_model(inputs))
            output = outputs[: len(photo)]
        else:
            output = self._filtered(photo, self.g_model(photo))
        structure_image = superpixel_target(photo, output, segments=recipe.superpixel_segments)
        with torch.no_grad():
            fixed_inputs = [photo, structure_image] + ([batch["photo_next"]] if recipe.uses_motion else [])
            fixed = self.vgg(torch.cat(fixed_inputs))
        live = self.vgg(outputs if recipe.uses_motion else output)
        size = len(photo)

        def part(features: dict[str, torch.Tensor], index: int) -> dict[str, torch.Tensor]:
            return {name: value[index * size : (index + 1) * size] for name, value in features.items()}

        photo_f, structure_f, output_f = part(fixed, 0), part(fixed, 1), part(live, 0)
        terms = {
            "content": self.content(output_f[CONTENT_LAYER], photo_f[CONTENT_LAYER]),
            "structure": self.structure(output_f[CONTENT_LAYER], structure_f[CONTENT_LAYER]),
            "total_variation": self.total_variation(output),
            **self.adversaries.generator_terms(output),
        }
        if recipe.uses_motion:
            layers = recipe.motion_layers
            pick = lambda features: {name: features[name] for name in layers}  # noqa: E731
            terms["motion"] = self.motion(pick(photo_f), pick(part(fixed, 2)), pick(output_f), pick(part(live, 1)))
        generator_loss = sum(terms.values())
        optimizer_step(self.opt_g, generator_loss)

        discriminator_loss = self.adversaries.discriminator_step(output, cartoon)
        return gan_losses(terms, generator_loss, discriminator_loss)

    @classmethod
    def build_generator(cls, config: dict[str, Any]) -> nn.Module:
        return CartoonGenerator(config=GeneratorConfig(**config))

    @classmethod
    def card_fields(cls, recipe: dict[str, Any], generator: nn.Module) -> dict[str, Any]:
        return {
            "architecture": "ssa_generator" if recipe["generator"]["use_ssa"] else "whitebox_generator",
            "size_multiple": CartoonGenerator.size_multiple,
            "supports_tiling": True,
            # Receptive field of two stride-2 stages, 4 residual blocks and 7x7 ends: well under 64 px at full res.
            "tile_overlap": 32,
            # Trained with the filter in the loop: the engine applies White-box's inference filter after the network.
            "postprocess": {"guided_filter": dict(_INFERENCE_FILTER)} if recipe.get("output_filter") else None,
        }
