"""Trainer for the colorization recipes (`lcmftn`, `lcmftn_nocmft`): CPU, one GPU, or `torchrun` DDP, same code.

Loss: l1_weight * L1 + perceptual_weight * VGG19 perceptual, Adam (SPEC section 4); with a reference gate also
the gate selection cross-entropy and an L1 on the network's output before the gate (our extension, see the recipe's
fields). A `previous_reference_prob` share of the steps gives the network a second reference, the frame next to the
target, as the engine does from the second frame on (its colour the truth or, for an `own_previous_prob` share, the
network's own output); validation always uses one. Every `checkpoint_every` steps: a resumable safetensors
checkpoint, the network alone, a PNG sheet of held-out samples and a validation line (PSNR of the output and of the
"copy the reference colour" baseline on fixed test pairs) in `losses.jsonl`. Every `log_every` steps: a line of
losses. Re-running the same command resumes.
"""
from __future__ import annotations

import json
import logging
import math
import os
import platform
import random
import time
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from .checkpoint import load_checkpoint, load_generator_state, save_checkpoint, save_generator
from .data.colorize.dataset import ColorizeDataset
from .distributed import Distributed, process_device
from .losses.content import FeatureL1Loss
from .losses.gate_selection import GateSelectionLoss
from .losses.perceptual import PerceptualLoss
from .methods.base import optimizer_step
from .metrics.psnr import psnr
from .nets.lcmftn import LCMFTN, LCMFTNConfig
from .nets.reference_gate import candidate_logits, candidates
from .recipes.colorize import ColorizeRecipe

__all__ = ["train_colorize", "evaluate_colorizer", "load_colorizer", "CHECKPOINT_NAME", "NETWORK_NAME"]

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.safetensors"
NETWORK_NAME = "network.safetensors"
_SHEET_COLUMNS = 4


def load_colorizer(path: Path) -> tuple[LCMFTN, dict]:
    """A network rebuilt from `network.safetensors` (its config is in the file's metadata), in eval mode."""
    state, meta = load_generator_state(Path(path))
    network = LCMFTN(config=LCMFTNConfig.from_saved(meta["recipe"]["network"]))
    network.load_state_dict(state)
    return network.eval(), meta


_REFERENCE_FIELDS = (("reference_sketch", "reference_color"), ("previous_sketch", "previous_color"))


