"""Ink lines drawn by the extended difference of Gaussians (XDoG; Winnemoller, Kyprianidis, Olsen 2012).

The cartoon teacher (training/teacher) inks its flattened frame with these lines, and a distilled model whose card
names ``postprocess.ink_lines`` leaves the ink to the engine: its network learned the teacher's frame without
lines, and the engine draws the teacher's own lines on the network's output with the teacher's parameters. A
network regressing thin lines blurs and fades them wherever it is unsure where they fall; a few Gaussian blurs
after it draw them as crisp as the teacher's (docs/TRAINING.md, "The teacher's ink drawn by the engine").
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .tone_steps import cielab_lightness

__all__ = ["InkLinesParams", "ink_darkness", "draw_ink_lines"]


@dataclass(frozen=True)
class InkLinesParams:
    """The XDoG line operator's parameters (lightness in [0, 1], lengths in pixels of the frame)."""

    sigma: float  # the narrow Gaussian's standard deviation: the scale of the edges that become lines
    k: float  # the wide Gaussian's sigma over the narrow one's
    p: float  # sharpening: how much of the difference of Gaussians is added to the narrow blur
    epsilon: float  # threshold: sharpened lightness below it is ink
    phi: float  # tanh slope of the soft threshold (larger: harder line edges)
    line_width: int  # lines dilated to this width (1: as found)
    strength: float  # how dark a full line is (1: black)

    def validate(self) -> None:
        """ValueError naming the first parameter out of range."""
        checks = (("sigma", self.sigma > 0), ("k", self.k > 1), ("p", self.p >= 0), ("phi", self.phi > 0),
                  ("line_width", self.line_width >= 1), ("strength", 0 <= self.strength <= 1))
        for name, ok in checks:
            if not ok:
                raise ValueError(f"ink lines: {name} out of range (sigma > 0, k > 1, p >= 0, phi > 0, "
                                 f"line_width >= 1, 0 <= strength <= 1): got {self}")


def ink_darkness(lightness: np.ndarray, params: InkLinesParams) -> np.ndarray:
    """float32 ``(H, W)`` ink darkness in [0, 1] (1: full line) of a lightness map in [0, 1]."""
    lightness = np.asarray(lightness, dtype=np.float32)
    narrow = cv2.GaussianBlur(lightness, (0, 0), params.sigma)
    wide = cv2.GaussianBlur(lightness, (0, 0), params.sigma * params.k)
    sharpened = (1.0 + params.p) * narrow - params.p * wide
    # XDoG's soft threshold: 1 (paper white) above epsilon, falling as 1 + tanh below it; the line is what falls,
    # -tanh of the excess, which the clip zeroes above epsilon.
    lines = np.tanh(np.float32(-params.phi) * (sharpened - np.float32(params.epsilon)))
    lines = np.clip(lines, 0.0, 1.0, out=lines)
    if params.line_width > 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (params.line_width, params.line_width))
        lines = cv2.dilate(lines, kernel)
    return lines


def draw_ink_lines(image: np.ndarray, params: InkLinesParams, lightness: np.ndarray | None = None) -> np.ndarray:
    """float32 ``(H, W, 3)`` RGB in [0, 1] darkened by XDoG lines found on `lightness` (``(H, W)`` in [0, 1]; default:
    the image's own CIELAB lightness). The teacher finds its lines on the frame before its tone steps
    (:mod:`engine.tone_steps`) and draws them after, so the engine does the same for models that leave both to it."""
    image = np.ascontiguousarray(image, dtype=np.float32)
    if lightness is None:
        lightness = cielab_lightness(image)
    elif lightness.shape != image.shape[:2]:
        raise ValueError(f"ink lines: lightness {lightness.shape} does not match the image {image.shape[:2]}")
    return image * (1.0 - params.strength * ink_darkness(lightness, params))[..., None]
