"""AnimeGAN's edge-smoothed cartoon images (Chen et al. 2019, after CartoonGAN): the same cartoon with its edges
blurred, shown to the discriminator as "not anime" so that it learns crisp edges are part of the style.
"""
from __future__ import annotations

import cv2
import numpy as np

__all__ = ["edge_smooth"]

_CANNY_LOW, _CANNY_HIGH = 100, 200
_KERNEL = 5


def edge_smooth(image: np.ndarray) -> np.ndarray:
    """uint8 RGB [H, W, 3] -> uint8 RGB [H, W, 3]: Canny(100, 200) edges of the gray image, dilated by a 5x5
    square; the pixels under that mask replaced by their 5x5 Gaussian mean (sigma from the kernel size, 1.1).
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"edge_smooth needs a uint8 H x W x 3 image, got {image.dtype} {image.shape}")
    edges = cv2.Canny(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), _CANNY_LOW, _CANNY_HIGH)
    mask = cv2.dilate(edges, np.ones((_KERNEL, _KERNEL), np.uint8)) > 0
    blurred = cv2.GaussianBlur(image, (_KERNEL, _KERNEL), 0, borderType=cv2.BORDER_REFLECT)
    out = image.copy()
    out[mask] = blurred[mask]
    return out
