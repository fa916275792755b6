"""Training recipes, one file per method."""
from __future__ import annotations

from . import pmc, whitebox
from .cartoon import SCALES, CartoonRecipe, LossWeights, scaled

__all__ = ["RECIPES", "SCALES", "CartoonRecipe", "LossWeights", "get_recipe"]

RECIPES: dict[str, CartoonRecipe] = {module.RECIPE.name: module.RECIPE for module in (pmc, whitebox)}


def get_recipe(name: str, scale: str = "paper", **overrides) -> CartoonRecipe:
    """A registered recipe at a named scale (`paper`, `cpu`, `smoke`)."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose from {sorted(RECIPES)}")
    return scaled(RECIPES[name], scale, **overrides)
