"""Spectral-norm patch discriminator of White-box / PMC (docs/METHODS.md, "White-box and PMC"): one for surface
(3 ch), one for texture (1 ch).
With `spectral_head=False` it is the PatchGAN of Bai's semantic-aware method (docs/METHODS.md, "Semantic-aware
style transfer"): spectral norm after every conv but the last."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

__all__ = ["PatchDiscriminator"]


class PatchDiscriminator(nn.Module):
    """[N, in_channels, H, W] -> patch realness map [N, 1, H/8, W/8] (unbounded, for LSGAN).

    Three stages k = 0, 1, 2: spectral-norm 3x3 conv stride 2 to width * 2^k channels, LeakyReLU, spectral-norm 3x3
    conv stride 1, LeakyReLU; head: 1x1 conv to one channel, spectral-norm unless `spectral_head` is False.
    """

    def __init__(self, *, in_channels: int, width: int = 32, slope: float = 0.2, spectral_head: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for stage in range(3):
            out = width * 2**stage
            layers += [
                spectral_norm(nn.Conv2d(channels, out, 3, stride=2, padding=1)),
                nn.LeakyReLU(slope),
                spectral_norm(nn.Conv2d(out, out, 3, padding=1)),
                nn.LeakyReLU(slope),
            ]
            channels = out
        head = nn.Conv2d(channels, 1, 1)
        layers.append(spectral_norm(head) if spectral_head else head)
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)
