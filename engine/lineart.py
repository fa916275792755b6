"""Line-art frames: conversion to gray on white paper, the "is this really line art?" check, and shot cuts.

Line art is dark lines on white paper. Frames may come as gray, RGB or RGBA (transparent = paper) in any pixel type
:mod:`engine.frames` accepts; they are reduced to one ``uint8`` gray channel, 255 = paper.

The check catches the commonest mistake, colour frames passed where line art is expected: line art is
near-grayscale (few pixels whose channels differ much) and mostly near-white paper.

Held drawings: animation often shows one drawing for two or three frames ("on twos"). Two frames hold the same
drawing when no pixel of their 3 x 3 box-blurred difference exceeds a tolerance: the blur absorbs a codec's noise
around the lines; a line that moves by one pixel still differs by far more.

Shot cuts: a colour-histogram distance (as :mod:`engine.temporal` uses for footage) says little about line art,
whose histogram is almost all paper white in every shot. Instead the ink (1 - gray) of both frames is shrunk to a
thumbnail, blurred so that the small motion between frames of one shot still overlaps, and correlated: frames of one
shot correlate strongly, frames of different shots hardly at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from .errors import InputError
from .frames import to_rgb8

__all__ = ["LineartStats", "lineart_stats", "to_lineart_gray", "ink_correlation", "is_shot_cut",
           "DEFAULT_CUT_THRESHOLD", "is_held_drawing", "held_drawing_difference", "hold_tolerance_for",
           "DEFAULT_HOLD_TOLERANCE", "VIDEO_HOLD_TOLERANCE"]

log = logging.getLogger(__name__)

#: a pixel whose channels differ by more than this (0-255) counts as coloured
_CHROMA_LEVEL = 24
#: line art has at most this share of coloured pixels (gray lines stay gray through JPEG / H.264 4:2:0; a mostly
#: white colour frame with a few coloured objects, e.g. 11 % coloured, must still be caught)
_MAX_COLOURED = 0.03
#: a pixel at least this bright (0-255) counts as paper
_PAPER_LEVEL = 200
#: line art has at least this share of paper pixels (heavy lines with gray screentone fills go down to about a third:
#: 36 % in a clip-art sequence of the colorize test split; a gray photo or white-on-black drawing has far less)
_MIN_PAPER = 0.25
#: consecutive frames whose ink correlation is below this are a shot cut
DEFAULT_CUT_THRESHOLD = 0.2
_THUMB_SIDE = 96
_THUMB_BLUR_SIGMA = 2.0


@dataclass(frozen=True)
class LineartStats:
    """Share of coloured pixels and of paper pixels of a frame (computed on a subsample of at most ~256 px)."""

    coloured: float
    paper: float


def _subsample(img: np.ndarray) -> np.ndarray:
    step = max(1, max(img.shape[:2]) // 256)
    return img[::step, ::step]


def lineart_stats(rgb: np.ndarray) -> LineartStats:
    """:class:`LineartStats` of a uint8 RGB frame ``(H, W, 3)``."""
    small = _subsample(rgb).astype(np.int16)
    chroma = small.max(axis=2) - small.min(axis=2)
    gray = cv2.cvtColor(small.astype(np.uint8), cv2.COLOR_RGB2GRAY)
    return LineartStats(coloured=float((chroma > _CHROMA_LEVEL).mean()), paper=float((gray >= _PAPER_LEVEL).mean()))


def _where(index: int | None, source: str | None) -> str:
    parts = [str(source)] if source else []
    if index is not None:
        parts.append(f"frame {index}")
    return ": ".join(parts) + ": " if parts else ""


def to_lineart_gray(frame: object, index: int | None = None, source: str | None = None, *,
                    check: bool = True) -> np.ndarray:
    """Validate a line-art frame and return it as ``uint8`` gray ``(H, W)``, 255 = paper.

    Alpha (gray + alpha or RGBA) is composited over white paper.

    Args:
        frame: numpy array as :func:`engine.frames.to_rgb8` accepts.
        index, source: frame index and file, for error messages.
        check: refuse frames that do not look like line art.

    Raises:
        InputError: not a valid frame, or (with ``check``) colour frames instead of line art.
    """
    split = to_rgb8(frame, index, source)
    rgb = split.rgb
    if split.alpha is not None:
        a = split.alpha.astype(np.float32)[..., None] / 255.0
        rgb = np.rint(rgb.astype(np.float32) * a + 255.0 * (1.0 - a)).astype(np.uint8)
    if check:
        stats = lineart_stats(rgb)
        if stats.coloured > _MAX_COLOURED:
            raise InputError(f"{_where(index, source)}looks like colour frames, not line art "
                             f"({stats.coloured:.0%} of the pixels are coloured); pass the line art "
                             "(dark lines on white paper) as the sequence and the coloured frames as keyframes")
        if stats.paper < _MIN_PAPER:
            raise InputError(f"{_where(index, source)}looks like colour frames, not line art (only "
                             f"{stats.paper:.0%} of the frame is near-white paper); line art must be dark lines on "
                             "white paper (invert white-on-black line art first)")
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _ink_thumbnail(gray: np.ndarray) -> np.ndarray:
    h, w = gray.shape
    scale = min(1.0, _THUMB_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    ink = 1.0 - cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    return cv2.GaussianBlur(ink, (0, 0), _THUMB_BLUR_SIGMA)


def ink_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation in [-1, 1] of the blurred ink thumbnails of two gray line-art frames (1 for two blank pages).

    Frames of different sizes are compared at the first one's thumbnail size.
    """
    ta = _ink_thumbnail(a)
    tb = _ink_thumbnail(b)
    if tb.shape != ta.shape:
        tb = cv2.resize(tb, (ta.shape[1], ta.shape[0]), interpolation=cv2.INTER_AREA)
    da = ta - ta.mean()
    db = tb - tb.mean()
    na, nb = float(np.sqrt((da * da).sum())), float(np.sqrt((db * db).sum()))
    if na < 1e-6 and nb < 1e-6:
        return 1.0  # two blank (or uniform) pages: nothing changed
    if na < 1e-6 or nb < 1e-6:
        return 0.0
    return float((da * db).sum() / (na * nb))


