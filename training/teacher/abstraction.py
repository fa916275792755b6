"""The classical cartoon abstraction the shipped cartoonizers are distilled from (the teacher).

Per frame and deterministic: L0 gradient minimisation flattens regions while keeping their edges
(cv2.ximgproc.l0Smooth, Xu et al. 2011), a median filter removes leftover specks, lightness is soft-quantized into
tone steps (Winnemoller, Olsen, Gooch 2006), chroma is lifted, and XDoG ink lines (Winnemoller, Kyprianidis,
Olsen 2012) found on the flattened lightness darken the result. Every step is an OpenCV / NumPy array operation.
The teacher flickers (L0 and the tone steps jump when a pixel drifts across a threshold); the student network is
trained with temporal losses to be steadier than it (docs/TRAINING.md).
"""
from __future__ import annotations

import cv2
import numpy as np

from engine.ink_lines import ink_darkness

from .style import TeacherStyle

__all__ = ["cartoon_abstraction", "soft_quantize", "xdog_lines"]

_LIGHTNESS_RANGE = 100.0  # CIELAB L* of float images spans 0..100
# OpenCV's l0Smooth solves in the Fourier domain, so the frame wraps around: a bright border meeting a dark one
# shifts whole regions (measured: a 64 x 64 two-tone frame came out 60-120 levels too dark). Reflect-padding the
# frame by this margin, and small frames up to _MIN_SOLVE_SIDE, keeps tones within a few levels.
_L0_MARGIN = 32
_MIN_SOLVE_SIDE = 128


def _l0_smooth(rgb: np.ndarray, style: TeacherStyle) -> np.ndarray:
    """cv2.ximgproc.l0Smooth of a reflect-padded copy, cropped back to the frame."""
    height, width = rgb.shape[:2]
    pad_y = max(_L0_MARGIN, -(-(_MIN_SOLVE_SIDE - height) // 2))
    pad_x = max(_L0_MARGIN, -(-(_MIN_SOLVE_SIDE - width) // 2))
    padded = cv2.copyMakeBorder(rgb, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REFLECT_101)
    smooth = cv2.ximgproc.l0Smooth(padded, lambda_=style.l0_lambda, kappa=style.l0_kappa)
    return smooth[pad_y : pad_y + height, pad_x : pad_x + width]


def soft_quantize(lightness: np.ndarray, levels: int, sharpness: float) -> np.ndarray:
    """Lightness (float32, 0..100) in `levels` soft tone steps (Winnemoller et al. 2006, eq. 6).

    Each value moves towards the plateau half-way between its two nearest step values; the transition at a step
    value is a tanh of slope `sharpness` per lightness unit, so a pixel drifting across it changes tone gradually.
    """
    step = _LIGHTNESS_RANGE / levels
    nearest = np.round(lightness / step) * step
    return nearest + 0.5 * step * np.tanh(sharpness * (lightness - nearest))


def xdog_lines(lightness: np.ndarray, style: TeacherStyle) -> np.ndarray:
    """Ink darkness in [0, 1] (1: full line) from lightness in [0, 1] by the extended difference of Gaussians (the
    engine's operator, which draws the same lines on the output of models that leave the ink to it)."""
    return ink_darkness(lightness, style.ink_lines())


def cartoon_abstraction(rgb: np.ndarray, style: TeacherStyle) -> np.ndarray:
    """uint8 RGB [H, W, 3] -> the style's cartoon of it, uint8 RGB of the same size."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"the teacher takes uint8 RGB [H, W, 3], got {rgb.dtype} {rgb.shape}")
    flat = _l0_smooth(rgb, style)
    if style.median_size > 1:
        flat = cv2.medianBlur(flat, style.median_size)
    lab = cv2.cvtColor(flat.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    lightness = lab[..., 0]
    lines = xdog_lines(lightness / _LIGHTNESS_RANGE, style)
    lab[..., 0] = soft_quantize(lightness, style.levels, style.quantize_sharpness)
    lab[..., 1:] *= style.saturation
    toned = np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), 0.0, 1.0)
    inked = toned * (1.0 - style.ink_strength * lines)[..., None]
    return np.clip(np.rint(inked * 255.0), 0, 255).astype(np.uint8)
