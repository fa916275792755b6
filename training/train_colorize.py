"""Trainer for the colorization recipes (`lcmftn`, `lcmftn_nocmft`): the colorize task of the shared loop
(training/loop.py: checkpoints, logging, sample sheets, DDP, resume).

Loss: l1_weight * L1 + perceptual_weight * VGG19 perceptual, Adam (docs/METHODS.md, "LCMFTN"); with a reference gate
also the gate selection cross-entropy and an L1 on the network's output before the gate (our extension, see the
recipe's fields). A `previous_reference_prob` share of the steps gives the network a second reference, the frame
next to the target, as the engine does from the second frame on (its colour the truth or, for an `own_previous_prob`
share, the network's own output); validation always uses one. At every checkpoint the validation (PSNR of the output
and of the "copy the reference colour" baseline on fixed test pairs, training/evaluate_colorize.py) goes into the
metadata and `losses.jsonl`; the sample sheets show, per held-out pair, the reference colour, the line art, the
output and the truth.
"""
from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import torch

from .data.colorize.dataset import ColorizeDataset
from .distributed import process_device
from .evaluate_colorize import evaluate_colorizer, forward_one_reference, held_out_pairs, stack_references
from .losses.content import FeatureL1Loss
from .losses.gate_selection import GateSelectionLoss
from .losses.perceptual import PerceptualLoss
from .loop import StepResult, TrainingTask, run_training
from .methods.base import optimizer_step
from .nets.lcmftn import LCMFTN
from .nets.reference_gate import candidate_logits, candidates
from .recipes.colorize import ColorizeRecipe

__all__ = ["train_colorize", "ColorizeTask", "NETWORK_NAME", "step_references", "parameter_groups"]

NETWORK_NAME = "network.safetensors"
_SHEET_COLUMNS = 4


def step_references(recipe: ColorizeRecipe, step: int) -> tuple[int, bool]:
    """(references, own previous) for optimiser step `step` (1-based): 2 references for a `previous_reference_prob`
    share of the steps, and of those an `own_previous_prob` share whose second colour is the network's own output.
    Drawn from (seed, step) so that a resumed run and every DDP process draw the same."""
    rng = random.Random(recipe.seed * 1_000_003 + step)
    count = 2 if rng.random() < recipe.previous_reference_prob else 1
    return count, count == 2 and rng.random() < recipe.own_previous_prob


def parameter_groups(network: LCMFTN, recipe: ColorizeRecipe) -> list[dict]:
    """Adam parameter groups: the reference gate at `gate_lr_scale` times the learning rate, the rest at it.
    E_I (VGG19) is frozen and left out."""
    gate = {id(p) for p in network.gate.parameters()} if network.gate is not None else set()
    trainable = [p for p in network.parameters() if p.requires_grad]
    groups = [{"params": [p for p in trainable if id(p) not in gate]}]
    if gate:
        groups.append({"params": [p for p in trainable if id(p) in gate], "lr": recipe.lr * recipe.gate_lr_scale})
    return groups


