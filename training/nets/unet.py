"""The semantic-aware cartoonization generator (Bai): a U-Net of convolutions and LeakyReLU only.

Down: stride-2 3x3 convs (no pooling). Up: bilinear x 2 (no transposed convs, so no checkerboard artefacts), then
the encoder's skip at that scale is concatenated and two 3x3 convs follow. No normalisation, zero padding, biases.

    stem 3x3 3 -> w (H) | depth x [stride-2 conv c -> 2c, conv 2c -> 2c] | bottleneck convs at H / 2^depth
    | depth x [bilinear x 2, concat skip, conv -> c, conv c -> c] | 3x3 conv to RGB, tanh

With the defaults (width 32, depth 3, 2 bottleneck convs): 3.12 M parameters, 11.3 G multiply-accumulates at
256 x 256 (`training.nets.complexity`). The paper gives no layer table; these sizes are our choice. Bilinear
upsampling uses align_corners=False so the network stays translation-equivariant away from the borders (tiled
inference works). The method: docs/METHODS.md, "Semantic-aware style transfer".
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["UNetConfig", "UNetGenerator"]


@dataclass(frozen=True)
class UNetConfig:
    width: int = 32  # channels at full resolution; doubled at every stride-2 stage
    depth: int = 3  # stride-2 stages: the bottleneck sits at H / 2^depth
    bottleneck_convs: int = 2  # conv + LReLU layers at the bottleneck
    leaky_slope: float = 0.2  # LeakyReLU slope everywhere (White-box's value)


def _conv(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)


class UNetGenerator(nn.Module):
    """RGB [N, 3, H, W] in [-1, 1] -> cartoon RGB [N, 3, H, W] in [-1, 1]; H and W multiples of 2^depth."""

    def __init__(self, *, config: UNetConfig = UNetConfig()) -> None:
        super().__init__()
        if config.depth < 1 or config.width < 1 or config.bottleneck_convs < 0:
            raise ValueError(f"invalid U-Net config {config}")
        self.config = config
        self.size_multiple = 2**config.depth
        widths = [config.width * 2**level for level in range(config.depth + 1)]
        self.stem = _conv(3, widths[0])
        self.down = nn.ModuleList(
            nn.ModuleList([_conv(widths[i], widths[i + 1], stride=2), _conv(widths[i + 1], widths[i + 1])])
            for i in range(config.depth)
        )
        self.bottleneck = nn.ModuleList(_conv(widths[-1], widths[-1]) for _ in range(config.bottleneck_convs))
        # up[i] brings level i + 1 back to level i: after the concat it sees widths[i + 1] + widths[i] channels.
        self.up = nn.ModuleList(
            nn.ModuleList([_conv(widths[i + 1] + widths[i], widths[i]), _conv(widths[i], widths[i])])
            for i in reversed(range(config.depth))
        )
        self.head = _conv(widths[0], 3)

    def _act(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, self.config.leaky_slope)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self._act(self.stem(image))
        skips = [x]
        for strided, conv in self.down:
            x = self._act(conv(self._act(strided(x))))
            skips.append(x)
        skips.pop()  # the bottleneck's own input is not a skip
        for conv in self.bottleneck:
            x = self._act(conv(x))
        for fuse, conv in self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = self._act(conv(self._act(fuse(torch.cat([x, skips.pop()], dim=1)))))
        return torch.tanh(self.head(x))
