"""Trainer for the cartoonization recipes (`pmc`, `whitebox`, `animegan`, `semantic`, the distillation recipes): the
cartoonize task of the shared loop (training/loop.py: checkpoints, logging, sample sheets, DDP, resume).

Each method (training/methods/) contributes its networks, its init-phase step and its GAN step. Phases: `init_steps`
of the method's init step (reconstruction L1(G(x), x), or AnimeGAN's content loss), then `gan_steps` of one
generator step and one discriminator step. The sample sheets show fixed test photos above the generator's outputs.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from .checkpoint import load_generator_state
from .distributed import process_device
from .loop import StepResult, TrainingTask, run_training
from .methods import method_for
from .nets.segmenter import Segmenter
from .recipes import Recipe, SemanticRecipe

__all__ = ["train", "CartoonizeTask", "GENERATOR_NAME"]

log = logging.getLogger(__name__)

GENERATOR_NAME = "generator.safetensors"
_SAMPLE_COUNT = 4


class CartoonizeTask(TrainingTask):
    """A cartoonization method as a task of the shared loop."""

    weights_name = GENERATOR_NAME

    def __init__(self, recipe: Recipe, data_root: Path, device: torch.device, method_options: dict[str, Any],
                 init_from: Path | None = None) -> None:
        super().__init__(recipe, device)
        self.init_from = init_from
        self.init_record: dict[str, Any] | None = None
        method_class = method_for(recipe)
        self.method = method_class(recipe, self.dist, device, **method_options)
        self.network = self.method.generator
        self.modules, self.optimizers = self.method.modules, self.method.optimizers
        self.total_steps = recipe.total_steps
        self.train_data = method_class.dataset(recipe, data_root, split="train",
                                               length=recipe.total_steps * recipe.batch_size * self.dist.world_size)
        samples = method_class.dataset(recipe, data_root, split="test", length=_SAMPLE_COUNT)
        self.sample_photos = torch.stack([samples[i]["photo"] for i in range(_SAMPLE_COUNT)]).to(device)
        self.method.prepare(self.train_data)

    @property
    def fixed_fields(self) -> tuple[str, ...]:
        return self.method.fixed_fields

    def step(self, step: int, batch: dict[str, torch.Tensor]) -> StepResult:
        rates = self.method.learning_rates(step)
        for name, optimizer in self.method.optimizers.items():
            for group in optimizer.param_groups:
                group["lr"] = rates[name]
        phase, losses = self.method.train_step(step, batch)
        return StepResult(phase, losses, rates)

    def sample_rows(self) -> list[torch.Tensor]:
        return [self.sample_photos, self.method.inference(self.sample_photos)]

    def meta_fields(self) -> dict[str, Any]:
        return {"init_from": self.init_record}

    def begin(self, resumed: dict[str, Any] | None) -> None:
        if resumed is not None:
            self.init_record = resumed.get("init_from")
        elif self.init_from is not None:
            self._start_from(self.init_from)

    def _start_from(self, path: Path) -> None:
        """A new run's generator takes the weights of an earlier run or an exported model (fine-tuning)."""
        state, meta = load_generator_state(path)
        # Compared with defaults filled in, so a card written before a field existed matches a recipe keeping its
        # default; through JSON, as the card holds lists where the config holds tuples.
        ours = self.recipe.generator
        try:
            theirs = asdict(type(ours)(**meta["recipe"]["generator"]))
        except (TypeError, ValueError) as exc:  # a field this version does not know, or a value it refuses
            raise ValueError(f"{path} holds a {meta['recipe']['generator']} generator: {exc}") from None
        if json.loads(json.dumps(theirs)) != json.loads(json.dumps(asdict(ours))):
            raise ValueError(f"{path} holds a {meta['recipe']['generator']} generator, not this recipe's")
        self.method.generator.load_state_dict(state)
        self.init_record = {"path": str(path), "recipe": meta["recipe"], "step": meta["step"],
                            "wall_time_s": meta["wall_time_s"]}
        log.info("starting from %s (%s, step %d)", path, meta["recipe"]["name"], meta["step"])


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
    `init_from`: a `generator.safetensors` or an exported ``.onnx`` model (with its card) of the same architecture
    whose weights a new run starts from (fine-tuning; recorded in the checkpoints and the model card); ignored when
    the run resumes.
    """
    torch_device = process_device(device)
    options = {}
    if segmenter is not None:
        if not isinstance(recipe, SemanticRecipe):
            raise ValueError(f"a segmenter is used by the semantic recipe only, not by {recipe.name!r}")
        options["segmenter"] = segmenter
    task = CartoonizeTask(recipe, Path(data_root), torch_device, options,
                          Path(init_from) if init_from is not None else None)
    return run_training(task, Path(out_dir), max_minutes=max_minutes, stop_at_step=stop_at_step)
