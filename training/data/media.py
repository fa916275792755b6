"""Small numpy/OpenCV image helpers used by the dataset bootstrap.

All images here are numpy ``uint8`` arrays, H x W x 3 RGB (or H x W x 4 RGBA where stated).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


def to_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Convert grey, RGBA (composited on white), bool, 16-bit or float images to uint8 RGB.

    Args:
        image: H x W, H x W x 1, H x W x 3 or H x W x 4 array; bool, uint8, uint16 or float in [0, 1].

    Returns:
        H x W x 3 uint8 RGB array.
    """
    x = np.asarray(image)
    if x.dtype == bool:
        x = x.astype(np.uint8) * 255
    elif x.dtype == np.uint16:
        x = (x // 257).astype(np.uint8)
    elif np.issubdtype(x.dtype, np.floating):
        x = (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif x.dtype != np.uint8:
        x = np.clip(x, 0, 255).astype(np.uint8)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.shape[2] == 1:
        x = np.repeat(x, 3, axis=2)
    elif x.shape[2] == 4:
        x = composite_on_white(x)
    elif x.shape[2] != 3:
        raise ValueError(f"unsupported channel count {x.shape[2]}")
    return np.ascontiguousarray(x)


def composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """Alpha-composite an H x W x 4 uint8 RGBA image onto white; returns H x W x 3 uint8 RGB."""
    rgb = rgba[:, :, :3].astype(np.float32)
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
    out = rgb * alpha + 255.0 * (1.0 - alpha)
    return (out + 0.5).astype(np.uint8)


def png_size(path: Path) -> tuple[int, int] | None:
    """(height, width) from a PNG file's header without decoding it; None for other files."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[20:24], "big"), int.from_bytes(head[16:20], "big")


def read_rgb(path: Path, *, max_pixels: int = 40_000_000, max_side: int = 2048) -> np.ndarray:
    """Read any image file OpenCV decodes as uint8 RGB (alpha composited on white).

    Images larger than ``max_side`` are downscaled (INTER_AREA) before compositing, so a huge clip-art PNG
    costs its decode only.

    Raises:
        ValueError: the file cannot be decoded, or (PNG) has more than ``max_pixels`` pixels.
    """
    size = png_size(Path(path))
    if size is not None and size[0] * size[1] > max_pixels:
        raise ValueError(f"{path}: {size[1]}x{size[0]} is larger than {max_pixels} pixels")
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise ValueError(f"cannot decode image {path}")
    if max(raw.shape[:2]) > max_side and raw.dtype == np.uint8:
        scale = max_side / max(raw.shape[:2])
        raw = cv2.resize(raw, (max(1, round(raw.shape[1] * scale)), max(1, round(raw.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
    if raw.ndim == 3 and raw.shape[2] == 3:
        raw = cv2.cvtColor(raw, cv2.COLOR_BGR2RGB)
    elif raw.ndim == 3 and raw.shape[2] == 4:
        raw = cv2.cvtColor(raw, cv2.COLOR_BGRA2RGBA)
    return to_rgb_uint8(raw)


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write an H x W x 3 uint8 RGB array as PNG (atomically: temp file then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.png")
    if not cv2.imwrite(str(tmp), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3]):
        raise OSError(f"cannot write {path}")
    tmp.replace(path)


def resize_short_side(rgb: np.ndarray, min_short: int, max_short: int) -> np.ndarray:
    """Scale (keeping aspect) so that the short side lies in [min_short, max_short].

    Upscaling uses INTER_CUBIC, downscaling INTER_AREA; an image already in range is returned unchanged.
    """
    h, w = rgb.shape[:2]
    short = min(h, w)
    if min_short <= short <= max_short:
        return rgb
    target = min_short if short < min_short else max_short
    scale = target / short
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(rgb, size, interpolation=interp)


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
