"""Validation and conversion of single frames at the engine's public boundary.

At every public boundary a frame is a numpy ``uint8`` array of shape ``(H, W, 3)``, RGB. The engine also accepts
grayscale ``(H, W)`` / ``(H, W, 1)``, gray + alpha ``(H, W, 2)``, RGBA ``(H, W, 4)``, ``uint16`` (full 16-bit
range) and float frames (``[0, 1]``, values outside are clipped). Alpha is split off before the network and
re-attached to the output unchanged. Anything else is an :class:`~.errors.InputError` that names the frame index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from .errors import InputError

__all__ = ["SplitFrame", "to_rgb8", "attach_alpha", "to_network", "from_network", "unit_to_uint8", "resize_image",
           "linear_to_srgb"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SplitFrame:
    """A frame split into its RGB part and its optional alpha channel.

    Attributes:
        rgb: ``uint8`` array ``(H, W, 3)``.
        alpha: ``uint8`` array ``(H, W)`` or ``None`` when the input had no alpha.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None


def _where(index: int | None, source: str | None) -> str:
    parts = []
    if source:
        parts.append(str(source))
    if index is not None:
        parts.append(f"frame {index}")
    return ": ".join(parts) + ": " if parts else ""


def _to_uint8(arr: np.ndarray, index: int | None, source: str | None) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        # 65535 -> 255 with rounding; exact for values that came from 8 bit (v * 257).
        return ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise InputError(
                f"{_where(index, source)}float frame contains NaN or infinite values; "
                "clean the frame (e.g. np.nan_to_num) before passing it in"
            )
        lo, hi = float(arr.min()), float(arr.max())
        if lo < 0.0 or hi > 1.0:
            log.debug("%sfloat values in [%g, %g] clipped to [0, 1]", _where(index, source), lo, hi)
        return unit_to_uint8(np.clip(arr.astype(np.float32), 0.0, 1.0))
    raise InputError(
        f"{_where(index, source)}unsupported pixel type {arr.dtype}; "
        "pass uint8 (0-255), uint16 (0-65535) or float (0-1) frames"
    )


def to_rgb8(frame: object, index: int | None = None, source: str | None = None) -> SplitFrame:
    """Validate one frame and convert it to ``uint8`` RGB plus optional alpha.

    Args:
        frame: numpy array ``(H, W)``, ``(H, W, 1|2|3|4)`` of dtype uint8, uint16 or float.
        index: frame index, used in error messages.
        source: file name, used in error messages.

    Returns:
        The :class:`SplitFrame` (``rgb`` is C-contiguous ``(H, W, 3)`` uint8).

    Raises:
        InputError: not an array, empty, wrong number of dimensions or channels, unsupported dtype, NaN/inf.
    """
    where = _where(index, source)
    if not isinstance(frame, np.ndarray):
        raise InputError(f"{where}expected a numpy array, got {type(frame).__name__}")
    if frame.ndim == 2:
        frame = frame[:, :, None]
    if frame.ndim != 3:
        raise InputError(
            f"{where}expected an image of shape (H, W) or (H, W, C), got shape {frame.shape}; "
            "pass one frame at a time"
        )
    h, w, c = frame.shape
    if h == 0 or w == 0:
        raise InputError(f"{where}frame is empty (shape {frame.shape})")
    if c not in (1, 2, 3, 4):
        raise InputError(
            f"{where}expected 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels, got {c} "
            f"(shape {frame.shape})"
        )
    frame8 = _to_uint8(frame, index, source)
    if c in (1, 2):
        rgb = np.repeat(frame8[:, :, :1], 3, axis=2)
    else:
        rgb = frame8[:, :, :3]
    alpha = frame8[:, :, c - 1].copy() if c in (2, 4) else None
    return SplitFrame(rgb=np.ascontiguousarray(rgb), alpha=alpha)


def attach_alpha(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Return ``rgb`` (``(H, W, 3)`` uint8) with ``alpha`` (``(H, W)`` uint8) appended, or ``rgb`` if no alpha."""
    if alpha is None:
        return rgb
    return np.concatenate([rgb, alpha[:, :, None]], axis=2)


def to_network(rgb: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB -> ``(3, H, W)`` float32 in [-1, 1]."""
    x = np.empty((3, *rgb.shape[:2]), np.float32)  # one full-size float buffer: 4K frames are 100 MB each
    for c in range(3):
        x[c] = rgb[..., c]
    x *= 2.0 / 255.0
    x -= 1.0
    return x


def from_network(chw: np.ndarray) -> np.ndarray:
    """``(3, H, W)`` float in [-1, 1] -> ``(H, W, 3)`` float32 in [0, 1] (clipped)."""
    # cv2.merge writes one new interleaved buffer; a transposed view would be copied again by every filter after it
    # (9 ms against 3 ms per 1280x720 frame here).
    x = cv2.merge(list(chw.astype(np.float32, copy=False)))
    x += 1.0
    x *= 0.5
    return np.clip(x, 0.0, 1.0, out=x)


def unit_to_uint8(image: np.ndarray) -> np.ndarray:
    """float ``image`` in [0, 1] (any shape OpenCV takes: ``(H, W)`` or ``(H, W, C)``) -> uint8 of the same shape:
    ``np.rint(image * 255)``, the same half-to-even rounding, in one pass instead of three. Values must already be in
    [0, 1] (a negative one would come back as its absolute value)."""
    return cv2.convertScaleAbs(image, alpha=255.0)


def resize_image(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """``img`` at ``h`` x ``w``: area averaging to shrink, bicubic to enlarge."""
    if img.shape[:2] == (h, w):
        return img
    shrink = h * w < img.shape[0] * img.shape[1]
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Scene-linear float (e.g. EXR from Blender) -> display sRGB float in [0, 1] (the sRGB transfer function).

    Values are clipped to [0, 1] first (no tone mapping).
    """
    x = np.clip(x.astype(np.float32, copy=False), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1.0 / 2.4) - 0.055).astype(np.float32)
