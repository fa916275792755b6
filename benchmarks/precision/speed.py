"""Seconds per frame of each model in fp32 and int8, interleaved run by run, through the engine.

Two timings per model and size: the engine's whole frame (``Cartoonizer.process`` / ``Colorizer.colorize_frame``
with two references: conversions, padding, tiling, reference alignment, the network) and the network alone (the
engine's ONNX Runtime session on the padded input). Each reports the best and the median wall time of interleaved
runs after a warm-up, so a change in the machine's load hits both precisions alike.
"""
from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from engine import Cartoonizer, Colorizer, Reference
from engine.models import ModelCard
from engine.runtime import get_session

__all__ = ["SpeedRow", "time_interleaved", "measure_model"]

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "int8")


@dataclass(frozen=True)
class SpeedRow:
    """One model at one size: best / median seconds per call for each precision, for the frame and the network."""

    model: str
    size: tuple[int, int]
    network_size: tuple[int, int]
    frame: dict[str, tuple[float, float]]
    network: dict[str, tuple[float, float]]

    def ratio(self, what: str) -> float:
        """fp32 best seconds / int8 best seconds (> 1: int8 is faster)."""
        times = self.frame if what == "frame" else self.network
        return times["fp32"][0] / times["int8"][0]


def time_interleaved(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """(best, median) wall seconds of each call, after one warm-up each, interleaved call by call."""
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {key: [] for key in calls}
    for _ in range(repeats):
        for key, call in calls.items():
            start = time.perf_counter()
            call()
            times[key].append(time.perf_counter() - start)
    return {key: (min(v), statistics.median(v)) for key, v in times.items()}


def _frame(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth photo-like test frame (gradients and discs): content does not change the cost of these nets."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([x / w, y / h, 0.5 + 0.5 * np.sin((x + y) / 40.0)], -1) * 200 + 20
    for _ in range(12):
        cx, cy, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(h // 20 + 2, h // 5 + 3))
        cv2.circle(img, (cx, cy), r, rng.integers(0, 255, 3).tolist(), -1)
    return img.astype(np.uint8)


def _lineart(rgb: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return 255 - cv2.dilate(cv2.Canny(gray, 50, 150), np.ones((2, 2), np.uint8))


def _padded(h: int, w: int, m: int) -> tuple[int, int]:
    return h + (-h) % m, w + (-w) % m


def measure_model(card: ModelCard, sizes: Sequence[tuple[int, int]], repeats: int) -> list[SpeedRow]:
    """Time ``card``'s model in fp32 and int8 (its card must list an int8 file) at every ``(height, width)``."""
    rows = []
    if card.task == "cartoonize":
        engines = {p: Cartoonizer(card.onnx_path, device="cpu", precision=p) for p in PRECISIONS}
    else:
        engines = {p: Colorizer(card.onnx_path, device="cpu", precision=p) for p in PRECISIONS}
    wrong = [f"{p} ran {e.precision}" for p, e in engines.items() if e.precision != p]
    if wrong:
        raise RuntimeError(f"{card.name}: {', '.join(wrong)}; the speed rows need both precisions")
    sessions = {p: get_session(card, "cpu", precision=p) for p in PRECISIONS}  # the engines' cached sessions
    for h, w in sizes:
        if card.task == "cartoonize":
            frame = _frame(h, w, 0)
            frame_calls = {p: (lambda e=e: e.process(frame)) for p, e in engines.items()}
            nh, nw = _padded(h, w, card.size_multiple)
            x = np.random.default_rng(1).uniform(-1, 1, (1, 3, nh, nw)).astype(np.float32)
            net_calls = {p: (lambda s=s: s.run(x)) for p, s in sessions.items()}
        else:
            colour, target = _frame(h, w, 0), _frame(h, w, 0)[:, ::-1].copy()
            refs = [Reference(_lineart(colour), colour), Reference(_lineart(colour[::-1]), colour[::-1].copy())]
            line = _lineart(target)
            frame_calls = {p: (lambda e=e: e.colorize_frame(line, refs)) for p, e in engines.items()}
            nh, nw = _padded(*engines["fp32"].network_size(h, w), card.size_multiple)
            rng = np.random.default_rng(1)
            feeds = {"sketch": rng.uniform(-1, 1, (1, 1, nh, nw)),
                     "reference_sketch": rng.uniform(-1, 1, (2, 1, nh, nw)),
                     "reference_color": rng.uniform(-1, 1, (2, 3, nh, nw))}
            net_calls = {p: (lambda s=s: s.run_inputs(feeds)) for p, s in sessions.items()}
        frame_t = time_interleaved(frame_calls, repeats)
        net_t = time_interleaved(net_calls, repeats)
        row = SpeedRow(card.name, (h, w), (nh, nw), frame_t, net_t)
        log.info("%s %dx%d: frame fp32 %.3f s int8 %.3f s (x%.2f); network x%.2f", card.name, w, h,
                 frame_t["fp32"][0], frame_t["int8"][0], row.ratio("frame"), row.ratio("network"))
        rows.append(row)
    return rows
