"""The training loop both tasks share: CPU, one GPU, or `torchrun` DDP, same code.

A task (cartoonize: training/train.py; colorize: training/train_colorize.py) subclasses `TrainingTask`: it builds its
networks, optimizers and training data, and contributes one optimisation step, the rows of its sample sheets and,
optionally, a validation. The loop owns everything else, so both tasks write the same run folder:

    config.json                the recipe
    checkpoint.safetensors     resumable: every module and optimizer state, the torch RNG, the metadata
    <task.weights_name>        the trained network alone with the metadata (what export reads)
    samples/step_NNNNNN.png    a sheet of sample outputs at every checkpoint
    losses.jsonl               a line of losses every `log_every` steps (and the validation at every checkpoint)

Re-running the same command resumes from the checkpoint; recipe fields a task marks as fixed must not have changed.
"""
from __future__ import annotations

import json
import logging
import os
import platform
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TextIO

import cv2
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm import tqdm

from .checkpoint import load_checkpoint, load_checkpoint_meta, save_checkpoint, save_generator
from .distributed import Distributed

__all__ = ["CHECKPOINT_NAME", "StepResult", "TrainingTask", "run_training", "write_sample_sheet"]

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.safetensors"


@dataclass(frozen=True)
class StepResult:
    """What one optimisation step reports: logged as {step, phase, lr, lr_<other>..., time_s, notes..., losses...}."""

    phase: str
    losses: dict[str, float]
    #: Learning rate of every optimizer by name; the first is logged as "lr", the others only where they differ.
    rates: dict[str, float]
    #: What the step chose (e.g. how many references it gave the network).
    notes: dict[str, Any] = field(default_factory=dict)


class TrainingTask(ABC):
    """One task's part of a training run.

    Subclasses call ``super().__init__`` first (it seeds torch per process, so networks start the same on every run
    of a recipe), then set ``network`` (the module saved alone as ``weights_name``), ``modules`` and ``optimizers``
    (what checkpoints save, by name), ``train_data`` and ``total_steps``.
    """

    #: File name of the trained network alone in the run folder.
    weights_name: ClassVar[str]

    network: nn.Module
    modules: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    train_data: Dataset
    total_steps: int

    def __init__(self, recipe: Any, device: torch.device) -> None:
        self.recipe, self.device = recipe, device
        self.dist = Distributed(device)
        torch.manual_seed(recipe.seed + self.dist.rank)

    @property
    @abstractmethod
    def fixed_fields(self) -> tuple[str, ...]:
        """Recipe fields that must not change when a run resumes (the checkpoint's tensors depend on them)."""

    @abstractmethod
    def step(self, step: int, batch: dict[str, torch.Tensor]) -> StepResult:
        """Optimisation step ``step`` (0-based: the steps done before it) on one batch."""

    @abstractmethod
    def sample_rows(self) -> list[torch.Tensor]:
        """Rows of the sample sheet, each [N, 1 or 3, H, W] in [-1, 1]; called with ``network`` in eval mode and
        without gradients."""

    def validate(self) -> dict[str, Any] | None:
        """Scores recorded at every checkpoint (metadata and losses.jsonl); None for none."""
        return None

    def meta_fields(self) -> dict[str, Any]:
        """Task-specific metadata saved with every checkpoint."""
        return {}

    def begin(self, resumed: dict[str, Any] | None) -> None:
        """Called once before the first step: with the checkpoint's metadata when the run resumed, else None."""


