"""`semantic`: semantic-aware cartoon style transfer (Bai): a U-Net generator, White-box's surface and texture
adversaries, TV, content, and a semantic loss through a frozen segmenter.

The method: docs/METHODS.md, "Semantic-aware style transfer".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..losses.content import REFERENCE_FEATURE_WEIGHT
from ..losses.total_variation import REFERENCE_TV_WEIGHT
from ..nets.unet import UNetConfig
from .cartoon import SCHEDULE_SCALES
from .scale import Scale

__all__ = ["SemanticWeights", "SemanticRecipe", "RECIPE", "SCALES"]


@dataclass(frozen=True)
class SemanticWeights:
    """Generator loss weights. The paper gives no values: White-box's for the shared terms."""

    surface: float = 0.1  # surface adversarial (White-box 0.1)
    texture: float = 1.0  # texture adversarial (White-box 1)
    content: float = REFERENCE_FEATURE_WEIGHT  # 200 / (C H W) of conv4_4 (White-box / PMC reference)
    total_variation: float = REFERENCE_TV_WEIGHT  # 1e4 / (3 H W) (White-box / PMC reference)
    # [U] our choice: with the default VGG-cluster segmenter this makes the term about as large as the content term
    # for blurred or noisy outputs (measured on 96 px training photos: 0.094 vs 0.15 for a 5x5 blur).
    semantic: float = 5.0


@dataclass(frozen=True)
class SemanticRecipe:
    """Everything that defines one semantic-aware training run. Schedules in iterations."""

    name: str  # recipe name, also the exported model's default name
    generator: UNetConfig = UNetConfig()
    weights: SemanticWeights = SemanticWeights()
    crop_size: int = 256  # square training crops
    batch_size: int = 16  # per process (paper: 16)
    init_steps: int = 10_000  # reconstruction pretraining L1(G(x), x) (paper: 100 epochs; size of its data unknown)
    gan_steps: int = 100_000  # GAN phase (White-box: 100k)
    lr: float = 2e-4  # Adam lr of G and both D (paper: 2e-4), constant for the first half then linear to 0
    init_lr: float = 2e-4  # Adam lr of the pretraining phase
    betas: tuple[float, float] = (0.5, 0.99)
    real_pair_prob: float = 0.0  # no next frames are needed
    content_scale: tuple[float, float] | None = None  # see CartoonRecipe
    # Default segmenter (a substitution, see training/nets/segmenter.py): VGG19 relu4_1 features softly assigned
    # to `segment_clusters` centres fitted by k-means on the first `segment_fit_images` training photos.
    segment_clusters: int = 16
    segment_temperature: float = 0.1  # softmax temperature over cosine similarities
    segment_fit_images: int = 64
    checkpoint_every: int = 250
    log_every: int = 10
    discriminator_width: int = 32  # channels of the first discriminator stage
    seed: int = 0
    notes: str = field(default="", compare=False)  # free text recorded in the model card

    @property
    def total_steps(self) -> int:
        return self.init_steps + self.gan_steps


RECIPE = SemanticRecipe(name="semantic")

#: The shared crops and step budget; at the CPU scale the same halved lr as pmc / whitebox (same adversaries).
SCALES: dict[str, Scale] = {
    "paper": Scale(),
    "cpu": Scale({**SCHEDULE_SCALES["cpu"].fields, "lr": 1e-4, "segment_fit_images": 32}),
    "smoke": Scale({**SCHEDULE_SCALES["smoke"].fields, "segment_clusters": 4, "segment_fit_images": 4}),
}
