"""`whitebox`: the PMC paper's "Baseline": the same generator without SSA, trained without the PMC loss."""
from ..nets.generator import GeneratorConfig
from .cartoon import CartoonRecipe, LossWeights

RECIPE = CartoonRecipe(
    name="whitebox",
    generator=GeneratorConfig(use_ssa=False),
    weights=LossWeights(motion=0.0),
)
