"""`whitebox`: the PMC paper's "Baseline": the same generator without SSA, trained without the PMC loss."""
from ..nets.generator import GeneratorConfig
from .cartoon import SCALES, CartoonRecipe, LossWeights

__all__ = ["RECIPE", "SCALES"]

RECIPE = CartoonRecipe(
    name="whitebox",
    generator=GeneratorConfig(use_ssa=False),
    weights=LossWeights(motion=0.0),
)
