"""Per-frame look metrics of a cartoonizer's output: flatness, difference from the source, PSNR against a reference.

All take uint8 RGB frames [H, W, 3] and work on values in [0, 1]:

- flatness: the share of pixels whose luminance standard deviation over their 5x5 neighbourhood is below 0.02
  (luminance Y = 0.299 R + 0.587 G + 0.114 B, ITU-R BT.601 as OpenCV's RGB2GRAY; borders reflected). A flat
  colour field scores 1, per-pixel noise about 0; a cartoon (flat regions between thin lines) scores high.
- mean absolute difference: mean of |out - source| over pixels and R, G, B: how much a method changes the image.
- PSNR: 10 log10(1 / MSE) over R, G, B in [0, 1] (the 8-bit PSNR with peak 255). Identical frames would give
  infinity; the MSE is floored at 1e-10, so the PSNR is capped at 100 dB.

A clip's value is the mean over its frames (for PSNR: the mean of per-frame PSNRs).
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

__all__ = [
    "FLAT_STD",
    "FLAT_WINDOW",
    "PSNR_CAP_DB",
    "luminance",
    "flatness",
    "mean_abs_difference",
    "psnr",
    "clip_flatness",
    "clip_mean_abs_difference",
    "clip_psnr",
]

FLAT_STD = 0.02  # a pixel is flat when its neighbourhood's luminance std is below this
FLAT_WINDOW = 5  # neighbourhood side in pixels
_MSE_FLOOR = 1e-10
PSNR_CAP_DB = 10.0 * np.log10(1.0 / _MSE_FLOOR)  # 100 dB: what identical frames score
_BT601 = np.array([0.299, 0.587, 0.114])


def _check(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frames must be uint8 H x W x 3 RGB, got {frame.dtype} {frame.shape}")
    return frame


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = _check(a), _check(b)
    if a.shape != b.shape:
        raise ValueError(f"frames differ in size: {a.shape} vs {b.shape}")
    return a.astype(np.float64) / 255.0, b.astype(np.float64) / 255.0


def luminance(frame: np.ndarray) -> np.ndarray:
    """BT.601 luma of a uint8 RGB frame, float64 [H, W] in [0, 1]."""
    return _check(frame).astype(np.float64) @ _BT601 / 255.0


def flatness(frame: np.ndarray, *, threshold: float = FLAT_STD, window: int = FLAT_WINDOW) -> float:
    """Share of pixels whose `window` x `window` luminance standard deviation is below `threshold`."""
    y = luminance(frame)
    size = (window, window)
    mean = cv2.boxFilter(y, -1, size, borderType=cv2.BORDER_REFLECT_101)
    mean_sq = cv2.boxFilter(y * y, -1, size, borderType=cv2.BORDER_REFLECT_101)
    std = np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))
    return float((std < threshold).mean())


def mean_abs_difference(out: np.ndarray, source: np.ndarray) -> float:
    """Mean |out - source| over pixels and R, G, B, in [0, 1]."""
    a, b = _pair(out, source)
    return float(np.abs(a - b).mean())


def psnr(out: np.ndarray, reference: np.ndarray) -> float:
    """PSNR in dB of `out` against `reference` (peak 1 on [0, 1] values), capped at `PSNR_CAP_DB`."""
    a, b = _pair(out, reference)
    mse = max(float(np.mean((a - b) ** 2)), _MSE_FLOOR)
    return float(10.0 * np.log10(1.0 / mse))


def _check_lengths(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> None:
    if len(a) != len(b) or not a:
        raise ValueError(f"need two equally long, non-empty frame sequences, got {len(a)} and {len(b)}")


def clip_flatness(frames: Sequence[np.ndarray]) -> float:
    """Mean flatness over the frames."""
    if not frames:
        raise ValueError("no frames")
    return float(np.mean([flatness(f) for f in frames]))


def clip_mean_abs_difference(outputs: Sequence[np.ndarray], sources: Sequence[np.ndarray]) -> float:
    """Mean over frame pairs of the mean absolute difference."""
    _check_lengths(outputs, sources)
    return float(np.mean([mean_abs_difference(o, s) for o, s in zip(outputs, sources)]))


def clip_psnr(outputs: Sequence[np.ndarray], references: Sequence[np.ndarray]) -> float:
    """Mean over frame pairs of the (capped) PSNR."""
    _check_lengths(outputs, references)
    return float(np.mean([psnr(o, r) for o, r in zip(outputs, references)]))