#: largest blurred difference (0-255) between two frames of one held drawing. Two JPEG encodings (quality 85 and 95)
#: of one drawing differ by 5, while a long line of ink 200 levels dark moved by one pixel gives about 67 and a single
#: such pixel 22. Heavier compression (quality 75 against 95: 13) can exceed it: such frames are coloured anew.
DEFAULT_HOLD_TOLERANCE = 12.0

#: the same for line art decoded from H.264 video, whose coding noise around the lines of a repeated drawing reaches
#: 20-30 levels. On the 18 held-out line-art sequences put on twos and encoded at CRF 18 / 23 / 28
#: (benchmarks/colorize/HOLDS.md), 12 found 57 / 60 / 53 % of the holds and 20 found 78 / 85 / 87 %; what 20 also
#: took for holds (4 % of the changed pairs) had changed by at most 21.2 / 21.7 / 30.8 levels before encoding. It
#: stays under the 22 of one pixel of ink moved by one pixel.
VIDEO_HOLD_TOLERANCE = 20.0


def hold_tolerance_for(video: bool) -> float:
    """The hold tolerance for line art read from a video (H.264 noise) or from image files."""
    return VIDEO_HOLD_TOLERANCE if video else DEFAULT_HOLD_TOLERANCE


def held_drawing_difference(previous: np.ndarray, current: np.ndarray) -> float:
    """The largest pixel of the 3 x 3 box-blurred difference (0-255) of two gray line-art frames of one size: the
    statistic :func:`is_held_drawing` compares with its tolerance."""
    difference = cv2.blur(current.astype(np.float32) - previous.astype(np.float32), (3, 3))
    return float(np.abs(difference).max())


def is_held_drawing(previous: np.ndarray, current: np.ndarray, tolerance: float = DEFAULT_HOLD_TOLERANCE) -> bool:
    """True when two gray line-art frames show the same drawing: same size, and no pixel of their 3 x 3 box-blurred
    difference above ``tolerance`` (0-255)."""
    return previous.shape == current.shape and held_drawing_difference(previous, current) <= tolerance


def is_shot_cut(previous: np.ndarray, current: np.ndarray, threshold: float = DEFAULT_CUT_THRESHOLD) -> bool:
    """True when two consecutive gray line-art frames belong to different shots (ink correlation below
    ``threshold``) or differ in size."""
    if previous.shape != current.shape:
        return True
    return ink_correlation(previous, current) < threshold
