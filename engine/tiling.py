"""Padding to the model's size multiple, and tiling with feathered overlaps for large frames.

Arrays here are float32 ``(C, H, W)``. A tile's weight is a separable ramp: zero over the outer quarter of the
overlap at every border shared with another tile (those pixels see the tile edge within the network's receptive
field), then a linear ramp up to 1; borders on the image edge keep weight 1. Each tile's weight is divided by the
summed weights of all tiles over its pixels (once per frame size, :func:`blend_plan`), so each pixel's weights sum
to 1 and tiles blend without seams.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["Tile", "pad_to_multiple", "tile_starts", "balanced_tile", "plan_tiles", "tile_weight", "run_padded",
           "blend_plan", "run_tiled"]

log = logging.getLogger(__name__)

#: runs the network on one float32 ``(1, C, h, w)`` batch and returns ``(1, C', h, w)``
NetFn = Callable[[np.ndarray], np.ndarray]


def pad_to_multiple(chw: np.ndarray, multiple: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Reflection-pad ``(C, H, W)`` at the bottom/right so H and W are multiples of ``multiple``.

    Returns the padded array and the original ``(H, W)`` for :func:`crop`. Works for 1x1 frames (numpy's
    reflect mode repeats the edge value there).
    """
    _, h, w = chw.shape
    ph = (-h) % multiple
    pw = (-w) % multiple
    if ph == 0 and pw == 0:
        return chw, (h, w)
    return np.pad(chw, ((0, 0), (0, ph), (0, pw)), mode="reflect"), (h, w)


def run_padded(chw: np.ndarray, net: NetFn, multiple: int) -> np.ndarray:
    """Pad to ``multiple``, run ``net`` on the whole array, crop back: ``(C, H, W)`` -> ``(C', H, W)``."""
    padded, (h, w) = pad_to_multiple(chw, multiple)
    out = net(padded[None])[0]
    return out[:, :h, :w]


def tile_starts(length: int, tile: int, overlap: int, align: int = 1) -> list[int]:
    """Start offsets of tiles of size ``tile`` covering ``length`` with at least ``overlap`` pixels of overlap.

    Starts are multiples of ``align`` (the model's size multiple), so every tile sees the same pixel grid as the
    whole frame (strided layers pool the same blocks). The last tile runs to the end of ``length`` and may be up
    to ``align - 1`` pixels longer than ``tile``.
    """
    if length <= tile:
        return [0]
    step = (tile - overlap) // align * align
    if step <= 0:
        raise ValueError(f"tile {tile} must exceed overlap {overlap} by at least {align}")
    last = (length - tile) // align * align
    starts = list(range(0, last, step))
    starts.append(last)
    return starts


@dataclass(frozen=True)
class Tile:
    """One tile: rows ``y0:y1`` and columns ``x0:x1`` of the frame."""

    y0: int
    y1: int
    x0: int
    x1: int


def balanced_tile(length: int, tile: int, overlap: int, align: int = 1) -> int:
    """The tile length (<= ``tile`` where possible) that covers ``length`` with the fewest, equal-sized tiles.

    E.g. 1280 px with tile 1024 and overlap 32: two tiles of 656 instead of two of 1024 (less wasted overlap).
    """
    if length <= tile:
        return length
    n = -(-(length - overlap) // (tile - overlap))
    t = -(-(length + (n - 1) * overlap) // n)
    return -(-t // align) * align


def _spans(length: int, tile: int, overlap: int, align: int) -> list[tuple[int, int]]:
    tile = balanced_tile(length, tile, overlap, align)
    starts = tile_starts(length, tile, overlap, align)
    return [(s, length if i == len(starts) - 1 else min(s + tile, length)) for i, s in enumerate(starts)]


def plan_tiles(height: int, width: int, tile: int, overlap: int, align: int = 1) -> list[Tile]:
    """All tiles for a ``height`` x ``width`` frame (row-major)."""
    return [Tile(y0, y1, x0, x1) for y0, y1 in _spans(height, tile, overlap, align)
            for x0, x1 in _spans(width, tile, overlap, align)]


def _ramp(n: int, overlap: int, fade_start: bool, fade_end: bool) -> np.ndarray:
    w = np.ones(n, dtype=np.float32)
    if overlap <= 0:
        return w
    margin = overlap // 4
    ramp_len = max(1, overlap - margin)
    i = np.arange(n, dtype=np.float32)
    if fade_start:
        w = np.minimum(w, np.clip((i - margin + 1.0) / (ramp_len + 1.0), 0.0, 1.0))
    if fade_end:
        w = np.minimum(w, np.clip((n - i - margin) / (ramp_len + 1.0), 0.0, 1.0))
    return w


def tile_weight(t: Tile, height: int, width: int, overlap: int) -> np.ndarray:
    """Unnormalised feather weight ``(h, w)`` of tile ``t`` (no fade on sides that lie on the frame edge)."""
    wy = _ramp(t.y1 - t.y0, overlap, t.y0 > 0, t.y1 < height)
    wx = _ramp(t.x1 - t.x0, overlap, t.x0 > 0, t.x1 < width)
    return wy[:, None] * wx[None, :]


@lru_cache(maxsize=2)  # one frame size per job in practice; a 4K plan holds ~50 MB of weights
def blend_plan(height: int, width: int, tile: int, overlap: int, multiple: int) -> tuple[tuple[Tile, np.ndarray], ...]:
    """The tiles of a ``height`` x ``width`` frame, each with its feather weight divided by the summed weights of
    every tile over its pixels (read-only ``(h, w)`` float32; they add up to 1 at every pixel). Computed once per
    frame size: a clip's frames share it, so the division is not paid per frame."""
    tiles = plan_tiles(height, width, tile, overlap, multiple)
    weights = [tile_weight(t, height, width, overlap) for t in tiles]
    total = np.zeros((height, width), dtype=np.float32)
    for t, weight in zip(tiles, weights):
        total[t.y0:t.y1, t.x0:t.x1] += weight
    if float(total.min()) <= 0.0:  # cannot happen with tile > 2 * overlap; guard against silent black pixels
        raise ValueError("tiling left pixels without weight; increase the tile size")
    plan = []
    for t, weight in zip(tiles, weights):
        weight /= total[t.y0:t.y1, t.x0:t.x1]
        weight.flags.writeable = False
        plan.append((t, weight))
    return tuple(plan)


def run_tiled(chw: np.ndarray, net: NetFn, *, multiple: int, tile: int, overlap: int) -> np.ndarray:
    """Run ``net`` on ``(C, H, W)`` tile by tile and blend: ``(C', H, W)``.

    Falls back to one padded run when the frame fits in a single tile. ``tile`` must exceed ``2 * overlap``.
    """
    _, h, w = chw.shape
    if h <= tile and w <= tile:
        return run_padded(chw, net, multiple)
    if tile <= 2 * overlap:
        raise ValueError(f"tile size {tile} must be larger than twice the overlap {overlap}")
    plan = blend_plan(h, w, tile, overlap, multiple)
    log.debug("%dx%d frame in %d tiles of %d (overlap %d)", w, h, len(plan), tile, overlap)
    acc: np.ndarray | None = None
    for t, weight in plan:
        out = run_padded(chw[:, t.y0:t.y1, t.x0:t.x1], net, multiple)
        if acc is None:
            acc = np.zeros((out.shape[0], h, w), dtype=np.float32)
        acc[:, t.y0:t.y1, t.x0:t.x1] += out * weight
    assert acc is not None
    return acc
