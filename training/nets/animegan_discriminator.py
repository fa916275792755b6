"""The AnimeGAN discriminator (Chen et al. 2019; docs/METHODS.md, "AnimeGAN"): spectral norm on every convolution.

conv 32 + LReLU | stage 1: stride-2 conv 64 + LReLU, conv 128 + IN + LReLU | stage 2: stride-2 conv 128 + LReLU,
conv 256 + IN + LReLU | conv 256 + IN + LReLU | conv to 1 channel. All 3x3 convs without bias, LReLU 0.2.
Grayscale inputs (the grayscale and edge-smoothed anime sets) are given as 3 equal channels.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

__all__ = ["AnimeGANDiscriminator"]


def _conv(in_channels: int, out_channels: int, stride: int = 1) -> nn.Module:
    return spectral_norm(nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False))


class AnimeGANDiscriminator(nn.Module):
    """[N, in_channels, H, W] -> patch realness map [N, 1, H/4, W/4] (unbounded, for LSGAN)."""

    def __init__(self, *, in_channels: int = 3, width: int = 32, slope: float = 0.2) -> None:
        super().__init__()
        w = width
        layers: list[nn.Module] = [_conv(in_channels, w), nn.LeakyReLU(slope)]
        channels = w
        for stage in (1, 2):
            layers += [
                _conv(channels, w * 2**stage, stride=2), nn.LeakyReLU(slope),
                _conv(w * 2**stage, w * 2 ** (stage + 1)), nn.InstanceNorm2d(w * 2 ** (stage + 1), affine=True),
                nn.LeakyReLU(slope),
            ]
            channels = w * 2 ** (stage + 1)
        layers += [_conv(channels, channels), nn.InstanceNorm2d(channels, affine=True), nn.LeakyReLU(slope)]
        layers.append(_conv(channels, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)
