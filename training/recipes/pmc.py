"""`pmc`: the full method of Liu et al. (AAAI 2022): SSA generator + White-box representations + PMC loss."""
from ..nets.generator import GeneratorConfig
from .cartoon import SCALES, CartoonRecipe, LossWeights

__all__ = ["RECIPE", "SCALES"]

RECIPE = CartoonRecipe(
    name="pmc",
    generator=GeneratorConfig(use_ssa=True, ssa_window=3),
    weights=LossWeights(motion=1.0),
)
