"""Trainer for the cartoonization recipes (`pmc`, `whitebox`): CPU, one GPU, or `torchrun` DDP, same code.

Phases: `init_steps` of reconstruction L1(G(x), x), then `gan_steps` of one generator step and one discriminator
step. Every `checkpoint_every` steps: a resumable safetensors checkpoint, the generator alone, and a PNG sheet of
sample outputs. Every `log_every` steps: a line of losses in `losses.jsonl`. Re-running the same command resumes.
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
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from .checkpoint import load_checkpoint, save_checkpoint, save_generator
from .data.datasets import CartoonizeDataset
from .losses import (
    ContentLoss,
    MotionConsistencyLoss,
    StructureLoss,
    SurfaceLoss,
    TextureLoss,
    TotalVariationLoss,
    superpixel_target,
)
from .losses.guided_filter import guided_filter
from .nets.discriminator import PatchDiscriminator
from .nets.generator import CartoonGenerator
from .nets.vgg import VGG19Features
from .recipes.cartoon import CartoonRecipe

__all__ = ["train", "CHECKPOINT_NAME", "GENERATOR_NAME"]

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.safetensors"
GENERATOR_NAME = "generator.safetensors"
_CONTENT_LAYER = "conv4_4"
_SAMPLE_COUNT = 4


class _Distributed:
    """Process-group state from the torchrun environment (a single process when WORLD_SIZE is unset)."""

    def __init__(self, device: torch.device) -> None:
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        if self.world_size > 1 and not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, module: nn.Module) -> nn.Module:
        return DistributedDataParallel(module) if self.world_size > 1 else module

    def barrier(self) -> None:
        if self.world_size > 1:
            dist.barrier()

    def close(self) -> None:
        if self.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()


def _unwrap(module: nn.Module) -> nn.Module:
    return module.module if isinstance(module, DistributedDataParallel) else module


def _learning_rate(recipe: CartoonRecipe, step: int) -> float:
    """Init phase: init_lr. GAN phase: lr for its first half, then linear decay to 0."""
    if step < recipe.init_steps:
        return recipe.init_lr
    gan_step = step - recipe.init_steps
    half = recipe.gan_steps / 2
    if gan_step < half:
        return recipe.lr
    return recipe.lr * max(0.0, 1.0 - (gan_step - half) / max(half, 1.0))


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


class _CartoonTrainer:
    def __init__(self, recipe: CartoonRecipe, data_root: Path, out_dir: Path, device: torch.device) -> None:
        self.recipe, self.out_dir, self.device = recipe, out_dir, device
        self.dist = _Distributed(device)
        torch.manual_seed(recipe.seed + self.dist.rank)
        self.generator = CartoonGenerator(config=recipe.generator).to(device)
        surface_d = PatchDiscriminator(in_channels=3, width=recipe.discriminator_width).to(device)
        texture_d = PatchDiscriminator(in_channels=1, width=recipe.discriminator_width).to(device)
        self.modules = {"generator": self.generator, "surface_d": surface_d, "texture_d": texture_d}
        self.g_model = self.dist.wrap(self.generator)
        self.surface = SurfaceLoss(self.dist.wrap(surface_d), loss_weight=recipe.weights.surface)
        self.texture = TextureLoss(self.dist.wrap(texture_d), loss_weight=recipe.weights.texture)
        self.content = ContentLoss(loss_weight=recipe.weights.content)
        self.structure = StructureLoss(loss_weight=recipe.weights.structure)
        self.total_variation = TotalVariationLoss(loss_weight=recipe.weights.total_variation)
        self.motion = MotionConsistencyLoss(loss_weight=recipe.weights.motion, queries=recipe.motion_queries)
        layers = [_CONTENT_LAYER, *(recipe.motion_layers if recipe.uses_motion else ())]
        self.vgg = VGG19Features(layers=layers).to(device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=recipe.init_lr, betas=recipe.betas)
        self.opt_d = torch.optim.Adam(
            [*surface_d.parameters(), *texture_d.parameters()], lr=recipe.lr, betas=recipe.betas
        )
        self.optimizers = {"opt_g": self.opt_g, "opt_d": self.opt_d}

        dataset = CartoonizeDataset(
            data_root, split="train", crop_size=recipe.crop_size, real_pair_prob=recipe.real_pair_prob,
            length=recipe.total_steps * recipe.batch_size * self.dist.world_size, seed=recipe.seed,
            content_scale=recipe.content_scale,
        )
        self.sampler = (
            DistributedSampler(dataset, seed=recipe.seed, drop_last=True) if self.dist.world_size > 1 else None
        )
        self.loader = DataLoader(
            dataset, batch_size=recipe.batch_size, shuffle=self.sampler is None, sampler=self.sampler,
            drop_last=True, num_workers=0,
        )
        samples = CartoonizeDataset(data_root, split="test", crop_size=recipe.crop_size, real_pair_prob=0.0,
                                    length=_SAMPLE_COUNT, seed=recipe.seed, content_scale=recipe.content_scale)
        self.sample_photos = torch.stack([samples[i]["photo"] for i in range(_SAMPLE_COUNT)]).to(device)

    # -- steps ---------------------------------------------------------------------------------------------
    def _filtered(self, photo: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        """G's output as the losses see it: guided-filtered by the photo when the recipe says so (White-box)."""
        if self.recipe.output_filter is None:
            return output
        radius, eps = self.recipe.output_filter
        return guided_filter(photo, output, radius=radius, eps=eps)

    def _reconstruction_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        photo = batch["photo"]
        loss = (self.g_model(photo) - photo).abs().mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return {"reconstruction": loss.item()}

    def _gan_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
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
            "content": self.content(output_f[_CONTENT_LAYER], photo_f[_CONTENT_LAYER]),
            "structure": self.structure(output_f[_CONTENT_LAYER], structure_f[_CONTENT_LAYER]),
            "total_variation": self.total_variation(output),
            "surface_g": self.surface.generator_loss(output),
            "texture_g": self.texture.generator_loss(output),
        }
        if recipe.uses_motion:
            layers = recipe.motion_layers
            pick = lambda features: {name: features[name] for name in layers}  # noqa: E731
            terms["motion"] = self.motion(pick(photo_f), pick(part(fixed, 2)), pick(output_f), pick(part(live, 1)))
        generator_loss = sum(terms.values())
        self.opt_g.zero_grad(set_to_none=True)
        generator_loss.backward()
        self.opt_g.step()

        fake = output.detach()
        discriminator_loss = self.surface.discriminator_loss(fake, cartoon) + self.texture.discriminator_loss(fake, cartoon)
        self.opt_d.zero_grad(set_to_none=True)
        discriminator_loss.backward()
        self.opt_d.step()
        logged = {name: value.item() for name, value in terms.items()}
        logged.update(generator=generator_loss.item(), discriminator=discriminator_loss.item())
        return logged

    # -- bookkeeping ---------------------------------------------------------------------------------------
    def _meta(self, step: int, wall_time: float) -> dict:
        return {
            "recipe": asdict(self.recipe),
            "step": step,
            "wall_time_s": round(wall_time, 1),
            "world_size": self.dist.world_size,
            "device": str(self.device),
            "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}"
            + (f", {torch.cuda.get_device_name(self.device)}" if self.device.type == "cuda" else ""),
        }

    def _save(self, step: int, wall_time: float) -> None:
        if not self.dist.is_main:
            return
        meta = self._meta(step, wall_time)
        save_checkpoint(self.out_dir / CHECKPOINT_NAME, modules=self.modules, optimizers=self.optimizers, meta=meta)
        save_generator(self.out_dir / GENERATOR_NAME, self.generator, meta)
        self.generator.eval()
        with torch.no_grad():
            outputs = self._filtered(self.sample_photos, self.generator(self.sample_photos))
        self.generator.train()
        _write_sample_sheet(self.out_dir / "samples" / f"step_{step:06d}.png", self.sample_photos, outputs)

    def _resume(self) -> tuple[int, float]:
        path = self.out_dir / CHECKPOINT_NAME
        if not path.is_file():
            return 0, 0.0
        meta = load_checkpoint(path, modules=self.modules, optimizers=self.optimizers)
        saved = meta["recipe"]
        current = json.loads(json.dumps(asdict(self.recipe)))
        fixed_fields = ("name", "generator", "weights", "crop_size", "batch_size")
        changed = [name for name in fixed_fields if saved.get(name) != current.get(name)]
        if changed:
            raise ValueError(
                f"{path} was trained with a different {', '.join(changed)}; use a new --out folder to start over"
            )
        log.info("resuming %s from step %d", path, meta["step"])
        return int(meta["step"]), float(meta["wall_time_s"])

    def run(self, max_minutes: float | None) -> int:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        step, wall_before = self._resume()
        if self.dist.is_main:
            (self.out_dir / "config.json").write_text(json.dumps(asdict(self.recipe), indent=2))
        started = time.monotonic()
        batches = _infinite(self.loader, self.sampler)
        progress = tqdm(total=self.recipe.total_steps, initial=step, desc=self.recipe.name,
                        disable=not self.dist.is_main, dynamic_ncols=True)
        log_file = (self.out_dir / "losses.jsonl").open("a") if self.dist.is_main else None
        try:
            while step < self.recipe.total_steps:
                if max_minutes is not None and time.monotonic() - started > 60 * max_minutes:
                    log.info("stopping after %.1f minutes at step %d (resume with the same command)", max_minutes, step)
                    break
                learning_rate = _learning_rate(self.recipe, step)
                for optimizer in self.optimizers.values():
                    for group in optimizer.param_groups:
                        group["lr"] = learning_rate
                batch = {name: value.to(self.device, non_blocking=True) for name, value in next(batches).items()}
                phase = "init" if step < self.recipe.init_steps else "gan"
                losses = self._reconstruction_step(batch) if phase == "init" else self._gan_step(batch)
                step += 1
                progress.update(1)
                progress.set_postfix(phase=phase, **{k: f"{v:.3g}" for k, v in list(losses.items())[:4]})
                if log_file is not None and (step % self.recipe.log_every == 0 or step == self.recipe.total_steps):
                    record = {"step": step, "phase": phase, "lr": learning_rate,
                              "time_s": round(wall_before + time.monotonic() - started, 1), **losses}
                    log_file.write(json.dumps(record) + "\n")
                    log_file.flush()
                if step % self.recipe.checkpoint_every == 0 or step == self.recipe.total_steps:
                    self._save(step, wall_before + time.monotonic() - started)
            if step % self.recipe.checkpoint_every != 0 and step < self.recipe.total_steps:
                self._save(step, wall_before + time.monotonic() - started)
            self.dist.barrier()
        finally:
            progress.close()
            if log_file is not None:
                log_file.close()
            self.dist.close()
        return step


def train(
    recipe: CartoonRecipe,
    *,
    data_root: Path,
    out_dir: Path,
    device: str = "auto",
    max_minutes: float | None = None,
) -> int:
    """Train (or resume) `recipe` on the bootstrap folder `data_root`, writing to `out_dir`. Returns the last step."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    torch_device = torch.device(device)
    if torch_device.type == "cuda" and "LOCAL_RANK" in os.environ:
        torch_device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(torch_device)
    return _CartoonTrainer(recipe, Path(data_root), Path(out_dir), torch_device).run(max_minutes)
