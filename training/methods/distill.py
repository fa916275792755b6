"""Distillation (recipes `cel`, `comic` and their lite twins): the generator regresses a teacher style's targets
with a pixel and a gradient L1, plus the temporal terms the per-frame teacher lacks: the flow-warped short-term
loss on the pair's outputs and, optionally, PMC on their VGG19 features. No adversary, no reconstruction phase."""
from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..data.cartoonize.distill_dataset import DistillDataset
from ..losses import FlowWarpLoss, GradientLoss, MotionConsistencyLoss
from ..nets.generator import CartoonGenerator, GeneratorConfig
from ..nets.vgg import VGG19Features
from ..recipes.distill import DistillRecipe
from ..teacher import get_style
from ..teacher.differentiable_finish import DifferentiableFinish
from .base import TrainingMethod, optimizer_step

__all__ = ["DistillMethod", "REGION_FLATTEN"]

#: The post-filter every distilled card names (engine/region_flatten.py): the teacher's regions are wider than the
#: generator sees, so the engine spreads each region's colour after the network. Chosen by PSNR to the teacher on the
#: training photos (docs/TRAINING.md, "Flattening the output across whole regions").
REGION_FLATTEN = {"sigma_spatial": 60.0, "sigma_color": 0.15}


class DistillMethod(TrainingMethod):
    """Networks: the generator only. Dataset: `DistillDataset` over a `bootstrap-distill` folder."""

    recipe: DistillRecipe
    fixed_fields = ("name", "style", "generator", "weights", "crop_size", "batch_size", "stable_targets",
                    "input_noise", "ink_in_engine", "tones_in_engine", "temporal_on_finish", "chroma_in_engine")

    def __init__(self, recipe: DistillRecipe, dist, device: torch.device) -> None:
        super().__init__(recipe, dist, device)
        self.generator = CartoonGenerator(config=recipe.generator).to(device)
        self.g_model = dist.wrap(self.generator)
        self.gradient = GradientLoss(loss_weight=recipe.weights.gradient)
        self.temporal = FlowWarpLoss(loss_weight=recipe.weights.temporal)
        self.motion = MotionConsistencyLoss(loss_weight=recipe.weights.motion, queries=recipe.motion_queries)
        self.vgg = VGG19Features(layers=recipe.motion_layers).to(device) if recipe.weights.motion > 0 else None
        uses_finish = recipe.temporal_on_finish or recipe.weights.finish > 0
        style = get_style(recipe.style)
        if recipe.chroma_in_engine:
            style = style.chroma_lift_only()
        self.finish = DifferentiableFinish(style) if uses_finish else None
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=recipe.lr, betas=recipe.betas)
        self.modules = {"generator": self.generator}
        self.optimizers = {"opt_g": self.opt_g}

    @classmethod
    def dataset(cls, recipe: DistillRecipe, data_root: Path, *, split: str, length: int) -> DistillDataset:
        return DistillDataset(data_root, style=recipe.target_style, split=split, crop_size=recipe.crop_size,
                              real_pair_prob=recipe.real_pair_prob if split == "train" else 0.0, length=length,
                              seed=recipe.seed, stable_targets=recipe.stable_targets and split == "train",
                              input_noise=recipe.input_noise if split == "train" else 0.0)

    def learning_rates(self, step: int) -> dict[str, float]:
        recipe = self.recipe
        progress = min(step / max(recipe.steps, 1), 1.0)
        floor = recipe.final_lr_fraction
        return {"opt_g": recipe.lr * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress)))}

    def train_step(self, step: int, batch: dict[str, torch.Tensor]) -> tuple[str, dict[str, float]]:
        weights = self.recipe.weights
        photos = torch.cat([batch["photo"], batch["photo_next"]])
        targets = torch.cat([batch["target"], batch["target_next"]])
        outputs = self.g_model(photos)
        finished = self.finish(outputs) if self.finish is not None else None
        temporal_pair = (finished if self.recipe.temporal_on_finish else outputs).chunk(2)
        terms = {
            "pixel": weights.pixel * (outputs - targets).abs().mean(),
            "gradient": self.gradient(outputs, targets),
            "temporal": self.temporal(*temporal_pair, batch["flow"], batch["valid"]),
        }
        if weights.finish > 0:
            with torch.no_grad():
                finished_targets = self.finish(targets)
            terms["finish"] = weights.finish * (finished - finished_targets).abs().mean()
        if self.vgg is not None:
            batch_size = len(photos) // 2
            pairs = batch_size if self.recipe.motion_pairs is None else min(self.recipe.motion_pairs, batch_size)
            seen = torch.cat([torch.arange(pairs), batch_size + torch.arange(pairs)])
            with torch.no_grad():
                photo_features = self.vgg(photos[seen])
            output_features = self.vgg(outputs[seen])
            halves = [{name: value.chunk(2)[index] for name, value in features.items()}
                      for features in (photo_features, output_features) for index in (0, 1)]
            terms["motion"] = self.motion(*halves)
        loss = sum(terms.values())
        optimizer_step(self.opt_g, loss)
        return "distill", {**{name: value.item() for name, value in terms.items()}, "total": loss.item()}

    def gan_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        raise TypeError("distillation has no GAN phase; the trainer calls train_step")

    @classmethod
    def build_generator(cls, config: dict[str, Any]) -> nn.Module:
        return CartoonGenerator(config=GeneratorConfig(**config))

    @classmethod
    def card_fields(cls, recipe: dict[str, Any], generator: nn.Module) -> dict[str, Any]:
        style = get_style(recipe["style"])
        finish_weight = recipe.get("weights", {}).get("finish", 0.0)
        postprocess: dict[str, Any] = {"region_flatten": dict(REGION_FLATTEN)}
        if recipe.get("tones_in_engine"):
            postprocess["tone_steps"] = asdict(style.tone_steps())
            targets = ("the style's flattened frames (L0 smoothing and median only); the engine draws the style's "
                       "tone steps, chroma lift (postprocess.tone_steps) and XDoG lines (postprocess.ink_lines)")
        elif recipe.get("chroma_in_engine"):
            postprocess["tone_steps"] = asdict(style.chroma_lift_only().tone_steps())
            targets = ("the style's frames without the chroma lift, tone steps and ink lines included; the engine "
                       "lifts the chroma (postprocess.tone_steps without steps)")
        elif recipe.get("ink_in_engine"):
            targets = ("the style's frames without ink lines; the engine draws the style's XDoG lines on the output "
                       "(postprocess.ink_lines)")
        else:
            targets = "the style's frames, ink lines included"
        if recipe.get("tones_in_engine") or recipe.get("ink_in_engine"):
            postprocess["ink_lines"] = asdict(style.ink_lines())
        return {
            "architecture": "distilled_generator",
            "size_multiple": CartoonGenerator.size_multiple,
            "supports_tiling": True,
            "tile_overlap": 32,
            "postprocess": postprocess,
            # The teacher's targets were made from the photos and clips only: no cartoon images were read.
            "data_kinds": frozenset({"photos", "videos"}),
            "distilled_from": {
                "teacher": "training/teacher: L0 smoothing, median, soft luminance quantization, chroma lift, XDoG "
                           "ink lines (per frame)",
                "style": style.as_dict(),
                "targets": targets,
                "losses": "L1 + gradient L1 to the teacher's targets" +
                          (", L1 after a differentiable copy of the engine's finish" if finish_weight > 0 else "") +
                          ", flow-warped short-term temporal L1 on real "
                          "consecutive and affine pairs" +
                          (" (after a differentiable copy of the engine's finish)" if recipe.get("temporal_on_finish")
                           else "") + ", PMC on VGG19 relu2_1 / relu3_1",
            },
        }
