"""Warping error E_short / E_long (docs/METHODS.md, "Warping error"; Liu et al. eq. 14-15, Lai et al. 2018).

E for a pair (a, b) = mean over valid pixels x of the mean over R, G, B of |W(O_b)(x) - O_a(x)|, values in [0, 1],
where W(O_b) is output frame b sampled bilinearly at x + F(x) and F is the DIS flow between the SOURCE frames a
and b (see `flow.py` for the flow and the masks). The clip's error is the mean over pairs; callers average clips.
"""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from .flow import DEFAULT_PRESET, FlowPair, flow_pairs, sample_bilinear

__all__ = ["pair_error", "warping_error_from_pairs", "warping_error"]

log = logging.getLogger(__name__)


def _as_unit(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"output frames must be uint8 H x W x 3 RGB, got {frame.dtype} {frame.shape}")
    return frame.astype(np.float32) / 255.0


def pair_error(output_a: np.ndarray, output_b: np.ndarray, pair: FlowPair) -> float | None:
    """Masked mean |W(O_b) - O_a| in [0, 1] for one pair; None when no pixel is valid."""
    a = _as_unit(output_a)
    b = _as_unit(output_b)
    if a.shape[:2] != pair.flow.shape[:2] or b.shape != a.shape:
        raise ValueError(f"output frames {a.shape} / {b.shape} do not match the source size {pair.flow.shape[:2]}")
    count = int(pair.valid.sum())
    if count == 0:
        return None
    diff = np.abs(sample_bilinear(b, pair.flow) - a).mean(axis=2)
    return float(diff[pair.valid].mean())


def warping_error_from_pairs(output_frames: Sequence[np.ndarray] | np.ndarray, pairs: Sequence[FlowPair]) -> float:
    """Mean pair error of `output_frames` over precomputed source flows (see `flow.flow_pairs`)."""
    if not pairs:
        raise ValueError("no flow pairs given")
    needed = max(max(p.index_a, p.index_b) for p in pairs) + 1
    if len(output_frames) < needed:
        raise ValueError(f"the flow pairs need {needed} output frames, got {len(output_frames)}")
    errors = []
    for pair in pairs:
        error = pair_error(output_frames[pair.index_a], output_frames[pair.index_b], pair)
        if error is None:
            log.warning("pair (%d, %d) has no valid pixel; skipped", pair.index_a, pair.index_b)
            continue
        errors.append(error)
    if not errors:
        raise ValueError("no pair has any valid pixel: the flow masks exclude the whole clip")
    return float(np.mean(errors))


def warping_error(
    source_frames: Sequence[np.ndarray] | np.ndarray,
    output_frames: Sequence[np.ndarray] | np.ndarray,
    *,
    long_range: bool = False,
    preset: str = DEFAULT_PRESET,
) -> float:
    """E_short (consecutive pairs) or, with `long_range`, E_long (frame 1 against every later frame).

    `source_frames` and `output_frames`: equally long sequences of uint8 H x W x 3 RGB frames of one size.
    Flow is estimated on the source frames; the error is measured on the outputs.
    """
    if len(source_frames) != len(output_frames):
        raise ValueError(f"{len(source_frames)} source frames but {len(output_frames)} output frames")
    return warping_error_from_pairs(output_frames, flow_pairs(source_frames, long_range=long_range, preset=preset))
