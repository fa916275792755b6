"""Temporal section: E_short / E_long (docs/METHODS.md, "Warping error") of every method on every held-out clip.

Flows and masks are computed once per clip on the source frames (`training.metrics.flow_pairs`) and shared by all
methods, so every row is measured against exactly the same pixels.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from training.metrics.flow import FlowPair, flow_pairs, sample_bilinear
from training.metrics.warping import pair_error

from .data import Clip
from .methods import Method

__all__ = ["ClipScore", "TemporalResults", "OutputObserver", "measure_temporal"]

log = logging.getLogger(__name__)

#: A consecutive pair with less than this share of valid pixels is most likely a shot cut (reported, still counted).
LOW_VALID = 0.1

#: Called with (method key, clip, that method's output frames) after each method has run on a clip.
OutputObserver = Callable[[str, Clip, list[np.ndarray]], None]


@dataclass(frozen=True)
class ClipScore:
    """One method on one clip: per-pair errors, their means, and the method's processing speed."""

    method: str
    clip: str
    short_pairs: list[float]
    long_pairs: list[float]
    seconds: float
    frames: int

    @property
    def e_short(self) -> float:
        return float(np.mean(self.short_pairs))

    @property
    def e_long(self) -> float:
        return float(np.mean(self.long_pairs))


@dataclass
class TemporalResults:
    """Scores per (method, clip), flow statistics per clip, and frames for the contact sheet."""

    scores: dict[tuple[str, str], ClipScore] = field(default_factory=dict)
    clip_info: dict[str, dict[str, float]] = field(default_factory=dict)
    sheet_frames: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # method -> clip -> frame
    sheet_diffs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # method -> clip -> |W(O_t+1)-O_t|

    def mean(self, method: str) -> tuple[float, float]:
        """(E_short, E_long) averaged over clips (mean over pairs, then over clips)."""
        rows = [s for (m, _), s in self.scores.items() if m == method]
        return float(np.mean([s.e_short for s in rows])), float(np.mean([s.e_long for s in rows]))


def _scores(outputs: list[np.ndarray], pairs: list[FlowPair]) -> list[float]:
    values = [pair_error(outputs[p.index_a], outputs[p.index_b], p) for p in pairs]
    kept = [v for v in values if v is not None]
    if not kept:
        raise ValueError("no valid pixel in any pair")
    return kept


def _difference_map(outputs: list[np.ndarray], pair: FlowPair) -> np.ndarray:
    warped = sample_bilinear(outputs[pair.index_b].astype(np.float32), pair.flow)
    diff = np.abs(warped - outputs[pair.index_a].astype(np.float32)).mean(axis=2) / 255.0
    diff[~pair.valid] = np.nan
    return diff


def _sheet_pair(pairs: list[FlowPair]) -> int:
    """The middle pair, or the nearest one to it whose flow is mostly valid (not across a shot cut)."""
    middle = (len(pairs) - 1) // 2
    order = sorted(range(len(pairs)), key=lambda i: abs(i - middle))
    return next((i for i in order if pairs[i].valid_fraction >= 0.5), middle)


def measure_temporal(clips: list[Clip], methods: list[Method], *, preset: str = "medium",
                     observe: OutputObserver | None = None) -> TemporalResults:
    """Run every method on every clip and score it; the sheet keeps a frame near each clip's middle.

    Methods run clip by clip in the given order; `observe`, when given, sees every method's outputs on each clip
    (other sections measure the same frames without running the methods again).
    """
    results = TemporalResults()
    for clip in clips:
        start = time.perf_counter()
        short = flow_pairs(clip.frames, preset=preset)
        long = flow_pairs(clip.frames, long_range=True, preset=preset)
        h, w = clip.frames[0].shape[:2]
        results.clip_info[clip.name] = {
            "frames": len(clip.frames),
            "height": h,
            "width": w,
            "valid_short": float(np.mean([p.valid_fraction for p in short])),
            "valid_long": float(np.mean([p.valid_fraction for p in long])),
            "low_valid_pairs": float(sum(p.valid_fraction < LOW_VALID for p in short)),
            "median_motion_px": float(np.median([np.median(np.hypot(*p.flow.transpose(2, 0, 1))) for p in short])),
            "flow_seconds": time.perf_counter() - start,
        }
        middle = _sheet_pair(short)
        for method in methods:
            start = time.perf_counter()
            outputs = method.run_clip(clip.frames)
            seconds = time.perf_counter() - start
            if len(outputs) != len(clip.frames) or outputs[0].shape != clip.frames[0].shape:
                raise ValueError(
                    f"{method.key} on {clip.name}: {len(outputs)} frames of {outputs[0].shape}, "
                    f"expected {len(clip.frames)} of {clip.frames[0].shape}"
                )
            score = ClipScore(method.key, clip.name, _scores(outputs, short), _scores(outputs, long), seconds,
                              len(outputs))
            results.scores[(method.key, clip.name)] = score
            if observe is not None:
                observe(method.key, clip, outputs)
            results.sheet_frames.setdefault(method.key, {})[clip.name] = outputs[short[middle].index_a]
            results.sheet_diffs.setdefault(method.key, {})[clip.name] = _difference_map(outputs, short[middle])
            log.info("%-22s %-20s E_short %.4f E_long %.4f (%.1f s, %.2f frames/s)", method.key, clip.name,
                     score.e_short, score.e_long, seconds, len(outputs) / seconds)
    return results
