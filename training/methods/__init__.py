"""Training methods: what each recipe family contributes to the cartoonize task (training/train.py) of the shared
training loop (training/loop.py)."""
from __future__ import annotations

from ..recipes import RECIPES, AnimeGANRecipe, CartoonRecipe, DistillRecipe, SemanticRecipe
from .animegan import AnimeGANMethod
from .base import TrainingMethod
from .distill import DistillMethod
from .semantic import SemanticMethod
from .whitebox import WhiteBoxMethod

__all__ = ["TrainingMethod", "method_for", "method_for_name"]

_BY_RECIPE_TYPE: dict[type, type[TrainingMethod]] = {
    CartoonRecipe: WhiteBoxMethod,
    AnimeGANRecipe: AnimeGANMethod,
    SemanticRecipe: SemanticMethod,
    DistillRecipe: DistillMethod,
}


def method_for(recipe: object) -> type[TrainingMethod]:
    """The method that trains `recipe` (by its dataclass)."""
    try:
        return _BY_RECIPE_TYPE[type(recipe)]
    except KeyError:
        raise TypeError(f"no training method for recipe type {type(recipe).__name__}") from None


def method_for_name(recipe_name: str) -> type[TrainingMethod]:
    """The method of a registered recipe name, as saved in checkpoints and generator metadata."""
    if recipe_name not in RECIPES:
        raise ValueError(f"unknown recipe {recipe_name!r} in the generator's metadata; known: {sorted(RECIPES)}")
    return method_for(RECIPES[recipe_name])
