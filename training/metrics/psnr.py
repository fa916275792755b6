"""Peak signal-to-noise ratio of images in [-1, 1] (the colorization papers' PSNR on 8-bit RGB)."""
from __future__ import annotations

import torch

__all__ = ["psnr"]


def psnr(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """PSNR in dB per image of [N, C, H, W] tensors in [-1, 1], quantised to 8 bits first like saved frames.

    Returns [N]. Identical images give inf.
    """
    if output.shape != target.shape or output.dim() != 4:
        raise ValueError(f"psnr needs two [N, C, H, W] tensors of one shape, got {tuple(output.shape)} and "
                         f"{tuple(target.shape)}")
    to_bytes = lambda x: ((x.clamp(-1, 1) + 1) * 127.5).round()  # noqa: E731
    mse = (to_bytes(output) - to_bytes(target)).pow(2).flatten(1).mean(dim=1)
    return 10 * torch.log10(255.0**2 / mse)