def _hardware(device: torch.device) -> str:
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads"
            + (f", {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""))


def write_sample_sheet(path: Path, rows: list[torch.Tensor]) -> None:
    """PNG grid: one row per tensor, one column per image (grey rows shown as grey RGB)."""
    def row(batch: torch.Tensor) -> np.ndarray:
        batch = batch.expand(-1, 3, -1, -1)
        images = ((batch.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        return np.concatenate(list(images), axis=1)

    sheet = np.concatenate([row(r) for r in rows], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


class _Run:
    """One invocation of the loop over a task, writing to ``out_dir``."""

    def __init__(self, task: TrainingTask, out_dir: Path) -> None:
        self.task, self.out_dir = task, out_dir
        recipe = task.recipe
        self.sampler = (DistributedSampler(task.train_data, seed=recipe.seed, drop_last=True)
                        if task.dist.world_size > 1 else None)
        self.loader = DataLoader(task.train_data, batch_size=recipe.batch_size, shuffle=self.sampler is None,
                                 sampler=self.sampler, drop_last=True, num_workers=0)

    def batches(self) -> Iterator[dict[str, torch.Tensor]]:
        """Endless batches; each pass over the loader is one epoch of the distributed sampler."""
        epoch = 0
        while True:
            if self.sampler is not None:
                self.sampler.set_epoch(epoch)
            yield from self.loader
            epoch += 1

    def resume(self) -> dict[str, Any] | None:
        """Restore the checkpoint of the run folder, if any; its metadata."""
        path = self.out_dir / CHECKPOINT_NAME
        if not path.is_file():
            return None
        # The recipe is in the header: compare it before loading weights of another architecture into this one.
        saved = load_checkpoint_meta(path)["recipe"]
        current = json.loads(json.dumps(asdict(self.task.recipe)))  # JSON types, as saved: tuples become lists
        changed = [name for name in self.task.fixed_fields if saved.get(name) != current.get(name)]
        if changed:
            raise ValueError(
                f"{path} was trained with a different {', '.join(changed)}; use a new --out folder to start over"
            )
        meta = load_checkpoint(path, modules=self.task.modules, optimizers=self.task.optimizers)
        log.info("resuming %s from step %d", path, meta["step"])
        return meta

    def save(self, step: int, wall_time: float, log_file: TextIO | None) -> None:
        """Checkpoint, network, sample sheet and validation line (main process only)."""
        task = self.task
        if not task.dist.is_main:
            return
        validation = task.validate()
        meta = {"recipe": asdict(task.recipe), "step": step, "wall_time_s": round(wall_time, 1),
                "world_size": task.dist.world_size, "device": str(task.device), "hardware": _hardware(task.device),
                **task.meta_fields()}
        if validation is not None:
            meta["validation"] = validation
        save_checkpoint(self.out_dir / CHECKPOINT_NAME, modules=task.modules, optimizers=task.optimizers, meta=meta)
        save_generator(self.out_dir / task.weights_name, task.network, meta)
        task.network.eval()
        with torch.no_grad():
            rows = task.sample_rows()
        task.network.train()
        write_sample_sheet(self.out_dir / "samples" / f"step_{step:06d}.png", rows)
        if validation is not None and log_file is not None:
            log_file.write(json.dumps({"step": step, "phase": "validation", **validation}) + "\n")
            log_file.flush()

    def run(self, max_minutes: float | None, stop_at_step: int | None) -> int:
        task, recipe = self.task, self.task.recipe
        self.out_dir.mkdir(parents=True, exist_ok=True)
        resumed = self.resume()
        step = int(resumed["step"]) if resumed else 0
        wall_before = float(resumed["wall_time_s"]) if resumed else 0.0
        task.begin(resumed)
        # Stopping early leaves the schedule (lr decay, phase lengths) as the full run's, so budgets compare.
        last_step = task.total_steps if stop_at_step is None else min(stop_at_step, task.total_steps)
        if task.dist.is_main:
            (self.out_dir / "config.json").write_text(json.dumps(asdict(recipe), indent=2))
        started = time.monotonic()

        def elapsed() -> float:
            return wall_before + time.monotonic() - started

        batches = self.batches()
        progress = tqdm(total=task.total_steps, initial=step, desc=recipe.name, mininterval=5,
                        disable=not task.dist.is_main, dynamic_ncols=True)
        log_file = (self.out_dir / "losses.jsonl").open("a") if task.dist.is_main else None
        saved_at = step
        try:
            while step < last_step:
                if max_minutes is not None and time.monotonic() - started > 60 * max_minutes:
                    log.info("stopping after %.1f minutes at step %d (resume with the same command)", max_minutes, step)
                    break
                batch = {name: value.to(task.device, non_blocking=True) for name, value in next(batches).items()}
                result = task.step(step, batch)
                step += 1
                progress.update(1)
                progress.set_postfix(phase=result.phase, **{k: f"{v:.3g}" for k, v in list(result.losses.items())[:4]})
                if log_file is not None and (step % recipe.log_every == 0 or step == last_step):
                    (_, rate), *others = result.rates.items()
                    record = {"step": step, "phase": result.phase, "lr": rate,
                              **{f"lr_{name.removeprefix('opt_')}": r for name, r in others if r != rate},
                              "time_s": round(elapsed(), 1), **result.notes, **result.losses}
                    log_file.write(json.dumps(record) + "\n")
                    log_file.flush()
                if step % recipe.checkpoint_every == 0 or step == last_step:
                    self.save(step, elapsed(), log_file)
                    saved_at = step
            if step != saved_at:
                self.save(step, elapsed(), log_file)
            task.dist.barrier()
        finally:
            progress.close()
            if log_file is not None:
                log_file.close()
            task.dist.close()
        return step


def run_training(task: TrainingTask, out_dir: Path, *, max_minutes: float | None = None,
                 stop_at_step: int | None = None) -> int:
    """Train (or resume) ``task`` into ``out_dir`` until its last step, ``stop_at_step`` or ``max_minutes``;
    returns the last step done."""
    return _Run(task, Path(out_dir)).run(max_minutes, stop_at_step)
