"""Stable teacher targets: each training clip's teacher frames run through the engine's temporal stabiliser, in
frame order (``python -m training bootstrap-distill --stable``).

The teacher works frame by frame and flickers (its E_short is above the source video's); the pixel term might pull
a student towards those flickers on the real consecutive pairs, against the temporal terms. The stabiliser blends
the previous target, warped by the source's flow, into the current one where that flow is reliable: targets with
the teacher's look that flicker less where the motion is trackable (0.55-0.74x on the training clips). A recipe with
``stable_targets`` regresses these on its real pairs (photos and their affine pairs keep the plain targets, which
an exact warp already keeps steady). Measured on `cel_lite` (docs/TRAINING.md, "Flicker without the
stabiliser"): no change of the student's flicker on held-out clips, so the shipped recipes do not use them.

The stabiliser is recursive, so a clip is computed whole into a temporary folder and renamed when complete: a clip
folder is complete or absent, and a rerun computes only the missing clips. Changed settings rebuild every clip.
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from engine.temporal import TemporalStabilizer

from ..media import read_rgb, write_png
from .dataset import list_images
from .distill_layout import DistillLayout

__all__ = ["StableTargetSettings", "build_stable_targets"]

log = logging.getLogger(__name__)

_RECORD = "stable.json"


@dataclass(frozen=True)
class StableTargetSettings:
    """The stabiliser that makes the targets (engine.temporal.TemporalStabilizer's arguments)."""

    strength: float = 0.6  # the engine's default --temporal-strength: what a user sees with --temporal
    preset: str = "medium"  # DIS preset; slower than the engine's "fast", made once


def build_stable_targets(layout: DistillLayout, style: str, settings: StableTargetSettings = StableTargetSettings(),
                         *, progress: bool = True) -> dict:
    """Write the stable targets of every training clip for ``style`` (its plain targets must exist); returns the
    record written to ``<style>/stable/stable.json``."""
    if not layout.has_targets(style):
        raise FileNotFoundError(f"{layout.root / style / 'manifest.json'} is missing: build the style's targets "
                                "first (python -m training bootstrap-distill --style " + style + ")")
    root = layout.stable_root(style)
    record = {"settings": asdict(settings), "clips": {}}
    record_path = root / _RECORD
    if record_path.is_file() and json.loads(record_path.read_text())["settings"] != record["settings"]:
        log.info("stable targets of %s were made with other settings: rebuilding %s", style, root)
        shutil.rmtree(root)
    started = time.monotonic()
    for clip in layout.clips():
        frames = list_images(clip)
        done = layout.stable_target_path(style, frames[0]).parent
        if not done.is_dir():
            _stabilise_clip(layout, style, frames, settings, done, progress=progress)
        record["clips"][clip.name] = len(frames)
    record["seconds_this_run"] = round(time.monotonic() - started, 1)
    root.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    return record


def _stabilise_clip(layout: DistillLayout, style: str, frames: list[Path], settings: StableTargetSettings,
                    folder: Path, *, progress: bool) -> None:
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    stabiliser = TemporalStabilizer(settings.strength, preset=settings.preset)
    for frame in tqdm(frames, desc=f"stable {style} {folder.name}", disable=not progress):
        target = read_rgb(layout.target_path(style, frame))
        write_png(partial / f"{frame.stem}.png", stabiliser(read_rgb(frame), target))
    partial.replace(folder)
