"""VGG19 perceptual loss of the LCMFTN colorization training (docs/METHODS.md, "LCMFTN"; lambda_2 = 2e-2)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from ..nets.vgg import VGG19Features
from ._checks import check_images, check_same_shape, check_weight

__all__ = ["PerceptualLoss", "PERCEPTUAL_LAYERS", "CAFFE_FEATURE_SCALE"]

#: The paper's layers "1, 3, 5, 9, 13", read as the 1st, 3rd, 5th, 9th and 13th conv layers of VGG19 (our reading).
PERCEPTUAL_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
# Our VGG19 (Caffe weights) sees BGR 0..255 minus the mean; a PyTorch VGG19, as a PyTorch training of the paper
# would use, sees (x - mean) / std with std about 0.226 of 0..1, so its activations are about 255 * 0.226 = 57.6
# times smaller. Feature differences are divided by that factor so that the paper's lambda_2 = 2e-2 keeps its balance
# against 10 x L1 (unscaled, the perceptual term of a random output is ~27 against ~6 for the L1 term). [U] decision.
CAFFE_FEATURE_SCALE = 255.0 * 0.226


class PerceptualLoss(nn.Module):
    """loss_weight * sum over layers of mean |VGG19(output) - VGG19(target)| / CAFFE_FEATURE_SCALE.

    output, target: RGB [N, 3, H, W] in [-1, 1] (H, W >= 16: conv5_1 sits at 1/16). Frozen ImageNet VGG19 with its
    Caffe preprocessing; pre-ReLU conv activations, every layer weighted equally. The target side runs without
    gradients.
    """

    def __init__(
        self,
        *,
        loss_weight: float = 2e-2,
        layers: Sequence[str] = PERCEPTUAL_LAYERS,
        vgg_weights: Path | None = None,
    ) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)
        self.layers = tuple(layers)
        self.vgg = VGG19Features(layers=self.layers, weights=vgg_weights)

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_images("output", output, channels=3)
        check_same_shape("output", output, "target", target)
        if min(output.shape[-2:]) < 16:
            raise ValueError(f"perceptual loss needs images of at least 16 x 16, got {tuple(output.shape[-2:])}")
        with torch.no_grad():
            target_features = self.vgg(target)
        output_features = self.vgg(output)
        total = sum((output_features[name] - target_features[name]).abs().mean() for name in self.layers)
        return self.loss_weight * total / CAFFE_FEATURE_SCALE
