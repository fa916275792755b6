"""Dense optical flow (OpenCV DIS), backward warping and the flow reliability masks, shared by the temporal
stabiliser, reference alignment and the warping-error metric (training.metrics.flow).

Convention: the flow F from frame a to frame b satisfies a(x) ~ b(x + F(x)), so sampling b at x + F(x) brings b into
a's geometry (a backward warp: every pixel of a gets a value, none is left as a hole).

Masks (Sundaram et al. / Ruder et al. consistency checks; docs/METHODS.md, "Warping error"):
- occlusion: with B~(x) = B(x + F(x)), occluded where |F + B~|^2 > 0.01 (|F|^2 + |B~|^2) + 0.5;
- motion boundary: |grad F_u|^2 + |grad F_v|^2 > 0.01 |F|^2 + 0.002 (forward differences, zero at the last
  row / column).
"""
from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

__all__ = ["DIS_PRESETS", "INTERPOLATIONS", "create_dis", "dis_flow", "sample_positions", "warp_by_flow",
           "occlusion_mask", "flows_disagree", "motion_boundary_mask"]

#: DIS presets by name, fastest first: OpenCV's preset and the finest pyramid level its flow is refined down to
#: (0 = full resolution). OpenCV's medium stops at half resolution; "fine" is medium refined at full resolution,
#: which thin line art needs: a line's move of under a pixel is lost at half resolution.
DIS_PRESETS: dict[str, tuple[int, int]] = {
    "ultrafast": (cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, 2),
    "fast": (cv2.DISOPTICAL_FLOW_PRESET_FAST, 2),
    "medium": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, 1),
    "fine": (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, 0),
}

#: ``warp_by_flow``'s interpolations: bilinear, or Lanczos (8 x 8 taps), which keeps a sharp colour edge sharp where
#: bilinear sampling between pixels averages the two sides (and a chain that warps its previous output every frame
#: blurs it a little more each time).
INTERPOLATIONS: dict[str, int] = {"linear": cv2.INTER_LINEAR, "lanczos": cv2.INTER_LANCZOS4}


def create_dis(preset: str) -> cv2.DISOpticalFlow:
    """An OpenCV DIS flow object set up as the named preset (:data:`DIS_PRESETS`).

    Raises:
        ValueError: an unknown preset name.
    """
    if preset not in DIS_PRESETS:
        raise ValueError(f"unknown DIS preset {preset!r}; use one of {', '.join(DIS_PRESETS)}")
    opencv_preset, finest_scale = DIS_PRESETS[preset]
    dis = cv2.DISOpticalFlow_create(opencv_preset)
    dis.setFinestScale(finest_scale)
    return dis


def dis_flow(gray_a: np.ndarray, gray_b: np.ndarray, preset: str = "medium") -> np.ndarray:
    """Flow from uint8 gray frame a to b (same size): float32 ``(H, W, 2)`` (dx, dy), a(x) ~ b(x + F(x))."""
    return create_dis(preset).calc(gray_a, gray_b, None)


def sample_positions(flow: np.ndarray, first_row: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The positions ``x + flow(x)`` a backward warp samples: float32 maps (x, y), each ``(H, W)``.

    ``flow`` may be a band of rows of a frame's flow starting at row ``first_row``: the maps are then that band's
    rows of the whole frame's maps, bit for bit.
    """
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32),
                                 np.arange(first_row, first_row + height, dtype=np.float32))
    return grid_x + flow[..., 0], grid_y + flow[..., 1]


def warp_by_flow(image: np.ndarray, flow: np.ndarray, interpolation: Literal["linear", "lanczos"] = "linear"
                 ) -> np.ndarray:
    """Sample ``image`` at ``x + flow(x)`` (:data:`INTERPOLATIONS`; edges clamped, uint8 results saturated); same
    dtype and size as ``image``."""
    map_x, map_y = sample_positions(flow)
    return cv2.remap(image, map_x, map_y, interpolation=INTERPOLATIONS[interpolation],
                     borderMode=cv2.BORDER_REPLICATE)


def occlusion_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Boolean ``(H, W)``: True where ``forward`` (a -> b) and ``backward`` (b -> a) flows, both ``(H, W, 2)``, fail
    to cancel: ``|F + B~|^2 > 0.01 (|F|^2 + |B~|^2) + 0.5`` with ``B~(x) = B(x + F(x))``."""
    back_warped = warp_by_flow(np.ascontiguousarray(backward, dtype=np.float32), forward)
    return flows_disagree(forward, back_warped)


def flows_disagree(forward: np.ndarray, back_warped: np.ndarray) -> np.ndarray:
    """The test of :func:`occlusion_mask` on ``F`` and ``B~`` (``B`` already sampled at ``x + F(x)``); works on any
    band of rows."""
    total = forward + back_warped
    lhs = (total**2).sum(axis=2)
    rhs = 0.01 * ((forward**2).sum(axis=2) + (back_warped**2).sum(axis=2)) + 0.5
    return lhs > rhs


def motion_boundary_mask(forward: np.ndarray) -> np.ndarray:
    """Boolean ``(H, W)``: True where ``|grad F_u|^2 + |grad F_v|^2 > 0.01 |F|^2 + 0.002`` (forward differences)."""
    dx = np.zeros_like(forward)
    dy = np.zeros_like(forward)
    dx[:, :-1] = forward[:, 1:] - forward[:, :-1]
    dy[:-1] = forward[1:] - forward[:-1]
    grad_sq = (dx**2 + dy**2).sum(axis=2)
    return grad_sq > 0.01 * (forward**2).sum(axis=2) + 0.002
