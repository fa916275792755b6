"""The clip-art filter of both data builds: crop a drawing on white paper to its content, measure its colour, keep
drawings that are coloured cartoons (not line-only, not one flat colour, not a photo cut-out), pad extreme aspects.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["pad_aspect", "crop_to_content", "CartoonStats", "cartoon_stats", "is_good_cartoon"]


def pad_aspect(rgb: np.ndarray, max_aspect: float = 2.0, value: int = 255) -> np.ndarray:
    """Pad the short side with a constant colour so that long/short <= max_aspect."""
    h, w = rgb.shape[:2]
    if max(h, w) <= max_aspect * min(h, w):
        return rgb
    if w > h:
        new_h = int(np.ceil(w / max_aspect))
        top = (new_h - h) // 2
        return cv2.copyMakeBorder(rgb, top, new_h - h - top, 0, 0, cv2.BORDER_CONSTANT, value=(value,) * 3)
    new_w = int(np.ceil(h / max_aspect))
    left = (new_w - w) // 2
    return cv2.copyMakeBorder(rgb, 0, 0, left, new_w - w - left, cv2.BORDER_CONSTANT, value=(value,) * 3)


def crop_to_content(rgb: np.ndarray, *, margin: float = 0.06, threshold: int = 12) -> np.ndarray:
    """Crop an image on a white background to the bounding box of its non-white pixels plus a margin.

    Args:
        rgb: H x W x 3 uint8.
        margin: margin as a fraction of the content box's longer side (padded with white where needed).
        threshold: a pixel is content when any channel is below 255 - threshold.

    Returns:
        The cropped H' x W' x 3 uint8 image (the input unchanged when it has no content).
    """
    mask = rgb.min(axis=2) < 255 - threshold
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return rgb
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    m = int(round(margin * max(y1 - y0, x1 - x0)))
    crop = rgb[y0:y1, x0:x1]
    return cv2.copyMakeBorder(crop, m, m, m, m, cv2.BORDER_CONSTANT, value=(255, 255, 255))


@dataclass(frozen=True)
class CartoonStats:
    """Colour statistics of a clip-art image on white (all fractions in [0, 1])."""

    content: float  # non-white pixels / all pixels
    colourful: float  # saturated, not-dark content pixels / content pixels
    dark: float  # dark (V < 0.25) content pixels / content pixels
    hue_spread: float  # fraction of 12 hue bins holding >= 2 % of the colourful pixels
    colours: int  # distinct colours after 4-bit quantisation among content pixels
    flat: float  # content pixels (away from the edge) whose 3x3 grey range is <= 6: flat or smooth fills


def cartoon_stats(rgb: np.ndarray, *, threshold: int = 12) -> CartoonStats:
    """Measure how much colour content an H x W x 3 uint8 image on a white background has."""
    small = rgb
    if max(rgb.shape[:2]) > 256:
        scale = 256 / max(rgb.shape[:2])
        small = cv2.resize(rgb, (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale))),
                           interpolation=cv2.INTER_AREA)
    mask = small.min(axis=2) < 255 - threshold
    n = int(mask.sum())
    if n == 0:
        return CartoonStats(0.0, 0.0, 0.0, 0.0, 0, 0.0)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)[mask]
    sat = hsv[:, 1].astype(np.float32) / 255.0
    val = hsv[:, 2].astype(np.float32) / 255.0
    colourful_mask = (sat > 0.25) & (val > 0.2)
    colourful = float(colourful_mask.mean())
    hues = hsv[colourful_mask, 0]
    if hues.size:
        hist = np.bincount((hues.astype(np.int32) * 12) // 180, minlength=12)[:12] / hues.size
        spread = float((hist >= 0.02).mean())
    else:
        spread = 0.0
    q = (small[mask] >> 4).astype(np.int32)
    colours = int(np.unique(q[:, 0] * 256 + q[:, 1] * 16 + q[:, 2]).size)
    kernel = np.ones((3, 3), np.uint8)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    grey_range = cv2.dilate(grey, kernel).astype(np.int16) - cv2.erode(grey, kernel).astype(np.int16)
    inner = cv2.erode(mask.astype(np.uint8), kernel, iterations=2).astype(bool)
    flat = float((grey_range[inner] <= 6).mean()) if inner.any() else 0.0
    return CartoonStats(
        content=n / mask.size,
        colourful=colourful,
        dark=float((val < 0.25).mean()),
        hue_spread=spread,
        colours=colours,
        flat=flat,
    )


def is_good_cartoon(stats: CartoonStats, *, min_flat: float = 0.0) -> bool:
    """Keep colour clip-art: enough content, enough saturated colour, not line-only, not one flat colour.

    ``min_flat`` > 0 also asks for drawn rather than photographed content (photo cut-outs, e.g. many tuxpaint
    stamps, have few flat pixels; about 0.4 separates them). Vector clip-art needs no such test.
    """
    return (
        stats.content >= 0.15
        and stats.colourful >= 0.20
        and stats.dark <= 0.60
        and stats.colours >= 8
        and stats.flat >= min_flat
    )
