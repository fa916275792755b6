"""Colorization recipes: `lcmftn` (Zhang et al. WACV 2021) and its no-CMFT ablation, with scales.

The method and the meaning of each field: docs/METHODS.md, "LCMFTN".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..nets.lcmftn import LCMFTNConfig
from .scale import Scale, scaled

__all__ = ["ColorizeRecipe", "COLORIZE_RECIPES", "COLORIZE_SCALES", "get_colorize_recipe"]


@dataclass(frozen=True)
class ColorizeRecipe:
    """Everything that defines one colorization training run."""

    name: str  # recipe name, also the exported model's default name
    network: LCMFTNConfig = LCMFTNConfig()  # architecture (CMFT on/off, attention mode per level, width)
    l1_weight: float = 10.0  # lambda_1 of the pixel L1 term (paper: 10)
    perceptual_weight: float = 2e-2  # lambda_2 of the VGG19 perceptual term (paper: 2e-2)
    # The reference gate's training (our extension; networks with gate_width > 0, else unused). Weight of the
    # cross-entropy that tells the gate which candidate is closest to the truth per pixel
    # (training/losses/gate_selection.py); 0 leaves the gate to the pixel loss alone, which learns slowly where a
    # near-right reference and the network differ little in loss.
    gate_selection_weight: float = 1.0
    # Weight of an L1 term on the network's output before the gate, so the network learns everywhere and not only
    # where the gate already defers to it (the selection loss above only hands it pixels it is better at); 0: none.
    network_l1_weight: float = 10.0
    # The gate's learning rate as a multiple of `lr`: at 1e-4 Adam moves a parameter by at most ~0.3 in 3000 steps,
    # too little for the gate to leave its prior (docs/TRAINING.md).
    gate_lr_scale: float = 10.0
    crop_size: int = 256  # square training crops (paper: 256)
    batch_size: int = 2  # per process (paper: 2)
    epochs: float = 40.0  # passes over the training pairs (paper: 40); ignored when `steps` is set
    steps: int | None = None  # fixed number of optimiser steps (the cpu and smoke scales state this instead)
    lr: float = 1e-4  # Adam, constant (paper: 1e-4)
    betas: tuple[float, float] = (0.5, 0.9)  # paper
    pair_window: int = 40  # frames between reference and target: the paper's sliding-window width
    pair_stride: int = 5  # sliding-window stride (paper: 5)
    # Share of pairs whose target is a random earlier frame of the window, gap drawn log-uniformly (our extension;
    # the paper pairs only the window's ends, so gaps of 1-5 frames are never seen, and a network that never saw them
    # edits an almost exact reference at those gaps; docs/TRAINING.md).
    gap_prob: float = 0.5
    # Frames are resized so that their short side is crop_size times a uniform draw from this range before cropping:
    # the range of scales the network sees (our choice; the paper does not say).
    short_side_range: tuple[float, float] = (1.0, 1.5)
    # Share of steps whose items get a second reference, the frame next to the target (our extension): the engine
    # colours every frame after the first from the keyframe and the previous output (K = 2), and a network trained
    # on K = 1 alone has never had to choose between two references. The second reference is the true colour of
    # that frame unless `own_previous_prob` says otherwise. 0: one reference.
    previous_reference_prob: float = 0.5
    # Share of those two-reference steps whose second reference colour is the network's own output for that frame,
    # computed without gradient from the first reference (scheduled sampling, our extension): the engine's previous
    # reference is its previous output, errors included, and a network that only ever saw the true colour there
    # learns to trust it. 0: always the true colour.
    own_previous_prob: float = 0.0
    styles: tuple[str, ...] | None = None  # line-art styles to train on (None: every style in the data)
    # Warp each reference into the target's geometry by DIS flow between the line arts before the network (our
    # extension; engine/reference_alignment.py). The exported card tells the engine to do the same.
    align_references: bool = True
    checkpoint_every: int = 500  # steps between resumable checkpoints, sample sheets and validation
    log_every: int = 10  # steps between loss-log lines
    validation_pairs: int = 16  # held-out test pairs scored (PSNR) at every checkpoint
    seed: int = 0
    notes: str = field(default="", compare=False)  # free text recorded in the model card

    def __post_init__(self) -> None:
        # The shares are compared with a uniform draw, so 1.5 would silently act as 1 and -1 as 0.
        for share in ("gap_prob", "previous_reference_prob", "own_previous_prob"):
            value = getattr(self, share)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"colorize recipe {self.name!r}: {share} must be between 0 and 1, got {value}")


#: Overrides per scale. `paper`: the paper's settings (a GPU). `cpu`: about an hour of one CPU core: 128 px crops,
#: the paper's batch 2, half the widths (measured on one idle core at batch 4: 2.5 s per step for lcmftn, 1.6 s for
#: the ablation, two thirds of it the VGG19 perceptual loss; so about 1.3 s and 0.8 s at batch 2). `smoke`: seconds.
#: A scale's `network` changes fields of the recipe's LCMFTNConfig (so the ablation keeps cmft=False).
COLORIZE_SCALES: dict[str, Scale] = {
    "paper": Scale(),
    "cpu": Scale(
        {
            "crop_size": 128,
            "short_side_range": (1.0, 2.25),  # 128-288 px: down to the benchmark's 192 and up to the frames' 288
            "steps": 3000,
            "checkpoint_every": 100,
        },
        network={"width": 16, "key_dim": 32},
    ),
    "smoke": Scale(
        {
            "crop_size": 32,
            "batch_size": 2,
            "steps": 2,
            "checkpoint_every": 2,
            "log_every": 1,
            "validation_pairs": 2,
        },
        network={"width": 8, "key_dim": 8, "resnext_blocks": (1, 1, 1)},
    ),
}

COLORIZE_RECIPES: dict[str, ColorizeRecipe] = {
    "lcmftn": ColorizeRecipe(name="lcmftn"),
    "lcmftn_nocmft": ColorizeRecipe(name="lcmftn_nocmft", network=LCMFTNConfig(cmft=False)),
}


def get_colorize_recipe(name: str, scale: str = "paper", **overrides) -> ColorizeRecipe:
    """A registered colorization recipe at a named scale, with optional field overrides (`network` may be a dict
    of LCMFTNConfig fields)."""
    if name not in COLORIZE_RECIPES:
        raise ValueError(f"unknown colorize recipe {name!r}; choose from {sorted(COLORIZE_RECIPES)}")
    return scaled(COLORIZE_RECIPES[name], scale, COLORIZE_SCALES, **overrides)
