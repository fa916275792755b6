"""AnimeGAN's grayscale style loss: L1 between Gram matrices of VGG19 features."""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_images, check_weight

__all__ = ["GramStyleLoss", "gram_matrix"]


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] -> [N, C, C]: F^T F / (H W C), F the features as an (H W) x C matrix per sample."""
    check_images("features", features)
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w * c)


class GramStyleLoss(nn.Module):
    """loss_weight * mean |Gram(output_features) - Gram(style_features)| (AnimeGAN weight 3).

    output_features: VGG19 conv4_4 of G(photo) [N, C, h, w]; style_features: of the grayscale anime images
    [N, C, h', w'] (same N and C; the Gram matrix does not depend on the spatial size).
    """

    def __init__(self, *, loss_weight: float = 3.0) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)

    def forward(self, output_features: torch.Tensor, style_features: torch.Tensor) -> torch.Tensor:
        check_images("output features", output_features)
        check_images("style features", style_features)
        if output_features.shape[:2] != style_features.shape[:2]:
            raise ValueError(f"output features {tuple(output_features.shape)} and style features "
                             f"{tuple(style_features.shape)} must share batch size and channels")
        difference = gram_matrix(output_features) - gram_matrix(style_features.detach())
        return self.loss_weight * difference.abs().mean()
