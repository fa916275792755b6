"""Training recipes, one file per method, each with its table of scales (`paper`, `cpu`, `smoke`)."""
from __future__ import annotations

from . import animegan, pmc, semantic, whitebox
from .animegan import AnimeGANRecipe
from .cartoon import SCALES, CartoonRecipe, LossWeights
from .distill import DISTILL_RECIPES, DISTILL_SCALES, DistillRecipe
from .scale import Scale, scaled
from .semantic import SemanticRecipe

__all__ = [
    "RECIPES", "SCALES", "AnimeGANRecipe", "CartoonRecipe", "DistillRecipe", "LossWeights", "Recipe", "Scale",
    "SemanticRecipe", "get_recipe",
]

Recipe = CartoonRecipe | AnimeGANRecipe | SemanticRecipe | DistillRecipe

_MODULES = (pmc, whitebox, animegan, semantic)
RECIPES: dict[str, Recipe] = {module.RECIPE.name: module.RECIPE for module in _MODULES} | DISTILL_RECIPES
_SCALES: dict[str, dict[str, Scale]] = ({module.RECIPE.name: module.SCALES for module in _MODULES}
                                       | {name: DISTILL_SCALES for name in DISTILL_RECIPES})


def get_recipe(name: str, scale: str = "paper", **overrides) -> Recipe:
    """A registered recipe at a named scale (`paper`, `cpu`, `smoke`)."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose from {sorted(RECIPES)}")
    return scaled(RECIPES[name], scale, _SCALES[name], **overrides)
