"""The White-box post-filter: a guided filter of the network output, guided by the input frame.

This is the per-channel formulation of the White-box reference code (``guided_filter(input, output, r, eps)`` on
images in [-1, 1], each output channel guided by the same input channel, box windows of ``2r + 1`` that shrink at
the borders), implemented with ``cv2.boxFilter``. It matches what the training side uses for the surface
representation, which a colour guided filter (``cv2.ximgproc.guidedFilter`` with a 3-channel guide, a 3x3
covariance per window) would not.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["guided_filter"]


def _box(x: np.ndarray, r: int) -> np.ndarray:
    out = cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), normalize=False, borderType=cv2.BORDER_CONSTANT)
    return out.reshape(x.shape)  # OpenCV drops a trailing channel axis of size 1


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Filter ``src`` guided by ``guide``; both float32 ``(H, W, C)`` in [-1, 1]. Returns float32 ``(H, W, C)``."""
    guide = guide.astype(np.float32, copy=False)
    src = src.astype(np.float32, copy=False)
    h, w = guide.shape[:2]
    n = _box(np.ones((h, w), dtype=np.float32), radius)[..., None]
    mean_x = _box(guide, radius) / n
    mean_y = _box(src, radius) / n
    cov_xy = _box(guide * src, radius) / n - mean_x * mean_y
    var_x = _box(guide * guide, radius) / n - mean_x * mean_x
    a = cov_xy / (var_x + eps)
    b = mean_y - a * mean_x
    mean_a = _box(a, radius) / n
    mean_b = _box(b, radius) / n
    return mean_a * guide + mean_b
