"""Simulated next frames for PMC (docs/METHODS.md, "Simulated next frames"): a small random affine motion of the
same image."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["AffineRange", "random_affine_matrices", "warp_affine"]


@dataclass(frozen=True)
class AffineRange:
    rotation_deg: float = 1.0  # rotation uniform in +-this
    translation: float = 0.01  # translation uniform in +-this fraction of the image size
    scale_low: float = 0.97  # isotropic scale uniform in [scale_low, scale_high]
    scale_high: float = 1.03
    shear_deg: float = 1.0  # shear uniform in +-this


def random_affine_matrices(count: int, limits: AffineRange = AffineRange(), *,
                           generator: torch.Generator | None = None) -> torch.Tensor:
    """[count, 2, 3] affine matrices in normalised coordinates ([-1, 1] both axes), as `affine_grid` expects."""
    draw = torch.rand(count, 5, generator=generator) * 2 - 1  # [-1, 1)
    angle = torch.deg2rad(draw[:, 0] * limits.rotation_deg)
    shear = torch.deg2rad(draw[:, 1] * limits.shear_deg)
    scale = limits.scale_low + (draw[:, 2] + 1) / 2 * (limits.scale_high - limits.scale_low)
    shift = draw[:, 3:5] * limits.translation * 2  # a fraction f of the size is 2f in normalised units
    cos, sin, tan = torch.cos(angle), torch.sin(angle), torch.tan(shear)
    matrices = torch.zeros(count, 2, 3)
    matrices[:, 0, 0] = scale * cos
    matrices[:, 0, 1] = scale * (cos * tan - sin)
    matrices[:, 1, 0] = scale * sin
    matrices[:, 1, 1] = scale * (sin * tan + cos)
    matrices[:, :, 2] = shift
    return matrices


def warp_affine(images: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """Warp [N, C, H, W] (or [C, H, W] with one [2, 3] matrix) bilinearly, borders reflected."""
    single = images.dim() == 3
    batch = images.unsqueeze(0) if single else images
    theta = matrices.unsqueeze(0) if matrices.dim() == 2 else matrices
    if theta.shape != (len(batch), 2, 3):
        raise ValueError(f"need one [2, 3] matrix per image, got {tuple(theta.shape)} for {len(batch)} images")
    grid = F.affine_grid(theta.to(batch), list(batch.shape), align_corners=False)
    out = F.grid_sample(batch, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    return out[0] if single else out
