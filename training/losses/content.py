"""Content loss: L1 between frozen VGG19 conv4_4 features of the output and of the photo."""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_images, check_same_shape, check_weight

__all__ = ["ContentLoss", "FeatureL1Loss", "REFERENCE_FEATURE_WEIGHT"]

# The reference code computes 200 * mean|dF| / (C * H * W) of the conv4_4 map, 512 x 32 x 32 at a 256 input.
# We keep that effective balance as a constant weight on mean|dF|, so it does not change with the crop size.
REFERENCE_FEATURE_WEIGHT = 200.0 / (512 * 32 * 32)


class FeatureL1Loss(nn.Module):
    """loss_weight * mean |output_features - target_features|, features [N, C, h, w] (e.g. VGG19 conv4_4)."""

    def __init__(self, *, loss_weight: float = REFERENCE_FEATURE_WEIGHT) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)

    def forward(self, output_features: torch.Tensor, target_features: torch.Tensor) -> torch.Tensor:
        check_images("output features", output_features)
        check_same_shape("output features", output_features, "target features", target_features)
        return self.loss_weight * (output_features - target_features.detach()).abs().mean()


class ContentLoss(FeatureL1Loss):
    """Content term: the target is the VGG19 conv4_4 map of the input photo."""
