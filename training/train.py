"""Trainer for the cartoonization recipes (`pmc`, `whitebox`, `animegan`, `semantic`): CPU, one GPU, or
`torchrun` DDP, same code.

The loop, checkpoints, logging, sample sheets, DDP and resume are shared; each method (training/methods/)
contributes its networks, its init-phase step and its GAN step. Phases: `init_steps` of the method's init step
(reconstruction L1(G(x), x), or AnimeGAN's content loss), then `gan_steps` of one generator step and one
discriminator step. Every `checkpoint_every` steps: a resumable safetensors checkpoint, the generator alone, and a
PNG sheet of sample outputs. Every `log_every` steps: a line of losses in `losses.jsonl`. Re-running the same
command resumes.
"""
from __future__ import annotations

import json
import logging
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from .checkpoint import (load_checkpoint, load_checkpoint_meta, load_generator_state, save_checkpoint,
                         save_generator)
from .distributed import Distributed, process_device
from .methods import method_for
from .nets.segmenter import Segmenter
from .recipes import Recipe, SemanticRecipe

__all__ = ["train", "CHECKPOINT_NAME", "GENERATOR_NAME"]

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.safetensors"
GENERATOR_NAME = "generator.safetensors"
_SAMPLE_COUNT = 4


def _infinite(loader: DataLoader, sampler: DistributedSampler | None):
    epoch = 0
    while True:
        if sampler is not None:
            sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


