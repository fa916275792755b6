"""The AnimeGAN generator (Chen et al. 2019; docs/METHODS.md, "AnimeGAN"), readable top to bottom.

Blocks (instance norm with affine parameters, LeakyReLU 0.2, convolutions without bias, reflect padding):
- Conv-Block: 3x3 conv + IN + LReLU.
- DSConv: depthwise 3x3 conv + pointwise 1x1 conv + IN + LReLU.
- Down-Conv: DSConv with stride 2, plus (bilinear / 2 then DSConv), summed.
- Up-Conv: bilinear x 2 then DSConv.
- IRB (inverted residual block): 1x1 Conv-Block 256 -> 512, depthwise 3x3 + IN + LReLU, 1x1 conv to 256 + IN,
  added to the block's input.

Generator: Conv 3->64, Conv 64, Down 64->128 | Conv 128, DSConv 128, Down 128->256 | Conv 256, 8 IRBs, Conv 256 |
Up 256->128, DSConv 128, Conv 128 | Up 128->128, Conv 64, Conv 64 | 1x1 conv to 3, tanh.

Size against the paper's Table 1 (3.96 M parameters, 38.66 GFLOPs at 256 x 256), counted with
`training.nets.complexity` (forward hooks on every convolution; instance norm, activations and resizing not
counted): 3,956,096 parameters, which matches the table's 3.96 M, and 31.06 G multiply-accumulates (62.1 GFLOP at
2 FLOP per MAC) at 256 x 256. The compute does not match: the paper's 38.66 is neither our MACs nor our FLOPs.
Since the parameter count agrees to the last digit shown, the layer list is the same; the paper's
figure most likely comes from a profiler that counts some layers differently (e.g. TensorFlow's profiler at
another input size, or depthwise/strided layers counted at a reduced cost). We report our own count; the test
pins both numbers.

Instance norm makes every output pixel depend on statistics of the whole frame, so this generator does not
support tiled inference (a tile's statistics differ from the frame's); the exported card says so.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["AnimeGANConfig", "AnimeGANGenerator"]


@dataclass(frozen=True)
class AnimeGANConfig:
    width: int = 64  # channels at full resolution; H/2 has 2x, H/4 has 4x (paper: 64)
    residual_blocks: int = 8  # inverted residual blocks at H/4 (paper: 8)
    expansion: int = 2  # IRB expansion: 1x1 conv from 4 * width to expansion * 4 * width (paper: 256 -> 512)
    leaky_slope: float = 0.2  # LeakyReLU slope everywhere (paper: 0.2)


def _norm_act(channels: int, slope: float) -> list[nn.Module]:
    return [nn.InstanceNorm2d(channels, affine=True), nn.LeakyReLU(slope)]


class ConvBlock(nn.Sequential):
    """k x k conv (reflect padding, no bias) + IN + LReLU. [N, C_in, H, W] -> [N, C_out, H, W]."""

    def __init__(self, in_channels: int, out_channels: int, slope: float, kernel: int = 3) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2, padding_mode="reflect", bias=False),
            *_norm_act(out_channels, slope),
        )


class DSConv(nn.Sequential):
    """Depthwise 3x3 (stride 1 or 2) + pointwise 1x1 + IN + LReLU. [N, C_in, H, W] -> [N, C_out, H/s, W/s]."""

    def __init__(self, in_channels: int, out_channels: int, slope: float, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(in_channels, in_channels, 3, stride=stride, padding=1, padding_mode="reflect",
                      groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            *_norm_act(out_channels, slope),
        )


class DownConv(nn.Module):
    """Strided DSConv plus (bilinear / 2 then DSConv), summed. [N, C_in, H, W] -> [N, C_out, H/2, W/2]."""

    def __init__(self, in_channels: int, out_channels: int, slope: float) -> None:
        super().__init__()
        self.strided = DSConv(in_channels, out_channels, slope, stride=2)
        self.resized = DSConv(in_channels, out_channels, slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False)
        return self.strided(x) + self.resized(half)


class UpConv(nn.Module):
    """Bilinear x 2 then DSConv. [N, C_in, H, W] -> [N, C_out, 2H, 2W]."""

    def __init__(self, in_channels: int, out_channels: int, slope: float) -> None:
        super().__init__()
        self.conv = DSConv(in_channels, out_channels, slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False))


class InvertedResidualBlock(nn.Module):
    """1x1 Conv-Block C -> E, depthwise 3x3 + IN + LReLU, 1x1 conv E -> C + IN, plus the input. Shape kept."""

    def __init__(self, channels: int, expanded: int, slope: float) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvBlock(channels, expanded, slope, kernel=1),
            nn.Conv2d(expanded, expanded, 3, padding=1, padding_mode="reflect", groups=expanded, bias=False),
            *_norm_act(expanded, slope),
            nn.Conv2d(expanded, channels, 1, bias=False),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class AnimeGANGenerator(nn.Module):
    """RGB [N, 3, H, W] in [-1, 1] -> anime-style RGB [N, 3, H, W] in [-1, 1]; H and W multiples of 4."""

    size_multiple = 4

    def __init__(self, *, config: AnimeGANConfig = AnimeGANConfig()) -> None:
        super().__init__()
        self.config = config
        w, s = config.width, config.leaky_slope
        self.encoder = nn.Sequential(
            ConvBlock(3, w, s),
            ConvBlock(w, w, s),
            DownConv(w, 2 * w, s),  # H/2
            ConvBlock(2 * w, 2 * w, s),
            DSConv(2 * w, 2 * w, s),
            DownConv(2 * w, 4 * w, s),  # H/4
            ConvBlock(4 * w, 4 * w, s),
        )
        self.blocks = nn.Sequential(
            *[InvertedResidualBlock(4 * w, config.expansion * 4 * w, s) for _ in range(config.residual_blocks)]
        )
        self.decoder = nn.Sequential(
            ConvBlock(4 * w, 4 * w, s),
            UpConv(4 * w, 2 * w, s),  # H/2
            DSConv(2 * w, 2 * w, s),
            ConvBlock(2 * w, 2 * w, s),
            UpConv(2 * w, 2 * w, s),  # H
            ConvBlock(2 * w, w, s),
            ConvBlock(w, w, s),
        )
        self.head = nn.Conv2d(w, 3, 1, bias=False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.head(self.decoder(self.blocks(self.encoder(image)))))
