"""The PMC / White-box cartoonization generator, readable top to bottom (docs/METHODS.md, "White-box and PMC").

Encoder: 7x7 conv (skip x0, full res) -> stride-2 conv + conv (skip x1, H/2) -> stride-2 conv + conv (H/4) ->
residual blocks. Decoder: bilinear x2, align with the skip by SSA (or add it plainly, the White-box "Baseline"), two
convs; again at full res; 7x7 conv to RGB and tanh (`rgb_kernel` sets both 7x7 sides). Zero padding, biases
everywhere, no normalisation.

Choices where the reference code has quirks (docs/METHODS.md, "White-box and PMC", "Deviations"):
- LeakyReLU slope 0.2 on the main path (White-box's value; the PMC reference uses 0.01).
- Bilinear upsampling with align_corners=False: with True the sampling grid depends on the frame size, so a tile
  and the whole frame would not agree; False keeps the network translation-equivariant for tiled inference.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from .ssa import SpatiallyAdaptiveAlignment

__all__ = ["GeneratorConfig", "CartoonGenerator"]

# Input values are clamped this far inside (-1, 1) before atanh, so pure black / white stay finite.
_RESIDUAL_LIMIT = 0.995


@dataclass(frozen=True)
class GeneratorConfig:
    width: int = 32  # channels at full resolution; H/2 has 2x, H/4 has 4x (paper: 32)
    residual_blocks: int = 4  # residual blocks at H/4 (paper: 4)
    use_ssa: bool = True  # False gives the White-box "Baseline" generator of the PMC ablation
    ssa_window: int = 3  # R, the SSA window side (paper: 3; 7 gives smoother, coarser regions)
    leaky_slope: float = 0.2  # LeakyReLU slope on the main path
    # Predict a change of the input instead of a new image: tanh(head + atanh(input)). Distilled students use it, as
    # their targets keep the input's layout and most of its colours; False for the paper recipes.
    residual_output: bool = False
    # Kernel side of the two full-resolution convolutions with three channels on one end (the RGB stem and head;
    # paper: 7). With few channels they are memory-bound on a CPU, so a narrow generator spends most of its time in
    # them: 3 made the width-16 generator 1.5x faster at 720p (docs/TRAINING.md, "Lite speed").
    rgb_kernel: int = 7

    def __post_init__(self) -> None:
        if self.rgb_kernel < 1 or self.rgb_kernel % 2 == 0:
            raise ValueError(f"rgb_kernel must be odd and positive (the output keeps the input's size), "
                             f"got {self.rgb_kernel}")


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int, slope: float) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(F.leaky_relu(self.conv1(x), self.slope))
        return F.leaky_relu(x + y, self.slope)


class CartoonGenerator(nn.Module):
    """RGB [N, 3, H, W] in [-1, 1] -> cartoon RGB [N, 3, H, W] in [-1, 1]; H and W multiples of 4."""

    size_multiple = 4

    def __init__(self, *, config: GeneratorConfig = GeneratorConfig()) -> None:
        super().__init__()
        self.config = config
        w = config.width
        k = config.rgb_kernel
        self.stem = nn.Conv2d(3, w, k, padding=k // 2)
        self.down1 = nn.Conv2d(w, w, 3, stride=2, padding=1)
        self.conv1 = nn.Conv2d(w, 2 * w, 3, padding=1)
        self.down2 = nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(2 * w, 4 * w, 3, padding=1)
        self.blocks = nn.Sequential(*[_ResidualBlock(4 * w, config.leaky_slope) for _ in range(config.residual_blocks)])
        self.bottleneck = nn.Conv2d(4 * w, 2 * w, 3, padding=1)
        self.up1a = nn.Conv2d(2 * w, 2 * w, 3, padding=1)
        self.up1b = nn.Conv2d(2 * w, w, 3, padding=1)
        self.up2a = nn.Conv2d(w, w, 3, padding=1)
        self.head = nn.Conv2d(w, 3, k, padding=k // 2)
        self.align = SpatiallyAdaptiveAlignment(window=config.ssa_window) if config.use_ssa else None

    def _act(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, self.config.leaky_slope)

    def _merge(self, skip: torch.Tensor, decoder: torch.Tensor) -> torch.Tensor:
        upsampled = F.interpolate(decoder, scale_factor=2.0, mode="bilinear", align_corners=False)
        if self.align is None:
            return skip + upsampled
        return skip + self.align(skip, upsampled)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x0 = self._act(self.stem(image))
        x1 = self._act(self.conv1(self._act(self.down1(x0))))
        x = self._act(self.conv2(self._act(self.down2(x1))))
        x = self._act(self.bottleneck(self.blocks(x)))
        x = self._merge(x1, x)
        x = self._act(self.up1b(self._act(self.up1a(x))))
        x = self._merge(x0, x)
        x = self._act(self.up2a(x))
        if self.config.residual_output:
            inside = image.clamp(-_RESIDUAL_LIMIT, _RESIDUAL_LIMIT)
            # atanh written with log: the TorchScript ONNX exporter has no atanh at opset 17.
            return torch.tanh(self.head(x) + 0.5 * torch.log((1.0 + inside) / (1.0 - inside)))
        return torch.tanh(self.head(x))
