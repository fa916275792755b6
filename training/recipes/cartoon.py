"""The configuration shared by the cartoonization recipes (`pmc`, `whitebox`) and its training scales."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..losses.content import REFERENCE_FEATURE_WEIGHT
from ..losses.total_variation import REFERENCE_TV_WEIGHT
from ..nets.generator import GeneratorConfig
from .scale import Scale

__all__ = ["LossWeights", "CartoonRecipe", "SCALES", "SCHEDULE_SCALES"]


@dataclass(frozen=True)
class LossWeights:
    """Generator loss weights: the PMC reference code's values (the paper's lambdas in comments)."""

    surface: float = 0.1  # surface adversarial (paper lambda_1 = 0.1)
    texture: float = 1.0  # texture adversarial (paper lambda_2 = 1)
    structure: float = REFERENCE_FEATURE_WEIGHT  # 200 / (C H W) of conv4_4 (paper lambda_3 = 200)
    content: float = REFERENCE_FEATURE_WEIGHT  # 200 / (C H W) of conv4_4 (paper lambda_4 = 200)
    total_variation: float = REFERENCE_TV_WEIGHT  # 1e4 / (3 H W) (paper lambda_5 = 2e4)
    motion: float = 0.0  # PMC lambda_t: 1 in the reference README, 0.1 in the paper; 0 disables PMC


@dataclass(frozen=True)
class CartoonRecipe:
    """Everything that defines one cartoonization training run. States schedules in iterations."""

    name: str  # recipe name, also the exported model's default name
    generator: GeneratorConfig = GeneratorConfig()  # architecture (SSA on/off, window R, width)
    weights: LossWeights = LossWeights()
    crop_size: int = 256  # square training crops (paper: 256)
    batch_size: int = 16  # per process (paper: 16)
    init_steps: int = 10_000  # reconstruction-only phase L1(G(x), x) before the GAN phase
    gan_steps: int = 100_000  # GAN phase: one G step then one D step per iteration (White-box: 100k)
    lr: float = 2e-4  # Adam lr of G and both D, constant for the first half of the GAN phase then linear to 0
    init_lr: float = 2e-4  # Adam lr of the reconstruction phase
    betas: tuple[float, float] = (0.5, 0.99)  # paper; the reference code uses (0.5, 0.999)
    real_pair_prob: float = 0.5  # share of PMC pairs taken from real consecutive video frames (else random affine)
    superpixel_segments: int = 200  # SLIC segments of the structure representation
    # White-box's reference code guided-filters G's output by the photo in the GAN phase (radius, eps) and every loss
    # sees the filtered image; exported models then carry White-box's inference filter (r 1, eps 5e-3). None: off.
    output_filter: tuple[int, float] | None = (1, 1e-2)
    # Resize each training image so its short side is crop_size * U(low, high) before cropping, so that small CPU
    # crops frame whole objects as the paper's 256 px crops of 256-384 px images do. None: only upscale to fit.
    content_scale: tuple[float, float] | None = None
    motion_queries: int = 256  # PMC query positions sampled per layer per step
    motion_layers: tuple[str, ...] = ("relu2_1", "relu3_1", "relu4_1")  # VGG19 layers of the PMC loss
    checkpoint_every: int = 250  # steps between resumable checkpoints (and sample sheets)
    log_every: int = 10  # steps between loss-log lines
    discriminator_width: int = 32  # channels of the first discriminator stage
    seed: int = 0
    notes: str = field(default="", compare=False)  # free text recorded in the model card

    @property
    def total_steps(self) -> int:
        return self.init_steps + self.gan_steps

    @property
    def uses_motion(self) -> bool:
        return self.weights.motion > 0.0


#: The crops and step budget every cartoonization recipe shares at each scale (so methods compare on equal terms).
#: `paper`: the papers' scale, for a GPU. `cpu`: what fits on 2 CPU cores in about two hours (small crops and
#: batches, few steps). `smoke`: seconds, for tests.
SCHEDULE_SCALES: dict[str, Scale] = {
    "paper": Scale(),
    "cpu": Scale({
        "crop_size": 96,
        "batch_size": 6,
        "init_steps": 200,
        "gan_steps": 600,
        "content_scale": (1.0, 1.5),
        "checkpoint_every": 100,
    }),
    "smoke": Scale({
        "crop_size": 32,
        "batch_size": 2,
        "init_steps": 2,
        "gan_steps": 2,
        "checkpoint_every": 2,
        "log_every": 1,
    }),
}

#: Overrides applied on top of the `pmc` and `whitebox` recipes: the shared schedule plus their own fields.
SCALES: dict[str, Scale] = {
    "paper": Scale(),
    "cpu": Scale(
        {
            **SCHEDULE_SCALES["cpu"].fields,
            # At batch 6 the paper's 2e-4 swung the output's mean by 0.4 per step and the baseline collapsed to a
            # saturated constant frame within 20 GAN steps, twice; half the rate keeps the GAN phase calmer.
            "lr": 1e-4,
            "motion_queries": 128,
            "superpixel_segments": 60,
        },
        # At the reference balance a constant frame costs the content term only ~0.1 more than the photo itself,
        # less than the adversarial terms gain at batch 6: the baseline collapsed to one flat colour in all four
        # CPU runs. Ten times the content and structure weights keeps the photo's content (and the superpixel
        # flatness).
        loss_gains={"content": 10.0, "structure": 10.0},
    ),
    "smoke": Scale({
        **SCHEDULE_SCALES["smoke"].fields,
        "motion_queries": 16,
        "superpixel_segments": 8,
    }),
}
