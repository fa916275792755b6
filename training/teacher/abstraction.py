"""The classical cartoon abstraction the shipped cartoonizers are distilled from (the teacher).

Per frame and deterministic: L0 gradient minimisation flattens regions while keeping their edges
(cv2.ximgproc.l0Smooth, Xu et al. 2011), a median filter removes leftover specks, lightness is soft-quantized into
tone steps (Winnemoller, Olsen, Gooch 2006), chroma is lifted, and XDoG ink lines (Winnemoller, Kyprianidis,
Olsen 2012) found on the flattened lightness darken the result. Every step is an OpenCV / NumPy array operation;
the tone steps, chroma lift and ink are the engine's own operators (engine/tone_steps.py, engine/ink_lines.py), which
draw them on the output of models that leave them to the engine.
The teacher flickers (L0 and the tone steps jump when a pixel drifts across a threshold); the student network is
trained with temporal losses to be steadier than it (docs/TRAINING.md).
"""
from __future__ import annotations

import cv2
import numpy as np

from engine.ink_lines import draw_ink_lines
from engine.tone_steps import tone_steps_and_lightness

from .style import TeacherStyle

__all__ = ["cartoon_abstraction", "flat_frame", "finish_flat_frame"]

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


def flat_frame(rgb: np.ndarray, style: TeacherStyle) -> np.ndarray:
    """uint8 RGB [H, W, 3] -> the style's flattened frame (L0 smoothing, then the median), uint8 RGB, same size:
    what a student that leaves the tone steps and ink to the engine learns."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"the teacher takes uint8 RGB [H, W, 3], got {rgb.dtype} {rgb.shape}")
    flat = _l0_smooth(rgb, style)
    return cv2.medianBlur(flat, style.median_size) if style.median_size > 1 else flat


def finish_flat_frame(flat: np.ndarray, style: TeacherStyle) -> np.ndarray:
    """A flattened uint8 RGB frame -> the style's tone steps, chroma lift and ink lines drawn on it, uint8 RGB."""
    toned, lightness = tone_steps_and_lightness(flat.astype(np.float32) / 255.0, style.tone_steps())
    inked = draw_ink_lines(toned, style.ink_lines(), lightness=lightness)
    return np.clip(np.rint(inked * 255.0), 0, 255).astype(np.uint8)


def cartoon_abstraction(rgb: np.ndarray, style: TeacherStyle) -> np.ndarray:
    """uint8 RGB [H, W, 3] -> the style's cartoon of it, uint8 RGB of the same size."""
    return finish_flat_frame(flat_frame(rgb, style), style)
