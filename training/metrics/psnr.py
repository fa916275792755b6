"""Peak signal-to-noise ratio on 8-bit RGB (the colorization papers' PSNR): of network tensors in [-1, 1], and of
uint8 frames as the engine writes them."""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["psnr", "psnr_uint8"]


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


def psnr_uint8(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR (dB) of two uint8 images; identical images give 100 dB (as the colorize benchmark caps it)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 100.0 if mse == 0.0 else min(100.0, 10.0 * np.log10(255.0 ** 2 / mse))
