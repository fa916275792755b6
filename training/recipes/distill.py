"""Distillation recipes: a cartoon generator learns a teacher style's look (training/teacher) from its cached
targets, with the temporal terms the per-frame teacher lacks. One recipe per shipped model: `cel`, `cel_lite`,
`comic`, `comic_lite` (the recipe name is the model name)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..nets.generator import GeneratorConfig
from ..teacher.style import get_style
from .scale import Scale

__all__ = ["DistillWeights", "DistillRecipe", "DISTILL_RECIPES", "DISTILL_SCALES", "FULL_GENERATOR", "LITE_GENERATOR"]

#: The full student: the White-box / PMC generator without SSA (SSA costs ~1.8x the time at 720p and a per-frame
#: teacher gives it no motion to align).
FULL_GENERATOR = GeneratorConfig(width=32, residual_blocks=4, use_ssa=False, residual_output=True)
#: The lite student: half the width and half the residual blocks, for speed; a 3x3 RGB stem and head because at full
#: resolution the 7x7 ones are memory-bound and int8 does not speed them up (docs/TRAINING.md, "Lite speed").
LITE_GENERATOR = GeneratorConfig(width=16, residual_blocks=2, rgb_kernel=3, use_ssa=False, residual_output=True)


@dataclass(frozen=True)
class DistillWeights:
    """Loss weights of one distillation step (outputs and targets in [-1, 1])."""

    pixel: float = 1.0  # L1 to the teacher's target, both frames of the pair
    gradient: float = 1.0  # L1 between output and target image gradients: keeps lines and region borders sharp
    temporal: float = 0.5  # flow-warped short-term loss between the pair's outputs (valid pixels only)
    motion: float = 0.05  # PMC (Liu et al. 2022) on VGG19 features of the pair; 0 disables it (and the VGG)
    # L1 between the outputs and the targets both after a differentiable copy of the engine's finish (needs
    # tones_in_engine): charges a pixel on the wrong side of a tone step or a line threshold as the user sees it,
    # where the flat pixel term charges it by its small lightness error (docs/TRAINING.md, "The pixel term through
    # the finish"); 0: off
    finish: float = 0.0


@dataclass(frozen=True)
class DistillRecipe:
    """Everything that defines one distillation run; schedules in steps."""

    name: str  # recipe name = exported model name
    style: str  # teacher style (training/teacher/style.py) whose targets are learned
    generator: GeneratorConfig = FULL_GENERATOR
    weights: DistillWeights = DistillWeights()
    crop_size: int = 256  # square training crops
    batch_size: int = 16  # pairs per step (each pair is two frames through the generator)
    steps: int = 20_000
    lr: float = 4e-4  # Adam, cosine decay to lr * final_lr_fraction over the run
    final_lr_fraction: float = 0.05
    betas: tuple[float, float] = (0.9, 0.99)
    real_pair_prob: float = 0.5  # share of pairs that are real consecutive clip frames (else a random affine)
    # Real pairs regress the teacher's clip targets run through the engine's stabiliser (bootstrap-distill
    # --stable), so the pixel term does not pull towards the per-frame teacher's flicker. Off in the shipped
    # recipes: no held-out effect in session 23 (docs/TRAINING.md, "Flicker without the stabiliser")
    stable_targets: bool = False
    # Largest standard deviation (in [0, 1] units) of the Gaussian noise each input frame gets on its own, the
    # targets none: teaches the student not to pass noise on as flicker (0: none; off in the shipped recipes, same
    # section: held-out E_short -2 %, PSNR to the teacher -0.5 dB)
    input_noise: float = 0.0
    # The engine draws the teacher's ink lines on the student's output (card postprocess.ink_lines, with the
    # style's own XDoG parameters); the student regresses the style's targets without ink (bootstrap-distill
    # --without-ink): docs/TRAINING.md, "The teacher's ink drawn by the engine"
    ink_in_engine: bool = False
    # The engine also does the style's tone steps and chroma lift (card postprocess.tone_steps), and finds the ink
    # lines on the network's lightness before them as the teacher does: the student regresses the style's flattened
    # frames only (bootstrap-distill --flat-only), a smooth map, and the engine places the steps it cannot; implies
    # the ink in the engine. docs/TRAINING.md, "Tone steps drawn by the engine"
    tones_in_engine: bool = False
    # With tones_in_engine (or chroma_in_engine): the temporal term compares the pair's outputs after a
    # differentiable copy of the engine's finish (training/teacher/differentiable_finish.py), where the steps and lines
    # (or the chroma gain) amplify small changes, instead of the network's own outputs: docs/TRAINING.md, "Training
    # through the finish"
    temporal_on_finish: bool = False
    # The engine lifts the style's chroma (card postprocess.tone_steps with no steps); the student regresses the
    # style's frames without the lift (bootstrap-distill --unlifted) and draws the steps and lines itself:
    # docs/TRAINING.md, "The chroma lift left to the engine"
    chroma_in_engine: bool = False
    motion_queries: int = 64  # PMC query positions per layer per step
    motion_layers: tuple[str, ...] = ("relu2_1", "relu3_1")  # shallow layers: the deeper ones cost most on a CPU
    # Pairs of each batch that PMC sees (None: all). Its VGG pass costs more than the full generator's step on a
    # CPU, so the cpu scale gives it a part of the batch.
    motion_pairs: int | None = None
    checkpoint_every: int = 500
    log_every: int = 10
    seed: int = 0
    notes: str = field(default="", compare=False)  # free text recorded in the model card

    def __post_init__(self) -> None:
        if self.temporal_on_finish and not (self.tones_in_engine or self.chroma_in_engine):
            raise ValueError(f"distillation recipe {self.name!r}: temporal_on_finish needs tones_in_engine or "
                             "chroma_in_engine (only then does the engine finish the output)")
        if self.chroma_in_engine and (self.tones_in_engine or self.ink_in_engine):
            raise ValueError(f"distillation recipe {self.name!r}: chroma_in_engine is for a student that draws the "
                             "steps and lines itself; tones_in_engine or ink_in_engine leave those to the engine")
        if self.weights.finish > 0 and not self.tones_in_engine:
            raise ValueError(f"distillation recipe {self.name!r}: a finish loss weight needs tones_in_engine (only "
                             "then does the engine finish the output)")

    @property
    def target_style(self) -> str:
        """The name of the targets the student regresses (the style's, its flattened frames', its ink-free or its
        unlifted twin's)."""
        return get_style(self.style).student_targets(tones_in_engine=self.tones_in_engine,
                                                     ink_in_engine=self.ink_in_engine,
                                                     chroma_in_engine=self.chroma_in_engine).name

    @property
    def total_steps(self) -> int:
        return self.steps

    @property
    def init_steps(self) -> int:
        """No reconstruction phase: the exporter's card reports 0."""
        return 0


DISTILL_RECIPES: dict[str, DistillRecipe] = {
    recipe.name: recipe
    for recipe in (
        DistillRecipe(name="cel", style="cel"),
        DistillRecipe(name="cel_lite", style="cel", generator=LITE_GENERATOR),
        DistillRecipe(name="comic", style="comic"),
        DistillRecipe(name="comic_lite", style="comic", generator=LITE_GENERATOR),
    )
}

#: `paper`: GPU scale. `cpu`: about 40 minutes of one core of these machines for the full generator (the lite one
#: takes a fifth of the time per step, so its runs override `steps`).
#: `smoke`: seconds, for tests.
DISTILL_SCALES: dict[str, Scale] = {
    "paper": Scale(),
    "cpu": Scale({"crop_size": 112, "batch_size": 6, "steps": 1400, "motion_pairs": 2, "checkpoint_every": 100}),
    "smoke": Scale({"crop_size": 32, "batch_size": 2, "steps": 3, "checkpoint_every": 2, "log_every": 1,
                    "motion_queries": 8}),
}
