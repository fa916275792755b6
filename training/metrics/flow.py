"""Optical flow between source frames and the reliability masks of the warping error (docs/METHODS.md, "Warping error").

Flow is OpenCV DIS (Dense Inverse Search) on grayscale source frames with the MEDIUM preset: about 20 ms per
640x272 pair on one CPU core, and markedly more accurate than ULTRAFAST/FAST on real footage (the paper used RAFT,
which is not available offline). The flow F from frame a to frame b satisfies a(x) ~ b(x + F(x)).

Masks: the occlusion and motion-boundary checks of docs/METHODS.md, "Warping error" (`engine.optical_flow`, which
the engine's temporal stabiliser uses too); pixels whose target x + F(x) falls outside the frame are also invalid
(nothing to compare them with).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from engine.optical_flow import (DIS_PRESETS, dis_flow, motion_boundary_mask, occlusion_mask, sample_positions,
                                 warp_by_flow)

__all__ = [
    "FlowPair",
    "DIS_PRESETS",
    "to_gray",
    "estimate_flow",
    "sample_bilinear",
    "inside_mask",
    "valid_mask",
    "trusted_flow",
    "flow_pairs",
]

log = logging.getLogger(__name__)

DEFAULT_PRESET = "medium"


@dataclass(frozen=True)
class FlowPair:
    """Forward flow from source frame `index_a` to `index_b` and the mask of pixels where the warp is trusted.

    `flow`: float32 [H, W, 2] (dx, dy); `valid`: bool [H, W] (not occluded, not a motion boundary, target inside).
    """

    index_a: int
    index_b: int
    flow: np.ndarray
    valid: np.ndarray

    @property
    def valid_fraction(self) -> float:
        """Share of pixels that enter the error."""
        return float(self.valid.mean())


def to_gray(frame: np.ndarray) -> np.ndarray:
    """uint8 RGB [H, W, 3] (or gray [H, W]) -> uint8 gray [H, W]."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {frame.dtype}")
    if frame.ndim == 2:
        return frame
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frames must be H x W x 3 RGB, got shape {frame.shape}")
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def estimate_flow(gray_a: np.ndarray, gray_b: np.ndarray, *, preset: str = DEFAULT_PRESET) -> np.ndarray:
    """DIS flow F from gray frame a to gray frame b: float32 [H, W, 2], a(x) ~ b(x + F(x)) (the engine's flow)."""
    return dis_flow(gray_a, gray_b, preset)


def sample_bilinear(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample `image` bilinearly at x + flow(x) (border replicated); float32 out, same channels as in."""
    return warp_by_flow(np.ascontiguousarray(image, dtype=np.float32), flow)


def inside_mask(flow: np.ndarray) -> np.ndarray:
    """True where x + flow(x) lies inside the frame (bilinear support included)."""
    h, w = flow.shape[:2]
    map_x, map_y = sample_positions(flow)
    return (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)


def valid_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Pixels that enter the warping error: not occluded, not on a motion boundary, warped target inside."""
    return ~occlusion_mask(forward, backward) & ~motion_boundary_mask(forward) & inside_mask(forward)


def trusted_flow(gray_a: np.ndarray, gray_b: np.ndarray, *, preset: str = DEFAULT_PRESET
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Flow from gray frame a to gray frame b and the mask of pixels where it is trusted (`valid_mask`)."""
    forward = estimate_flow(gray_a, gray_b, preset=preset)
    backward = estimate_flow(gray_b, gray_a, preset=preset)
    return forward, valid_mask(forward, backward)


def flow_pairs(
    source_frames: Sequence[np.ndarray] | np.ndarray, *, long_range: bool = False, preset: str = DEFAULT_PRESET
) -> list[FlowPair]:
    """Flows and masks for the warping error, computed once per source clip and reusable for every method.

    Short range: pairs (t, t+1) for all t. Long range (Liu et al. eq. 15): pairs (0, i) for every later frame i,
    with the flow computed directly between source frames 0 and i.
    """
    grays = [to_gray(frame) for frame in source_frames]
    if len(grays) < 2:
        raise ValueError(f"the warping error needs at least 2 frames, got {len(grays)}")
    shape = grays[0].shape
    for index, gray in enumerate(grays):
        if gray.shape != shape:
            raise ValueError(f"source frame {index} has size {gray.shape}, frame 0 has {shape}")
    index_pairs = [(0, i) for i in range(1, len(grays))] if long_range else [(t, t + 1) for t in range(len(grays) - 1)]
    pairs = []
    for a, b in index_pairs:
        pairs.append(FlowPair(a, b, *trusted_flow(grays[a], grays[b], preset=preset)))
    log.debug(
        "%d %s-range flow pairs, mean valid fraction %.3f",
        len(pairs),
        "long" if long_range else "short",
        float(np.mean([p.valid_fraction for p in pairs])),
    )
    return pairs
