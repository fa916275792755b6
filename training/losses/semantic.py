"""Semantic loss of Bai's semantic-aware cartoonization: || Seg(G(I)) - Seg(I) ||.

The method: docs/METHODS.md, "Semantic-aware style transfer".
"""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_images, check_same_shape, check_weight

__all__ = ["SemanticLoss"]


class SemanticLoss(nn.Module):
    """loss_weight * mean |Seg(output) - Seg(photo)| over [N, K, h, w], with a frozen segmenter.

    output, photo: RGB [N, 3, H, W] in [-1, 1]. `segmenter` (see `training.nets.segmenter.Segmenter`) maps them to
    per-pixel class scores or features [N, K, h, w]; it is frozen here (no gradient to its parameters, eval mode),
    the photo side runs without gradients and the output side carries gradients to the generator.
    """

    def __init__(self, segmenter: nn.Module, *, loss_weight: float = 1.0) -> None:
        super().__init__()
        if not callable(segmenter):
            raise TypeError(f"segmenter must be callable (image -> [N, K, h, w]), got {type(segmenter).__name__}")
        self.loss_weight = check_weight(loss_weight)
        if isinstance(segmenter, nn.Module):
            segmenter.requires_grad_(False).eval()
        self.segmenter = segmenter

    def train(self, mode: bool = True) -> "SemanticLoss":
        # The segmenter stays in eval mode (frozen batch-norm statistics, no dropout).
        super().train(mode)
        if isinstance(self.segmenter, nn.Module):
            self.segmenter.eval()
        return self

    def forward(self, output: torch.Tensor, photo: torch.Tensor) -> torch.Tensor:
        check_images("output", output, channels=3)
        check_same_shape("output", output, "photo", photo)
        with torch.no_grad():
            target = self.segmenter(photo)
        prediction = self.segmenter(output)
        check_images("segmenter output", prediction)
        return self.loss_weight * (prediction - target).abs().mean()
