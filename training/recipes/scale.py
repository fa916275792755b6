"""A recipe's named scales (`paper`, `cpu`, `smoke`): what each one changes, as a typed object."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

__all__ = ["Scale", "scaled"]

R = TypeVar("R")


@dataclass(frozen=True)
class Scale:
    """What a recipe becomes at one scale.

    Attributes:
        fields: recipe fields replaced at this scale (crop size, steps, learning rate...).
        loss_gains: factors on fields of the recipe's ``weights`` (each recipe keeps its other weights).
        network: fields of the recipe's ``network`` config replaced at this scale (colorize).
    """

    fields: Mapping[str, Any] = field(default_factory=dict)
    loss_gains: Mapping[str, float] = field(default_factory=dict)
    network: Mapping[str, Any] = field(default_factory=dict)

    def apply(self, recipe: R, **overrides: Any) -> R:
        """``recipe`` at this scale, then ``overrides`` (a ``network`` override may be a config or a dict of its
        fields, which goes on top of this scale's)."""
        changes = {**self.fields, **overrides}
        if self.loss_gains:
            weights = recipe.weights  # type: ignore[attr-defined]
            changes["weights"] = replace(weights, **{name: getattr(weights, name) * gain
                                                     for name, gain in self.loss_gains.items()})
        network = changes.pop("network", None)
        if network is None or isinstance(network, Mapping):
            network_fields = {**self.network, **(network or {})}
            if network_fields:
                changes["network"] = replace(recipe.network, **network_fields)  # type: ignore[attr-defined]
        else:
            changes["network"] = network
        return replace(recipe, **changes)  # type: ignore[type-var]


def scaled(recipe: R, scale: str, scales: Mapping[str, Scale], **overrides: Any) -> R:
    """``recipe`` at the named ``scale`` of its table, with optional further field overrides.

    Raises:
        ValueError: a scale the table does not have.
    """
    if scale not in scales:
        raise ValueError(f"unknown scale {scale!r}; choose from {sorted(scales)}")
    return scales[scale].apply(recipe, **overrides)
