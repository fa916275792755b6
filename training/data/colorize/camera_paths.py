"""A smooth random camera over a still image: synthetic shots whose every frame has exact line art.

The colorize bootstrap films synfig stills (colour and true lines rendered once) and clip-art with it; the same
matrices warp the colour and the line render, so the lines stay exact in every frame.
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence

import cv2
import numpy as np

__all__ = ["camera_path", "film"]


def camera_path(rng: random.Random, frames: int, still_hw: tuple[int, int],
                out_hw: tuple[int, int]) -> list[np.ndarray]:
    """Smooth random camera over a still: 2x3 matrices mapping still pixels to output pixels, one per frame.

    The camera eases (smoothstep) between two random poses (centre, zoom, small rotation), with a slow sine wobble,
    and always sees only the still (zoom >= the window / still ratio).
    """
    sh, sw = still_hw
    oh, ow = out_hw
    min_zoom = max(oh / sh, ow / sw) * 1.02

    def pose() -> tuple[float, float, float, float]:
        zoom = min_zoom * rng.uniform(1.0, 1.8)
        half_w, half_h = ow / zoom / 2, oh / zoom / 2
        return (rng.uniform(half_w, sw - half_w), rng.uniform(half_h, sh - half_h), zoom, rng.uniform(-4.0, 4.0))

    start, end = pose(), pose()
    wobble = rng.uniform(0.0, 6.0), rng.uniform(0.5, 2.0), rng.uniform(0.0, 2 * math.pi)
    matrices = []
    for t in range(frames):
        u = t / max(1, frames - 1)
        s = u * u * (3 - 2 * u)
        cx, cy, zoom, angle = (a + (b - a) * s for a, b in zip(start, end))
        cx += wobble[0] * math.sin(2 * math.pi * wobble[1] * u + wobble[2])
        half_w, half_h = ow / zoom / 2, oh / zoom / 2
        cx, cy = min(max(cx, half_w), sw - half_w), min(max(cy, half_h), sh - half_h)
        m = cv2.getRotationMatrix2D((cx, cy), angle, zoom)
        m[:, 2] += (ow / 2 - cx, oh / 2 - cy)
        matrices.append(m)
    return matrices


def film(still: np.ndarray, path: Sequence[np.ndarray], out_hw: tuple[int, int],
         border: int | tuple[int, int, int]) -> list[np.ndarray]:
    """The frames (``out_hw`` = (height, width)) the camera ``path`` sees of ``still``, bilinear.

    ``border`` fills what lies outside the still (white paper; a path from :func:`camera_path` never shows it,
    but bilinear sampling at the very edge may blend it in).
    """
    oh, ow = out_hw
    return [cv2.warpAffine(still, m, (ow, oh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=border) for m in path]
