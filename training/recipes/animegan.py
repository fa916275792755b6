"""`animegan`: AnimeGAN (Chen et al. 2019; docs/METHODS.md, "AnimeGAN"): a light generator, grayscale Gram style, YUV
colour and an adversary that also rejects grayscale and edge-smoothed anime images."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..nets.animegan import AnimeGANConfig
from .cartoon import SCHEDULE_SCALES
from .scale import Scale

__all__ = ["AnimeGANWeights", "AnimeGANRecipe", "RECIPE", "SCALES"]

# The reference data set has 6,656 training photos: at batch 4 one epoch is 1,664 iterations.
_EPOCH_AT_BATCH_4 = 1_664


@dataclass(frozen=True)
class AnimeGANWeights:
    """The paper's loss weights (docs/METHODS.md, "AnimeGAN")."""

    adversarial: float = 300.0  # G: 300 (D(G(p)) - 1)^2; D: 300 [ ... ] (paper 300 for both)
    content: float = 1.5  # L1 of VGG19 conv4_4 of G(p) vs p (paper 1.5; also the whole init-phase loss)
    gram: float = 3.0  # L1 of Gram(conv4_4) of G(p) vs grayscale anime (paper 3)
    color: float = 10.0  # L1(Y) + Huber(U) + Huber(V) of G(p) vs p (paper 10)
    gray: float = 1.0  # D's weight on "grayscale anime is fake" (paper 1)
    smooth: float = 0.1  # D's weight on "edge-smoothed grayscale anime is fake" (paper 0.1)


@dataclass(frozen=True)
class AnimeGANRecipe:
    """Everything that defines one AnimeGAN training run. Schedules in iterations."""

    name: str  # recipe name, also the exported model's default name
    generator: AnimeGANConfig = AnimeGANConfig()
    weights: AnimeGANWeights = AnimeGANWeights()
    crop_size: int = 256  # square training crops (paper: 256)
    batch_size: int = 4  # per process (paper: 4; reference code: 6)
    init_steps: int = _EPOCH_AT_BATCH_4  # content-only phase (paper: 1 epoch; reference: 5)
    gan_steps: int = 100 * _EPOCH_AT_BATCH_4  # GAN phase (paper: 100 epochs)
    lr: float = 8e-5  # Adam lr of G in the GAN phase, constant (paper: 8e-5)
    discriminator_lr: float = 1.6e-4  # Adam lr of D, constant (paper: 1.6e-4)
    init_lr: float = 1e-4  # Adam lr of G in the content-only phase (paper: 1e-4)
    betas: tuple[float, float] = (0.5, 0.999)  # reference code
    real_pair_prob: float = 0.0  # AnimeGAN needs no next frames: no video pairs are read
    # Resize each training image so its short side is crop_size * U(low, high) before cropping (see CartoonRecipe).
    content_scale: tuple[float, float] | None = None
    checkpoint_every: int = 250  # steps between resumable checkpoints (and sample sheets)
    log_every: int = 10  # steps between loss-log lines
    discriminator_width: int = 32  # channels of the discriminator's first conv (paper: 32)
    seed: int = 0
    notes: str = field(default="", compare=False)  # free text recorded in the model card

    @property
    def total_steps(self) -> int:
        return self.init_steps + self.gan_steps


RECIPE = AnimeGANRecipe(name="animegan")

#: The shared crops and step budget (same as pmc / whitebox at every scale, so runs compare); the paper's learning
#: rates at every scale.
SCALES: dict[str, Scale] = dict(SCHEDULE_SCALES)
