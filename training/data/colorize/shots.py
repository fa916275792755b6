"""Shot-cut detection by colour-histogram distance between consecutive frames.

A cut is where the chi-square-like distance between the HSV histograms of frame t-1 and frame t is both large in
absolute terms (``threshold``) and large relative to the typical distance around it (``ratio`` times the median
of the neighbouring distances), so fast motion inside a shot does not count as a cut.
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

__all__ = ["frame_histogram", "histogram_distances", "detect_cuts", "split_shots"]


def frame_histogram(rgb: np.ndarray, bins: tuple[int, int, int] = (16, 4, 4)) -> np.ndarray:
    """Normalised (sum 1) HSV histogram of an H x W x 3 uint8 RGB frame, flattened."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(bins), [0, 180, 0, 256, 0, 256]).ravel()
    return hist / max(float(hist.sum()), 1.0)


def histogram_distances(histograms: Sequence[np.ndarray]) -> np.ndarray:
    """Distance in [0, 1] between each frame's histogram and the previous one (entry 0 is 0)."""
    out = np.zeros(len(histograms), np.float64)
    for t in range(1, len(histograms)):
        a, b = histograms[t - 1], histograms[t]
        total = a + b
        nonzero = total > 0
        out[t] = 0.5 * float((((a - b) ** 2)[nonzero] / total[nonzero]).sum())
    return out


def detect_cuts(distances: np.ndarray, *, threshold: float = 0.25, ratio: float = 3.0, window: int = 5) -> list[int]:
    """Indices t where a new shot starts (frame t differs from frame t-1), from :func:`histogram_distances`."""
    cuts = []
    for t in range(1, len(distances)):
        lo, hi = max(1, t - window), min(len(distances), t + window + 1)
        neighbours = [distances[i] for i in range(lo, hi) if i != t]
        typical = float(np.median(neighbours)) if neighbours else 0.0
        if distances[t] >= threshold and distances[t] >= ratio * typical:
            cuts.append(t)
    return cuts


def split_shots(frames: Sequence[np.ndarray], *, min_length: int = 1, **cut_options: float) -> list[range]:
    """Frame index ranges of the shots of a frame sequence; shots shorter than ``min_length`` are dropped."""
    distances = histogram_distances([frame_histogram(f) for f in frames])
    bounds = [0, *detect_cuts(distances, **cut_options), len(frames)]
    return [range(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b - a >= min_length]
