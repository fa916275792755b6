"""The teacher's flattening with less to go on, and a student's flat and finished frames.

Every function takes and returns uint8 RGB ``(H, W, 3)`` of the same size.
"""
from __future__ import annotations

import cv2
import numpy as np

from training.teacher import TeacherStyle, flat_frame

__all__ = ["flat_at_scale", "flat_in_windows", "student_frames"]


def flat_at_scale(rgb: np.ndarray, style: TeacherStyle, scale: float) -> np.ndarray:
    """The teacher's flat frame of `rgb` shrunk to `scale` of its size (area average), enlarged back bilinearly:
    the flattening with `1 / scale` fewer pixels of detail but the whole frame in view."""
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    if scale == 1.0:
        return flat_frame(rgb, style)
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.resize(flat_frame(small, style), (w, h), interpolation=cv2.INTER_LINEAR)


def flat_in_windows(rgb: np.ndarray, style: TeacherStyle, tile: int, margin: int) -> np.ndarray:
    """The teacher's flat frame computed tile by tile, each tile (`tile` px square) flattened with `margin` px of the
    frame around it in view (mirrored beyond the frame's edge) and only the tile kept: the flattening with full
    detail but a limited view, like a network with a receptive field of about ``tile + 2 * margin``."""
    if tile < 1 or margin < 0:
        raise ValueError(f"need tile >= 1 and margin >= 0, got {tile}, {margin}")
    h, w = rgb.shape[:2]
    padded = cv2.copyMakeBorder(rgb, margin, margin, margin, margin, cv2.BORDER_REFLECT_101) if margin else rgb
    out = np.empty_like(rgb)
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            th, tw = min(tile, h - y), min(tile, w - x)
            window = np.ascontiguousarray(padded[y : y + th + 2 * margin, x : x + tw + 2 * margin])
            out[y : y + th, x : x + tw] = flat_frame(window, style)[margin : margin + th, margin : margin + tw]
    return out


def student_frames(cartoonizer: object, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A distilled model's flat frame (its network's output after the card's region flattening) and its finished
    frame (the engine's output: the tone steps and ink drawn on it); `cartoonizer` is an `engine.Cartoonizer` whose
    card names the region flattening and tone steps."""
    from engine.frames import unit_to_uint8
    from engine.region_flatten import flatten_regions

    card = cartoonizer.card  # type: ignore[attr-defined]
    if card.region_flatten is None or card.tone_steps is None:
        raise ValueError(f"{card.name}: the card leaves no tone steps to the engine, so the model has no flat frame")
    network = cartoonizer.network_rgb(rgb)  # type: ignore[attr-defined]
    flat = flatten_regions(network, card.region_flatten.sigma_spatial, card.region_flatten.sigma_color)
    finished = cartoonizer.post_filters(network)  # type: ignore[attr-defined]
    return unit_to_uint8(flat), unit_to_uint8(finished)
