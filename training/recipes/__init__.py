"""Training recipes, one file per method, each with its table of scales (`paper`, `cpu`, `smoke`)."""
from __future__ import annotations

from . import animegan, pmc, semantic, whitebox
from .animegan import AnimeGANRecipe
from .cartoon import SCALES, CartoonRecipe, LossWeights, scaled
from .semantic import SemanticRecipe

__all__ = [
    "RECIPES", "SCALES", "AnimeGANRecipe", "CartoonRecipe", "LossWeights", "Recipe", "SemanticRecipe", "get_recipe",
]

Recipe = CartoonRecipe | AnimeGANRecipe | SemanticRecipe

_MODULES = (pmc, whitebox, animegan, semantic)
RECIPES: dict[str, Recipe] = {module.RECIPE.name: module.RECIPE for module in _MODULES}
_SCALES: dict[str, dict[str, dict]] = {module.RECIPE.name: module.SCALES for module in _MODULES}


def get_recipe(name: str, scale: str = "paper", **overrides) -> Recipe:
    """A registered recipe at a named scale (`paper`, `cpu`, `smoke`)."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose from {sorted(RECIPES)}")
    return scaled(RECIPES[name], scale, _SCALES[name], **overrides)
