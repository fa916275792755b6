"""Engine speed: seconds per frame of `Colorizer.colorize_frame` at given frame sizes, with one reference (the
paper's setting) and two (the engine's keyframe + previous output), on real held-out frames resized to each size.

Timings are medians after a warm-up call, the models taking turns call by call
(`benchmarks.cartoonize.speed.time_calls_interleaved`): the machine may be shared, and a load spike then slows every
model alike instead of one; the report prints the load average beside them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from benchmarks.cartoonize.speed import Timing, time_calls_interleaved
from engine import Colorizer, Reference

__all__ = ["SpeedRow", "PAPER_SECONDS_256", "measure_speed"]

#: LCMFTN paper, Table 4: seconds per 256x256 frame on an NVIDIA Tesla P40 GPU
PAPER_SECONDS_256 = 0.90


@dataclass(frozen=True)
class SpeedRow:
    """One model at one frame size with `references` references."""

    model: str
    width: int
    height: int
    network_width: int
    network_height: int
    references: int
    timing: Timing


def _fit(img: np.ndarray, w: int, h: int) -> np.ndarray:
    shrink = w * h < img.shape[0] * img.shape[1]
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def measure_speed(colorizers: Mapping[str, Colorizer], frames: Sequence[tuple[np.ndarray, np.ndarray]],
                  sizes: Sequence[tuple[int, int]], repeats: int) -> list[SpeedRow]:
    """Time every colorizer at every (height, width) in `sizes`; `frames`: three (line art, colour) pairs of one
    shot: keyframe, previous frame, current frame."""
    rows = []
    for h, w in sizes:
        (kl, kc), (pl, pc), (cl, _) = [(_fit(l, w, h), _fit(c, w, h)) for l, c in frames]
        for refs in ([Reference(kl, kc)], [Reference(kl, kc), Reference(pl, pc)]):
            calls = {key: (lambda col=col, refs=refs: col.colorize_frame(cl, refs)) for key, col in colorizers.items()}
            for key, timing in time_calls_interleaved(calls, repeats).items():
                nh, nw = colorizers[key].network_size(h, w)
                rows.append(SpeedRow(key, w, h, nw, nh, len(refs), timing))
    order = list(colorizers)
    return sorted(rows, key=lambda row: order.index(row.model))  # stable: sizes and K keep their order per model
