"""Score each view of the flat frame, and the finished frame drawn on it, against the teacher's."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from training.teacher import TeacherStyle, finish_flat_frame, flat_frame

from .. import look
from ..data import Clip
from .views import flat_at_scale, flat_in_windows, student_frames

__all__ = ["View", "ViewScore", "teacher_views", "student_view", "score_views"]

log = logging.getLogger(__name__)

#: A view: uint8 RGB frame -> (flat frame, finished frame), both uint8 RGB of the frame's size.
FrameViews = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class View:
    """One row of the report: how its flat frame is made, and which frames of each clip it is scored on."""

    key: str
    kind: str  # "scale", "window" or "student"
    label: str
    frames: FrameViews
    stride: int  # scored on every stride-th frame of each clip
    measure: float | None = None  # the scale, or the margin in pixels; None for a student


@dataclass
class ViewScore:
    """A view's mean PSNR (dB) of its flat and finished frames to the teacher's, per clip."""

    flat: dict[str, float] = field(default_factory=dict)
    finished: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def mean_flat(self) -> float:
        return float(np.mean(list(self.flat.values())))

    @property
    def mean_finished(self) -> float:
        return float(np.mean(list(self.finished.values())))


def _finished_by_teacher(style: TeacherStyle, flat_of: Callable[[np.ndarray], np.ndarray]) -> FrameViews:
    def frames(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        flat = flat_of(rgb)
        return flat, finish_flat_frame(flat, style)
    return frames


def teacher_views(style: TeacherStyle, scales: list[float], tile: int, margins: list[int], stride: int,
                  window_stride: int) -> list[View]:
    """The teacher's flattening at each of `scales` of the frame's size, then on `tile` px tiles seeing each of
    `margins` px around them; the teacher's own tone steps and ink drawn on every one."""
    views = [View(f"scale {s:g}", "scale", f"the teacher's flat frame of the frame at {s:g} of its size, enlarged",
                  _finished_by_teacher(style, lambda rgb, s=s: flat_at_scale(rgb, style, s)), stride, s)
             for s in scales]
    views += [View(f"window {m}", "window",
                   f"the teacher's flat frame on {tile} px tiles, each seeing {m} px around it",
                   _finished_by_teacher(style, lambda rgb, m=m: flat_in_windows(rgb, style, tile, m)),
                   window_stride, m)
              for m in margins]
    return views


def student_view(name: str, cartoonizer: object, stride: int) -> View:
    """A distilled model's row: its network and region flattening, then the engine's finish."""
    return View(name, "student", f"`{name}`: its network and region flattening; the engine's tone steps and ink",
                lambda rgb: student_frames(cartoonizer, rgb), stride)


def score_views(clips: list[Clip], style: TeacherStyle, views: list[View]) -> dict[str, ViewScore]:
    """Every view's PSNR to the teacher on the frames it is scored on (the teacher runs once per frame)."""
    scores = {view.key: ViewScore() for view in views}
    strides = {view.stride for view in views}
    for clip in clips:
        teacher = {}
        for i in sorted({i for s in strides for i in range(0, len(clip.frames), s)}):
            flat = flat_frame(clip.frames[i], style)
            teacher[i] = (flat, finish_flat_frame(flat, style))
        for view in views:
            start = time.perf_counter()
            pairs = [(view.frames(clip.frames[i]), teacher[i]) for i in range(0, len(clip.frames), view.stride)]
            score = scores[view.key]
            score.flat[clip.name] = look.clip_psnr([p[0][0] for p in pairs], [p[1][0] for p in pairs])
            score.finished[clip.name] = look.clip_psnr([p[0][1] for p in pairs], [p[1][1] for p in pairs])
            score.seconds += time.perf_counter() - start
            log.info("%-12s %-10s flat %.2f dB finished %.2f dB (%d frames)", view.key, clip.name,
                     score.flat[clip.name], score.finished[clip.name], len(pairs))
    return scores
