"""The semantic-aware method (`semantic` recipe, Bai; docs/METHODS.md, "Semantic-aware style transfer").

Init phase: reconstruction L1(G(x), x). GAN phase: G minimises surface + texture adversarial terms (White-box's
representations, reused) + TV + content + the semantic loss ||Seg(G(I)) - Seg(I)||; the surface and texture
PatchGANs have spectral norm after every conv but the last. Without a `segmenter` argument the semantic loss uses
`VGGClusterSegmenter` fitted on the first training photos (a substitution for the paper's pretrained segmentation
network, which cannot be installed offline; see training/nets/segmenter.py).
"""
from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn

from ..data.cartoonize.dataset import CartoonizeDataset
from ..losses import ContentLoss, SemanticLoss, TotalVariationLoss
from ..nets.segmenter import Segmenter, VGGClusterSegmenter
from ..nets.unet import UNetConfig, UNetGenerator
from ..nets.vgg import VGG19Features
from ..recipes.semantic import SemanticRecipe
from .base import TrainingMethod, gan_losses, optimizer_step
from .whitebox_adversaries import WhiteBoxAdversaries
from .whitebox import CONTENT_LAYER

__all__ = ["SemanticMethod"]

log = logging.getLogger(__name__)


class _Tensors(nn.Module):
    """Checkpoint handle for tensors owned elsewhere: its state is those tensors, restored in place."""

    def __init__(self, **tensors: torch.Tensor) -> None:
        super().__init__()
        for name, tensor in tensors.items():
            self.register_buffer(name, tensor)


class SemanticMethod(TrainingMethod):
    """Networks: the U-Net generator and two PatchGANs (surface 3 ch, texture 1 ch); a frozen segmenter."""

    recipe: SemanticRecipe

    def __init__(self, recipe: SemanticRecipe, dist, device: torch.device, segmenter: Segmenter | None = None) -> None:
        super().__init__(recipe, dist, device)
        weights = recipe.weights
        self.generator = UNetGenerator(config=recipe.generator).to(device)
        self.adversaries = WhiteBoxAdversaries(
            surface_weight=weights.surface, texture_weight=weights.texture, width=recipe.discriminator_width,
            spectral_head=False, lr=recipe.lr, betas=recipe.betas, dist=dist, device=device,
        )
        self.modules = {"generator": self.generator, **self.adversaries.modules}
        self.g_model = dist.wrap(self.generator)
        self.content = ContentLoss(loss_weight=weights.content)
        self.total_variation = TotalVariationLoss(loss_weight=weights.total_variation)
        self.vgg = VGG19Features(layers=[CONTENT_LAYER]).to(device)
        self.user_segmenter = segmenter
        self.semantic: SemanticLoss | None = None  # built in prepare(), once the default segmenter can be fitted
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=recipe.init_lr, betas=recipe.betas)
        self.optimizers = {"opt_g": self.opt_g, "opt_d": self.adversaries.optimizer}

    def prepare(self, train_data: CartoonizeDataset) -> None:
        segmenter = self.user_segmenter
        if segmenter is None:
            count = min(self.recipe.segment_fit_images, len(train_data))
            photos = torch.stack([train_data[i]["photo"] for i in range(count)]).to(self.device)
            segmenter = VGGClusterSegmenter.fit(
                photos, clusters=self.recipe.segment_clusters, temperature=self.recipe.segment_temperature,
                seed=self.recipe.seed,
            )
            # Saved with the run, so a resumed run (on any device) keeps exactly these centres.
            self.modules["segment_centres"] = _Tensors(centres=segmenter.centres)
            log.info("semantic loss: VGG19 relu4_1 clusters fitted on %d training photos", count)
        elif isinstance(segmenter, nn.Module):
            segmenter = segmenter.to(self.device)
        self.semantic = SemanticLoss(segmenter, loss_weight=self.recipe.weights.semantic)

    def gan_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        if self.semantic is None:
            raise RuntimeError("SemanticMethod.prepare() must run before the GAN phase")
        photo, cartoon = batch["photo"], batch["cartoon"]
        output = self.g_model(photo)
        with torch.no_grad():
            photo_features = self.vgg(photo)[CONTENT_LAYER]
        terms = {
            "content": self.content(self.vgg(output)[CONTENT_LAYER], photo_features),
            "semantic": self.semantic(output, photo),
            "total_variation": self.total_variation(output),
            **self.adversaries.generator_terms(output),
        }
        generator_loss = sum(terms.values())
        optimizer_step(self.opt_g, generator_loss)

        discriminator_loss = self.adversaries.discriminator_step(output, cartoon)
        return gan_losses(terms, generator_loss, discriminator_loss)

    @classmethod
    def build_generator(cls, config: dict[str, Any]) -> nn.Module:
        return UNetGenerator(config=UNetConfig(**config))

    @classmethod
    def card_fields(cls, recipe: dict[str, Any], generator: nn.Module) -> dict[str, Any]:
        return {
            "architecture": "unet_generator",
            "size_multiple": generator.size_multiple,
            "supports_tiling": True,
            # Zero-padded convs only; the receptive field at depth 3 reaches about 80 px, and the engine's overlap
            # blend hides the remaining error at tile seams.
            "tile_overlap": 64,
            "postprocess": None,
        }
