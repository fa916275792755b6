"""What a training method contributes to the cartoonize task (`training.train`, on the shared loop of
`training.loop`): its networks, optimizers, steps, learning rates, and what the exporter needs to rebuild and describe
its generator."""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from torch.utils.data import Dataset

from ..data.cartoonize.dataset import CartoonizeDataset
from ..distributed import Distributed
from ..recipes import AnimeGANRecipe, CartoonRecipe, Recipe, SemanticRecipe

__all__ = ["TrainingMethod", "halved_linear_decay"]


def optimizer_step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One descent step of `optimizer` on `loss` (gradients cleared first)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def gan_losses(terms: dict[str, torch.Tensor], generator: torch.Tensor,
               discriminator: torch.Tensor) -> dict[str, float]:
    """The loss-log record of one GAN step: every generator term, then both totals."""
    logged = {name: value.item() for name, value in terms.items()}
    logged.update(generator=generator.item(), discriminator=discriminator.item())
    return logged


def halved_linear_decay(recipe: CartoonRecipe | AnimeGANRecipe | SemanticRecipe, step: int, rate: float) -> float:
    """Init phase: recipe.init_lr. GAN phase: `rate` for its first half, then linear decay to 0 (White-box, PMC)."""
    if step < recipe.init_steps:
        return recipe.init_lr
    gan_step = step - recipe.init_steps
    half = recipe.gan_steps / 2
    if gan_step < half:
        return rate
    return rate * max(0.0, 1.0 - (gan_step - half) / max(half, 1.0))


class TrainingMethod(ABC):
    """One method's part of a training run.

    Subclasses build, in `__init__`, `generator` (unwrapped), `g_model` (the generator as trained, DDP-wrapped
    when distributed), `opt_g`, and the dicts `modules` and `optimizers` that checkpoints save by name.
    """

    #: The dataset items must include `cartoon_smooth` (AnimeGAN's edge-smoothed cartoons).
    needs_edge_smoothed: ClassVar[bool] = False
    #: Recipe fields that must not change when a run resumes.
    fixed_fields: ClassVar[tuple[str, ...]] = ("name", "generator", "weights", "crop_size", "batch_size")

    generator: nn.Module
    g_model: nn.Module
    opt_g: torch.optim.Optimizer
    modules: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]

    def __init__(self, recipe: Recipe, dist: Distributed, device: torch.device) -> None:
        self.recipe, self.dist, self.device = recipe, dist, device

    @classmethod
    def dataset(cls, recipe: Recipe, data_root: Path, *, split: str, length: int) -> Dataset:
        """The training (or, for sample sheets, test) items this method's steps take."""
        return CartoonizeDataset(
            data_root, split=split, crop_size=recipe.crop_size,
            real_pair_prob=recipe.real_pair_prob if split == "train" else 0.0, length=length, seed=recipe.seed,
            content_scale=recipe.content_scale, edge_smoothed=cls.needs_edge_smoothed and split == "train",
        )

    def prepare(self, train_data: Dataset) -> None:
        """Called once the training data exists, before a checkpoint is restored (e.g. to fit fixed targets)."""

    def learning_rates(self, step: int) -> dict[str, float]:
        """Learning rate of every optimizer (by name) at `step`."""
        rate = halved_linear_decay(self.recipe, step, self.recipe.lr)
        return {name: rate for name in self.optimizers}

    def train_step(self, step: int, batch: dict[str, torch.Tensor]) -> tuple[str, dict[str, float]]:
        """One optimisation step at `step`: the phase's name and the losses to log. Default: the init phase's
        reconstruction for the first `init_steps` steps, then GAN steps."""
        if step < self.recipe.init_steps:
            return "init", self.init_step(batch)
        return "gan", self.gan_step(batch)

    def init_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """The init phase: reconstruction L1(G(x), x) (White-box, PMC)."""
        photo = batch["photo"]
        loss = (self.g_model(photo) - photo).abs().mean()
        optimizer_step(self.opt_g, loss)
        return {"reconstruction": loss.item()}

    @abstractmethod
    def gan_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """One generator step then one discriminator step; returns the losses to log."""

    def inference(self, photos: torch.Tensor) -> torch.Tensor:
        """The output as the exported model and the engine produce it (for the sample sheets)."""
        return self.generator(photos)

    @classmethod
    @abstractmethod
    def build_generator(cls, config: dict[str, Any]) -> nn.Module:
        """The generator from the recipe's `generator` field as saved in JSON metadata."""

    @classmethod
    @abstractmethod
    def card_fields(cls, recipe: dict[str, Any], generator: nn.Module) -> dict[str, Any]:
        """Model-card fields of this method's exported generator: architecture, size_multiple, supports_tiling,
        tile_overlap, postprocess, and optionally data_kinds (the dataset kinds the card lists as sources, default
        all) and distilled_from (the teacher a distilled model learned)."""