def _write_sample_sheet(path: Path, photos: torch.Tensor, outputs: torch.Tensor) -> None:
    """PNG grid: the fixed test photos on the top row, the generator's outputs below."""
    def row(batch: torch.Tensor) -> np.ndarray:
        images = ((batch.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        return np.concatenate(list(images), axis=1)

    sheet = np.concatenate([row(photos), row(outputs)], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


class _Trainer:
    def __init__(self, recipe: Recipe, data_root: Path, out_dir: Path, device: torch.device,
                 method_options: dict, init_from: Path | None = None) -> None:
        self.recipe, self.out_dir, self.device = recipe, out_dir, device
        self.init_from = init_from
        self.init_record: dict | None = None
        self.dist = Distributed(device)
        torch.manual_seed(recipe.seed + self.dist.rank)
        method_class = method_for(recipe)
        self.method = method_class(recipe, self.dist, device, **method_options)

        dataset = method_class.dataset(recipe, data_root, split="train",
                                       length=recipe.total_steps * recipe.batch_size * self.dist.world_size)
        self.sampler = (
            DistributedSampler(dataset, seed=recipe.seed, drop_last=True) if self.dist.world_size > 1 else None
        )
        self.loader = DataLoader(
            dataset, batch_size=recipe.batch_size, shuffle=self.sampler is None, sampler=self.sampler,
            drop_last=True, num_workers=0,
        )
        samples = method_class.dataset(recipe, data_root, split="test", length=_SAMPLE_COUNT)
        self.sample_photos = torch.stack([samples[i]["photo"] for i in range(_SAMPLE_COUNT)]).to(device)
        self.method.prepare(dataset)

    # -- bookkeeping ---------------------------------------------------------------------------------------
    def _meta(self, step: int, wall_time: float) -> dict:
        return {
            "recipe": asdict(self.recipe),
            "step": step,
            "wall_time_s": round(wall_time, 1),
            "world_size": self.dist.world_size,
            "init_from": self.init_record,
            "device": str(self.device),
            "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"torch {torch.__version__}"
            + (f", {torch.cuda.get_device_name(self.device)}" if self.device.type == "cuda" else ""),
        }

    def _save(self, step: int, wall_time: float) -> None:
        if not self.dist.is_main:
            return
        meta = self._meta(step, wall_time)
        method = self.method
        save_checkpoint(self.out_dir / CHECKPOINT_NAME, modules=method.modules, optimizers=method.optimizers, meta=meta)
        save_generator(self.out_dir / GENERATOR_NAME, method.generator, meta)
        method.generator.eval()
        with torch.no_grad():
            outputs = method.inference(self.sample_photos)
        method.generator.train()
        _write_sample_sheet(self.out_dir / "samples" / f"step_{step:06d}.png", self.sample_photos, outputs)

    def _resume(self) -> tuple[int, float]:
        path = self.out_dir / CHECKPOINT_NAME
        if not path.is_file():
            return 0, 0.0
        saved = load_checkpoint_meta(path)["recipe"]
        current = self._recipe_as_saved()
        changed = [name for name in self.method.fixed_fields if saved.get(name) != current.get(name)]
        if changed:
            raise ValueError(
                f"{path} was trained with a different {', '.join(changed)}; use a new --out folder to start over"
            )
        meta = load_checkpoint(path, modules=self.method.modules, optimizers=self.method.optimizers)
        self.init_record = meta.get("init_from")
        log.info("resuming %s from step %d", path, meta["step"])
        return int(meta["step"]), float(meta["wall_time_s"])

    def _recipe_as_saved(self) -> dict:
        """The recipe as checkpoints record it (JSON types: tuples become lists), for comparing with theirs."""
        return json.loads(json.dumps(asdict(self.recipe)))

    def _start_from(self, path: Path) -> None:
        """A new run's generator takes the weights of an earlier run's `generator.safetensors` (fine-tuning)."""
        state, meta = load_generator_state(path)
        if meta["recipe"]["generator"] != self._recipe_as_saved()["generator"]:
            raise ValueError(f"{path} holds a {meta['recipe']['generator']} generator, not this recipe's")
        self.method.generator.load_state_dict(state)
        self.init_record = {"path": str(path), "recipe": meta["recipe"], "step": meta["step"],
                            "wall_time_s": meta["wall_time_s"]}
        log.info("starting from %s (%s, step %d)", path, meta["recipe"]["name"], meta["step"])

    def run(self, max_minutes: float | None, stop_at_step: int | None) -> int:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        step, wall_before = self._resume()
        if step == 0 and self.init_from is not None:
            self._start_from(self.init_from)
        # Stopping early leaves the schedule (lr decay, phase lengths) as the full run's, so budgets compare.
        last_step = self.recipe.total_steps if stop_at_step is None else min(stop_at_step, self.recipe.total_steps)
        if self.dist.is_main:
            (self.out_dir / "config.json").write_text(json.dumps(asdict(self.recipe), indent=2))
        started = time.monotonic()
        batches = _infinite(self.loader, self.sampler)
        progress = tqdm(total=self.recipe.total_steps, initial=step, desc=self.recipe.name,
                        disable=not self.dist.is_main, dynamic_ncols=True)
        log_file = (self.out_dir / "losses.jsonl").open("a") if self.dist.is_main else None
        try:
            while step < last_step:
                if max_minutes is not None and time.monotonic() - started > 60 * max_minutes:
                    log.info("stopping after %.1f minutes at step %d (resume with the same command)", max_minutes, step)
                    break
                rates = self.method.learning_rates(step)
                for name, optimizer in self.method.optimizers.items():
                    for group in optimizer.param_groups:
                        group["lr"] = rates[name]
                batch = {name: value.to(self.device, non_blocking=True) for name, value in next(batches).items()}
                phase, losses = self.method.train_step(step, batch)
                step += 1
                progress.update(1)
                progress.set_postfix(phase=phase, **{k: f"{v:.3g}" for k, v in list(losses.items())[:4]})
                if log_file is not None and (step % self.recipe.log_every == 0 or step == last_step):
                    record = {"step": step, "phase": phase, "lr": rates["opt_g"], **_other_rates(rates),
                              "time_s": round(wall_before + time.monotonic() - started, 1), **losses}
                    log_file.write(json.dumps(record) + "\n")
                    log_file.flush()
                if step % self.recipe.checkpoint_every == 0 or step == last_step:
                    self._save(step, wall_before + time.monotonic() - started)
            if step % self.recipe.checkpoint_every != 0 and step < last_step:
                self._save(step, wall_before + time.monotonic() - started)
            self.dist.barrier()
        finally:
            progress.close()
            if log_file is not None:
                log_file.close()
            self.dist.close()
        return step


def _other_rates(rates: dict[str, float]) -> dict[str, float]:
    """Log keys for optimizers whose rate differs from the generator's (e.g. AnimeGAN's D: `lr_d`)."""
    return {f"lr_{name.removeprefix('opt_')}": rate for name, rate in rates.items()
            if name != "opt_g" and rate != rates["opt_g"]}


def train(
    recipe: Recipe,
    *,
    data_root: Path,
    out_dir: Path,
    device: str = "auto",
    max_minutes: float | None = None,
    stop_at_step: int | None = None,
    segmenter: Segmenter | None = None,
    init_from: Path | None = None,
) -> int:
    """Train (or resume) `recipe` on the bootstrap folder `data_root`, writing to `out_dir`. Returns the last step.

    `stop_at_step`: end (with a checkpoint) at this step although the recipe's schedule is longer, so a run matches
    another's step budget with the same learning-rate schedule; re-running with a later stop (or none) resumes.
    `segmenter`: for the `semantic` recipe only, a frozen segmentation network (image [N, 3, H, W] in [-1, 1] ->
    [N, K, h, w]) for the semantic loss instead of the default VGG-cluster substitute.
    `init_from`: a `generator.safetensors` of the same architecture whose weights a new run starts from
    (fine-tuning; recorded in the checkpoints and the model card); ignored when the run resumes.
    """
    torch_device = process_device(device)
    options = {}
    if segmenter is not None:
        if not isinstance(recipe, SemanticRecipe):
            raise ValueError(f"a segmenter is used by the semantic recipe only, not by {recipe.name!r}")
        options["segmenter"] = segmenter
    trainer = _Trainer(recipe, Path(data_root), Path(out_dir), torch_device, options,
                       Path(init_from) if init_from is not None else None)
    return trainer.run(max_minutes, stop_at_step)
