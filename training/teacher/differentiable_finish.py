"""The engine's finish of a `--tones-in-engine` student (tone steps, chroma lift, XDoG ink) as differentiable torch
ops, so that a training loss can see the output the user gets.

The engine (engine/tone_steps.py, engine/ink_lines.py) finds the style's lines on the flattened lightness, steps
the lightness, lifts the chroma and darkens the lines. Both steps amplify small frame-to-frame changes of the
network's output near a step or a line threshold; a temporal loss on this finish teaches the network to hold its
lightness still there (docs/TRAINING.md, "Training through the finish"). CIELAB comes from kornia (within 0.2 L*
of OpenCV's); rounding to the nearest step value is held constant, the tanh within it carries the gradient.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from kornia.color import lab_to_rgb, rgb_to_lab
from kornia.filters import gaussian_blur2d
from torch import nn

from engine.tone_steps import LIGHTNESS_RANGE

from .style import TeacherStyle

__all__ = ["DifferentiableFinish"]


def _blur(lightness: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(round(3 * sigma)))
    return gaussian_blur2d(lightness, (2 * radius + 1, 2 * radius + 1), (sigma, sigma), border_type="reflect")


class DifferentiableFinish(nn.Module):
    """[N, 3, H, W] flattened RGB in [-1, 1] -> the style's finished frame, RGB in [-1, 1] (no parameters)."""

    def __init__(self, style: TeacherStyle) -> None:
        super().__init__()
        self.tones, self.ink = style.tone_steps(), style.ink_lines()

    def lines(self, lightness: torch.Tensor) -> torch.Tensor:
        """[N, 1, H, W] ink darkness in [0, 1] of lightness in [0, 1] (the engine's `ink_darkness`)."""
        ink = self.ink
        sharpened = (1.0 + ink.p) * _blur(lightness, ink.sigma) - ink.p * _blur(lightness, ink.sigma * ink.k)
        # -tanh of the excess over epsilon: the clamp zeroes it above epsilon, as the engine's clip does
        lines = (-torch.tanh(ink.phi * (sharpened - ink.epsilon))).clamp(0.0, 1.0)
        if ink.line_width > 1:
            # OpenCV's dilation by a width-w kernel anchored at its centre: the maximum over offsets -w//2 .. (w-1)//2
            before, after = ink.line_width // 2, (ink.line_width - 1) // 2
            lines = F.max_pool2d(F.pad(lines, (before, after, before, after), mode="replicate"), ink.line_width, 1)
        return lines

    def forward(self, flat: torch.Tensor) -> torch.Tensor:
        rgb = ((flat + 1.0) * 0.5).clamp(0.0, 1.0)
        lab = rgb_to_lab(rgb)
        lightness = lab[:, :1]
        if self.tones.levels > 0:
            step = LIGHTNESS_RANGE / self.tones.levels
            nearest = torch.round(lightness.detach() / step) * step
            toned_lightness = nearest + 0.5 * step * torch.tanh(self.tones.sharpness * (lightness - nearest))
        else:
            toned_lightness = lightness
        toned = lab_to_rgb(torch.cat([toned_lightness, lab[:, 1:] * self.tones.saturation], dim=1)).clamp(0.0, 1.0)
        if self.ink.strength > 0:
            toned = toned * (1.0 - self.ink.strength * self.lines(lightness / LIGHTNESS_RANGE))
        return toned * 2.0 - 1.0
