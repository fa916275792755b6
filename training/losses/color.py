"""AnimeGAN's colour reconstruction loss (YUV) and the colour conversions it and the grayscale terms use."""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from ._checks import check_images, check_same_shape, check_weight

__all__ = ["ColorLoss", "rgb_to_yuv", "grayscale"]

# RGB -> YUV rows (the AnimeGAN reference's matrix; docs/METHODS.md, "AnimeGAN").
_YUV = (
    (0.299, 0.587, 0.114),
    (-0.14714119, -0.28886916, 0.43601035),
    (0.61497538, -0.51496512, -0.10001026),
)


def rgb_to_yuv(image: torch.Tensor) -> torch.Tensor:
    """RGB [N, 3, H, W] in [-1, 1] -> YUV [N, 3, H, W] of the image mapped to [0, 1] (Y in [0, 1])."""
    check_images("image", image, channels=3)
    matrix = torch.tensor(_YUV, dtype=image.dtype, device=image.device)
    return torch.einsum("yc,nchw->nyhw", matrix, (image + 1.0) / 2.0)


def grayscale(image: torch.Tensor) -> torch.Tensor:
    """RGB [N, 3, H, W] in [-1, 1] -> luma (Y weights) replicated to 3 channels [N, 3, H, W] in [-1, 1]."""
    check_images("image", image, channels=3)
    weights = torch.tensor(_YUV[0], dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    return (image * weights).sum(dim=1, keepdim=True).expand(-1, 3, -1, -1)


class ColorLoss(nn.Module):
    """loss_weight * (L1(Y) + Huber_delta1(U) + Huber_delta1(V)) between the output and the photo, both RGB
    [N, 3, H, W] in [-1, 1] (AnimeGAN weight 10). Each term is a mean over its channel.
    """

    def __init__(self, *, loss_weight: float = 10.0, delta: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)
        if not delta > 0:
            raise ValueError(f"Huber delta must be > 0, got {delta}")
        self.delta = float(delta)

    def forward(self, output: torch.Tensor, photo: torch.Tensor) -> torch.Tensor:
        check_same_shape("output", output, "photo", photo)
        out_yuv, photo_yuv = rgb_to_yuv(output), rgb_to_yuv(photo.detach())
        luma = (out_yuv[:, 0] - photo_yuv[:, 0]).abs().mean()
        chroma = sum(F.huber_loss(out_yuv[:, c], photo_yuv[:, c], delta=self.delta) for c in (1, 2))
        return self.loss_weight * (luma + chroma)
