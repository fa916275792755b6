"""The measurements of the distillation benchmark and the results they fill.

Look metrics (`benchmarks.cartoonize.look`) are taken on exactly the frames the temporal section scores: they
observe each row's outputs inside `measure_temporal` (same clips, same flows and masks as the main benchmark's
warping error). Speed times teachers, students and references on one frame, the calls taking turns.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from training.teacher import cartoon_abstraction, get_style

from .. import look
from ..data import Clip
from ..speed import Timing, time_calls_interleaved
from ..temporal import TemporalResults
from .rows import Row, Student, teacher_key

__all__ = ["LookScore", "SpeedEntry", "DistillResults", "LookObserver", "measure_speed"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LookScore:
    """One row on one clip: flatness, mean |out - source| and (students) PSNR against the teacher's frames."""

    flatness: float
    abs_difference: float
    psnr_teacher: float | None


@dataclass(frozen=True)
class SpeedEntry:
    """Seconds per frame of one row at one size (`height`, `width`); `teacher` is the timing of a student's teacher
    in the same interleaved loop (None for other rows)."""

    key: str
    height: int
    width: int
    timing: Timing
    teacher: Timing | None


@dataclass
class DistillResults:
    """Everything one run measured, with its settings, machine and timings."""

    command: str
    settings: dict[str, Any]
    machine: dict[str, str]
    rows: list[Row]
    models: dict[str, str]  # model name -> ONNX path
    source_sizes: dict[str, tuple[int, int]]  # clip -> (width, height) of the files on disk
    temporal: TemporalResults
    look: dict[tuple[str, str], LookScore] = field(default_factory=dict)  # (row key, clip) -> scores
    speed: list[SpeedEntry] = field(default_factory=list)
    section_seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    started: str = ""

    @property
    def clips(self) -> list[str]:
        return list(self.temporal.clip_info)

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def flatness_gain(self, key: str, clip: str) -> float:
        """flatness(row) - flatness(source) on one clip."""
        return self.look[(key, clip)].flatness - self.look[("source", clip)].flatness

    def mean_look(self, key: str, attribute: str) -> float | None:
        """A look score of a row averaged over clips (None where the row has none)."""
        values = [getattr(self.look[(key, clip)], attribute) for clip in self.clips]
        return None if any(v is None for v in values) else float(np.mean(values))

    def e_short(self, key: str, clip: str | None = None) -> float:
        """E_short of a row on one clip, or averaged over clips."""
        return self.temporal.mean(key)[0] if clip is None else self.temporal.scores[(key, clip)].e_short


class LookObserver:
    """Scores each row's outputs as `measure_temporal` produces them; keeps the teachers' frames of the current clip
    for the students' PSNR (teachers run before their students on every clip)."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = {r.key: r for r in rows}
        self.scores: dict[tuple[str, str], LookScore] = {}
        self._teacher_frames: dict[str, list[np.ndarray]] = {}
        self._clip = ""

    def __call__(self, key: str, clip: Clip, outputs: list[np.ndarray]) -> None:
        if clip.name != self._clip:
            self._clip, self._teacher_frames = clip.name, {}
        row = self.rows[key]
        if row.kind == "teacher":
            self._teacher_frames[key] = outputs
        psnr = None
        if row.kind == "student" and row.style is not None:
            psnr = look.clip_psnr(outputs, self._teacher_frames[teacher_key(row.style)])
        score = LookScore(look.clip_flatness(outputs), look.clip_mean_abs_difference(outputs, clip.frames), psnr)
        self.scores[(key, clip.name)] = score
        log.info("%-22s %-12s flatness %.3f |out-src| %.4f PSNR(teacher) %s", key, clip.name, score.flatness,
                 score.abs_difference, "n/a" if psnr is None else f"{psnr:.2f} dB")


def measure_speed(frame: np.ndarray, students: Sequence[Student], references: dict[str, Path],
                  sizes: Sequence[tuple[int, int]], repeats: int, factory: Callable[..., Any]) -> list[SpeedEntry]:
    """Seconds per frame, on `frame` resized to each size, of each teacher style (`cartoon_abstraction`), each
    student and each reference (`engine.Cartoonizer.process`, stabiliser off), all taking turns call by call."""
    styles = list(dict.fromkeys(s.style for s in students))
    engines = {s.name: factory(s.path, temporal=False) for s in students}
    engines.update({name: factory(path, temporal=False) for name, path in references.items()})
    style_of = {s.name: s.style for s in students}
    entries: list[SpeedEntry] = []
    for h, w in sizes:
        sized = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA if w < frame.shape[1] else cv2.INTER_LINEAR)
        calls: dict[str, Callable[[], object]] = {}
        for style in styles:  # in report order: each teacher, its students; then the references
            calls[teacher_key(style)] = partial(cartoon_abstraction, sized, get_style(style))
            calls.update({s.name: partial(engines[s.name].process, sized) for s in students if s.style == style})
        calls.update({name: partial(engines[name].process, sized) for name in references})
        timed = time_calls_interleaved(calls, repeats)
        for key, timing in timed.items():
            teacher = timed[teacher_key(style_of[key])] if key in style_of else None
            entries.append(SpeedEntry(key, h, w, timing, teacher))
            log.info("speed %-14s %dx%d: %.3f s/frame", key, w, h, timing.seconds)
    return entries