class ColorizeTask(TrainingTask):
    """LCMFTN training as a task of the shared loop."""

    weights_name = NETWORK_NAME

    def __init__(self, recipe: ColorizeRecipe, data_root: Path, device: torch.device) -> None:
        super().__init__(recipe, device)
        self.network = LCMFTN(config=recipe.network).to(device)
        self.model = self.dist.wrap(self.network)
        self.l1 = FeatureL1Loss(loss_weight=recipe.l1_weight)
        self.perceptual = PerceptualLoss(loss_weight=recipe.perceptual_weight).to(device)
        self.gate_selection = GateSelectionLoss(loss_weight=recipe.gate_selection_weight)
        self.network_l1 = FeatureL1Loss(loss_weight=recipe.network_l1_weight)
        self.optimizer = torch.optim.Adam(parameter_groups(self.network, recipe), lr=recipe.lr, betas=recipe.betas)
        self.modules = {"network": self.network}
        self.optimizers = {"opt": self.optimizer}

        per_step = recipe.batch_size * self.dist.world_size
        data_options = dict(crop_size=recipe.crop_size, window=recipe.pair_window, stride=recipe.pair_stride,
                            styles=recipe.styles, seed=recipe.seed, align_references=recipe.align_references,
                            gap_prob=recipe.gap_prob, short_side_range=recipe.short_side_range,
                            with_previous=recipe.previous_reference_prob > 0)
        if recipe.steps is not None:
            self.total_steps = recipe.steps
            self.train_data = ColorizeDataset(data_root, split="train", length=recipe.steps * per_step,
                                              **data_options)
        else:
            self.train_data = ColorizeDataset(data_root, split="train", **data_options)
            self.total_steps = math.ceil(recipe.epochs * len(self.train_data) / per_step)
        pairs = held_out_pairs(data_root, count=recipe.validation_pairs, crop_size=recipe.crop_size,
                               seed=recipe.seed, window=recipe.pair_window, stride=recipe.pair_stride,
                               styles=recipe.styles, align_references=recipe.align_references)
        self.validation = {name: value.to(device) for name, value in pairs.items()}

    @property
    def fixed_fields(self) -> tuple[str, ...]:
        return ("name", "network", "l1_weight", "perceptual_weight", "gate_selection_weight", "network_l1_weight",
                "gate_lr_scale", "crop_size", "batch_size")

    @torch.no_grad()
    def _own_previous_color(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The network's colouring of the frame next to the target from the item's reference: what the engine would
        pass on as the previous output. Both line arts are already aligned to the target, so it is in the target's
        geometry, as the engine's previous output is after alignment."""
        return forward_one_reference(self.network, {**batch, "sketch": batch["previous_sketch"]})

    def step(self, step: int, batch: dict[str, torch.Tensor]) -> StepResult:
        references, own_previous = step_references(self.recipe, step + 1)
        if own_previous:
            batch = {**batch, "previous_color": self._own_previous_color(batch)}
        reference_sketch, reference_color = stack_references(batch, references)
        parts = self.model(batch["sketch"], reference_sketch, reference_color, with_parts=True)
        target = batch["color"]
        terms = {"l1": self.l1(parts.output, target), "perceptual": self.perceptual(parts.output, target)}
        if parts.gate_logits is not None:
            if self.recipe.gate_selection_weight:
                gate_candidates = candidates(reference_color, parts.network_output)
                terms["gate"] = self.gate_selection(candidate_logits(parts.gate_logits), gate_candidates, target)
            if self.recipe.network_l1_weight:
                terms["network_l1"] = self.network_l1(parts.network_output, target)
        loss = sum(terms.values())
        optimizer_step(self.optimizer, loss)
        losses = {"loss": loss.item(), **{name: value.item() for name, value in terms.items()}}
        return StepResult("train", losses, {"opt": self.recipe.lr},
                          {"references": references, "own_previous": own_previous})

    def sample_rows(self) -> list[torch.Tensor]:
        pairs = {k: v[:_SHEET_COLUMNS] for k, v in self.validation.items()}
        return [pairs["reference_color"], pairs["sketch"], forward_one_reference(self.network, pairs), pairs["color"]]

    def validate(self) -> dict[str, Any]:
        return evaluate_colorizer(self.network, self.validation)

    def meta_fields(self) -> dict[str, Any]:
        return {"total_steps": self.total_steps}


def train_colorize(
    recipe: ColorizeRecipe,
    *,
    data_root: Path,
    out_dir: Path,
    device: str = "auto",
    max_minutes: float | None = None,
) -> int:
    """Train (or resume) `recipe` on the colorize folder `data_root`, writing to `out_dir`. Returns the last step."""
    task = ColorizeTask(recipe, Path(data_root), process_device(device))
    return run_training(task, Path(out_dir), max_minutes=max_minutes)