def _references(batch: dict[str, torch.Tensor], count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """[N, count, C, H, W] reference line art and colour: the item's reference, then (count 2) the frame next to
    the target (the dataset's `with_previous` fields)."""
    if not 1 <= count <= len(_REFERENCE_FIELDS):
        raise ValueError(f"count must be 1 or 2 references, got {count}")
    fields = _REFERENCE_FIELDS[:count]
    return (torch.stack([batch[sketch] for sketch, _ in fields], 1),
            torch.stack([batch[color] for _, color in fields], 1))


def _forward(network: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The network's output for a batch with its one reference (validation and sample sheets)."""
    return network(batch["sketch"], *_references(batch, 1))


def _step_references(recipe: ColorizeRecipe, step: int) -> tuple[int, bool]:
    """(references, own previous) for optimiser step `step` (1-based): 2 references for a `previous_reference_prob`
    share of the steps, and of those an `own_previous_prob` share whose second colour is the network's own output.
    Drawn from (seed, step) so that a resumed run and every DDP process draw the same."""
    rng = random.Random(recipe.seed * 1_000_003 + step)
    count = 2 if rng.random() < recipe.previous_reference_prob else 1
    return count, count == 2 and rng.random() < recipe.own_previous_prob


def _parameter_groups(network: LCMFTN, recipe: ColorizeRecipe) -> list[dict]:
    """Adam parameter groups: the reference gate at `gate_lr_scale` times the learning rate, the rest at it.
    E_I (VGG19) is frozen and left out."""
    gate = {id(p) for p in network.gate.parameters()} if network.gate is not None else set()
    trainable = [p for p in network.parameters() if p.requires_grad]
    groups = [{"params": [p for p in trainable if id(p) not in gate]}]
    if gate:
        groups.append({"params": [p for p in trainable if id(p) in gate], "lr": recipe.lr * recipe.gate_lr_scale})
    return groups


@torch.no_grad()
def evaluate_colorizer(
    network: LCMFTN, pairs: dict[str, torch.Tensor], *, batch_size: int = 4
) -> dict[str, float]:
    """Mean PSNR (dB) on stacked held-out pairs: the network's output, and copying the reference colour as the
    network gets it (`psnr_copy_reference`: the flow-warped colour when the pairs' references are aligned)."""
    was_training = network.training
    network.eval()
    outputs = []
    for start in range(0, len(pairs["sketch"]), batch_size):
        outputs.append(_forward(network, {k: v[start : start + batch_size] for k, v in pairs.items()}))
    network.train(was_training)
    output = torch.cat(outputs)
    return {
        "psnr": float(psnr(output, pairs["color"]).clamp(max=100).mean()),
        "psnr_copy_reference": float(psnr(pairs["reference_color"], pairs["color"]).clamp(max=100).mean()),
        "pairs": len(output),
    }


def held_out_pairs(data_root: Path, *, count: int, crop_size: int, seed: int, window: int = 40,
                   stride: int = 5, styles=None, align_references: bool = False) -> dict[str, torch.Tensor]:
    """`count` fixed test-split pairs, each a window's first frame (reference) and last frame (target), stacked per
    field (references flow-aligned to the target if asked)."""
    dataset = ColorizeDataset(data_root, split="test", crop_size=crop_size, window=window, stride=stride,
                              styles=styles, length=count, seed=seed, align_references=align_references,
                              gap_prob=0.0, reverse_prob=0.0)
    items = [dataset[i] for i in range(count)]
    return {name: torch.stack([item[name] for item in items]) for name in items[0]}


def _write_sample_sheet(path: Path, pairs: dict[str, torch.Tensor], outputs: torch.Tensor) -> None:
    """PNG grid, one column per pair; rows: reference colour, line art, output, ground truth."""
    def row(batch: torch.Tensor) -> np.ndarray:
        batch = batch.expand(-1, 3, -1, -1)
        images = ((batch.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        return np.concatenate(list(images), axis=1)

    rows = [pairs["reference_color"], pairs["sketch"], outputs, pairs["color"]]
    sheet = np.concatenate([row(r[:_SHEET_COLUMNS]) for r in rows], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


class _ColorizeTrainer:
    def __init__(self, recipe: ColorizeRecipe, data_root: Path, out_dir: Path, device: torch.device) -> None:
        self.recipe, self.out_dir, self.device = recipe, out_dir, device
        self.dist = Distributed(device)
        torch.manual_seed(recipe.seed + self.dist.rank)
        self.network = LCMFTN(config=recipe.network).to(device)
        self.model = self.dist.wrap(self.network)
        self.l1 = FeatureL1Loss(loss_weight=recipe.l1_weight)
        self.perceptual = PerceptualLoss(loss_weight=recipe.perceptual_weight).to(device)
        self.gate_selection = GateSelectionLoss(loss_weight=recipe.gate_selection_weight)
        self.network_l1 = FeatureL1Loss(loss_weight=recipe.network_l1_weight)
        self.optimizer = torch.optim.Adam(_parameter_groups(self.network, recipe), lr=recipe.lr, betas=recipe.betas)
        self.modules = {"network": self.network}
        self.optimizers = {"opt": self.optimizer}

        per_step = recipe.batch_size * self.dist.world_size
        data_options = dict(crop_size=recipe.crop_size, window=recipe.pair_window, stride=recipe.pair_stride,
                            styles=recipe.styles, seed=recipe.seed, align_references=recipe.align_references,
                            gap_prob=recipe.gap_prob, short_side_range=recipe.short_side_range,
                            with_previous=recipe.previous_reference_prob > 0)
        if recipe.steps is not None:
            self.total_steps = recipe.steps
            dataset = ColorizeDataset(data_root, split="train", length=recipe.steps * per_step, **data_options)
        else:
            dataset = ColorizeDataset(data_root, split="train", **data_options)
            self.total_steps = math.ceil(recipe.epochs * len(dataset) / per_step)
        self.sampler = (
            DistributedSampler(dataset, seed=recipe.seed, drop_last=True) if self.dist.world_size > 1 else None
        )
        self.loader = DataLoader(dataset, batch_size=recipe.batch_size, shuffle=self.sampler is None,
                                 sampler=self.sampler, drop_last=True, num_workers=0)
        pairs = held_out_pairs(data_root, count=recipe.validation_pairs, crop_size=recipe.crop_size,
                               seed=recipe.seed, window=recipe.pair_window, stride=recipe.pair_stride,
                               styles=recipe.styles, align_references=recipe.align_references)
        self.validation = {name: value.to(device) for name, value in pairs.items()}

    def _batches(self):
        """Endless batches; each pass over the loader is one epoch of the distributed sampler."""
        epoch = 0
        while True:
            if self.sampler is not None:
                self.sampler.set_epoch(epoch)
            yield from self.loader
            epoch += 1

    @torch.no_grad()
    def _own_previous_color(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The network's colouring of the frame next to the target from the item's reference: what the engine would
        pass on as the previous output. Both line arts are already aligned to the target, so it is in the target's
        geometry, as the engine's previous output is after alignment."""
        return _forward(self.network, {**batch, "sketch": batch["previous_sketch"]})

    def _step(self, batch: dict[str, torch.Tensor], references: int, own_previous: bool) -> dict[str, float]:
        if own_previous:
            batch = {**batch, "previous_color": self._own_previous_color(batch)}
        reference_sketch, reference_color = _references(batch, references)
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
        return {"loss": loss.item(), **{name: value.item() for name, value in terms.items()}}

    def _meta(self, step: int, wall_time: float, validation: dict) -> dict:
        return {
            "recipe": asdict(self.recipe),
            "step": step,
            "total_steps": self.total_steps,
            "wall_time_s": round(wall_time, 1),
            "world_size": self.dist.world_size,
            "device": str(self.device),
            "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"torch {torch.__version__}, {torch.get_num_threads()} threads"
            + (f", {torch.cuda.get_device_name(self.device)}" if self.device.type == "cuda" else ""),
            "validation": validation,
        }

    def _save(self, step: int, wall_time: float, log_file) -> None:
        if not self.dist.is_main:
            return
        validation = evaluate_colorizer(self.network, self.validation)
        meta = self._meta(step, wall_time, validation)
        save_checkpoint(self.out_dir / CHECKPOINT_NAME, modules=self.modules, optimizers=self.optimizers, meta=meta)
        save_generator(self.out_dir / NETWORK_NAME, self.network, meta)
        with torch.no_grad():
            self.network.eval()
            outputs = _forward(self.network, {k: v[:_SHEET_COLUMNS] for k, v in self.validation.items()})
            self.network.train()
        _write_sample_sheet(self.out_dir / "samples" / f"step_{step:06d}.png", self.validation, outputs)
        log_file.write(json.dumps({"step": step, "phase": "validation", **validation}) + "\n")
        log_file.flush()

    def _resume(self) -> tuple[int, float]:
        path = self.out_dir / CHECKPOINT_NAME
        if not path.is_file():
            return 0, 0.0
        # The network file beside the checkpoint carries the same metadata: check it before loading weights of
        # another architecture into this one.
        _, saved_meta = load_generator_state(self.out_dir / NETWORK_NAME)
        saved = saved_meta["recipe"]
        current = json.loads(json.dumps(asdict(self.recipe)))
        fixed_fields = ("name", "network", "l1_weight", "perceptual_weight", "gate_selection_weight",
                        "network_l1_weight", "gate_lr_scale", "crop_size", "batch_size")
        changed = [name for name in fixed_fields if saved.get(name) != current.get(name)]
        if changed:
            raise ValueError(
                f"{path} was trained with a different {', '.join(changed)}; use a new --out folder to start over"
            )
        meta = load_checkpoint(path, modules=self.modules, optimizers=self.optimizers)
        log.info("resuming %s from step %d", path, meta["step"])
        return int(meta["step"]), float(meta["wall_time_s"])

    def run(self, max_minutes: float | None) -> int:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        step, wall_before = self._resume()
        if self.dist.is_main:
            (self.out_dir / "config.json").write_text(json.dumps(asdict(self.recipe), indent=2))
        started = time.monotonic()
        elapsed = lambda: wall_before + time.monotonic() - started  # noqa: E731
        batches = self._batches()
        progress = tqdm(total=self.total_steps, initial=step, desc=self.recipe.name, mininterval=5,
                        disable=not self.dist.is_main, dynamic_ncols=True)
        log_file = (self.out_dir / "losses.jsonl").open("a") if self.dist.is_main else None
        saved_at = step
        try:
            while step < self.total_steps:
                if max_minutes is not None and time.monotonic() - started > 60 * max_minutes:
                    log.info("stopping after %.1f minutes at step %d (resume with the same command)", max_minutes, step)
                    break
                batch = {name: value.to(self.device, non_blocking=True) for name, value in next(batches).items()}
                references, own_previous = _step_references(self.recipe, step + 1)
                losses = self._step(batch, references, own_previous)
                step += 1
                progress.update(1)
                progress.set_postfix({k: f"{v:.3g}" for k, v in losses.items()})
                if log_file is not None and (step % self.recipe.log_every == 0 or step == self.total_steps):
                    record = {"step": step, "phase": "train", "lr": self.recipe.lr, "time_s": round(elapsed(), 1),
                              "references": references, "own_previous": own_previous, **losses}
                    log_file.write(json.dumps(record) + "\n")
                    log_file.flush()
                if step % self.recipe.checkpoint_every == 0 or step == self.total_steps:
                    self._save(step, elapsed(), log_file)
                    saved_at = step
            if step != saved_at:
                self._save(step, elapsed(), log_file)
            self.dist.barrier()
        finally:
            progress.close()
            if log_file is not None:
                log_file.close()
            self.dist.close()
        return step


def train_colorize(
    recipe: ColorizeRecipe,
    *,
    data_root: Path,
    out_dir: Path,
    device: str = "auto",
    max_minutes: float | None = None,
) -> int:
    """Train (or resume) `recipe` on the colorize folder `data_root`, writing to `out_dir`. Returns the last step."""
    torch_device = process_device(device)
    return _ColorizeTrainer(recipe, Path(data_root), Path(out_dir), torch_device).run(max_minutes)
