# SPDX-License-Identifier: GPL-3.0-or-later
"""Sequencer strip jobs: what processing a strip means, from the strip to its job and back to a result strip.

The sequencer has no Python effect strips, so a strip is processed through the engine into the disk cache (one PNG
per frame) and a new image strip is added on the next free channel above it with the same timing. On the main thread
:func:`prepare_job` reads the strip into a :class:`StripJob` (no bpy objects inside), the worker
(:mod:`strip_worker`) computes its frames, and :func:`finish_job` records the outcome on the strip and adds the
result strip. Frames done before a cancel or a crash stay cached, so a rerun resumes.

Two tasks share this machinery (:class:`StripTask`): Cartoonize Strip (footage -> cartoon; settings and state on
``strip.toonflow``) and Colorize Strip (line art + coloured keyframes -> colour; on ``strip.toonflow.colorize``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bpy

from . import compat, engine_bridge
from .colorize_runner import ColorizeRunner
from .errors import SourceError, UnsupportedStripError
from .keyframes import Keyframe, check_keyframes
from .keys import ProcessSettings, short_hash
from .planning import pick_channel, strip_source_index, strip_support
from .properties import keyframe_list
from .runner import ClipRunner, RunResult
from .settings import addon_settings
from .sources import FrameSource, ListSource, MovieSource

__all__ = ["StripOverride", "StripTask", "CARTOONIZE", "COLORIZE", "StripJob", "prepare_job", "finish_job",
           "job_warnings", "job_ran_on", "strip_by_name", "strip_settings", "colorize_settings"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StripOverride:
    """Settings a batch run (the CLI) puts in place of the strips' own; ``None``: the strip's own."""

    model: str | None = None
    strength: float | None = None  # cartoonize only
    temporal: bool | None = None
    keys: tuple[Keyframe, ...] | None = None  # colorize only: these keyframes instead of the strip's (empty: strip's)
    two_sided: bool | None = None  # colorize only


NO_OVERRIDE = StripOverride()


def _pick(value: object, own: object) -> object:
    return own if value is None else value


def strip_settings(strip: bpy.types.bpy_struct, override: StripOverride = NO_OVERRIDE) -> ProcessSettings:
    tf = strip.toonflow
    return ProcessSettings(task=tf.task or "cartoonize", model=str(_pick(override.model, tf.model.strip())),
                           strength=float(_pick(override.strength, tf.strength)),
                           temporal=bool(_pick(override.temporal, tf.temporal)),
                           temporal_strength=float(tf.temporal_strength), tile_size=addon_settings().tile_size)


def colorize_settings(strip: bpy.types.bpy_struct, override: StripOverride = NO_OVERRIDE) -> ProcessSettings:
    tc = strip.toonflow.colorize
    temporal = bool(_pick(override.temporal, tc.temporal))
    return ProcessSettings(task="colorize", model=str(_pick(override.model, tc.model.strip())), temporal=temporal,
                           tile_size=0, two_sided=temporal and bool(_pick(override.two_sided, tc.two_sided)))


Runner = ClipRunner | ColorizeRunner
#: (scene, strip, source, timeline frame -> source index, first frame, description, override, device or None for
#: the preferences' device) -> (runner, settings)
OpenRunner = Callable[[bpy.types.Scene, bpy.types.bpy_struct, FrameSource, Callable[[int], int], int, str,
                       StripOverride, str | None], tuple[Runner, ProcessSettings]]


def _open_cartoonize(scene: bpy.types.Scene, strip: bpy.types.bpy_struct, source: FrameSource,
                     index_of: Callable[[int], int], first: int, desc: str,
                     override: StripOverride, device: str | None) -> tuple[Runner, ProcessSettings]:
    prefs = addon_settings()
    settings = strip_settings(strip, override)
    runner = engine_bridge.open_clip(
        source, settings, model_dirs=prefs.model_dirs, device=device or prefs.device, cache_root=prefs.cache_root,
        index_of=index_of, first_frame=first, info={"strip": strip.name, "source_path": desc})
    return runner, settings


def _open_colorize(scene: bpy.types.Scene, strip: bpy.types.bpy_struct, source: FrameSource,
                   index_of: Callable[[int], int], first: int, desc: str,
                   override: StripOverride, device: str | None) -> tuple[Runner, ProcessSettings]:
    prefs = addon_settings()
    settings = colorize_settings(strip, override)
    owner = f"strip '{strip.name}'"
    keys = list(override.keys or ()) or keyframe_list(strip.toonflow.colorize)
    runner = engine_bridge.open_colorize_clip(
        source, settings, check_keyframes(keys, owner), model_dirs=prefs.model_dirs, device=device or prefs.device,
        cache_root=prefs.cache_root, index_of=index_of, first_frame=first, owner=owner,
        info={"strip": strip.name, "source_path": desc})
    return runner, settings


@dataclass(frozen=True)
class StripTask:
    """What a strip operation does: its runner, where its settings/state live, how its result strip is named."""

    name: str  # "cartoonize" / "colorize"
    result_suffix: str  # the result strip is "<source name><suffix>"
    state_of: Callable[[bpy.types.bpy_struct], bpy.types.bpy_struct]  # holder of result_name, state, cache_dir ...
    open_runner: OpenRunner


CARTOONIZE = StripTask("cartoonize", " Toon", lambda strip: strip.toonflow, _open_cartoonize)
COLORIZE = StripTask("colorize", " Color", lambda strip: strip.toonflow.colorize, _open_colorize)


@dataclass
class StripJob:
    """Everything the worker thread needs (no bpy objects inside), and the outcome it leaves (:mod:`strip_worker`)."""

    scene_name: str
    strip_name: str
    runner: Runner
    frames: list[int]
    channel: int
    settings: ProcessSettings
    task: StripTask = CARTOONIZE
    result: RunResult | None = None
    error: str = ""
    cancelled: bool = False
    done: int = 0
    total: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)


def _strip_frame_source(strip: bpy.types.bpy_struct) -> tuple[FrameSource, Callable[[int], int], str]:
    """(FrameSource, timeline frame -> source index, description); raises for bad strips."""
    stype = strip.type
    reason = strip_support(stype)
    if reason is not None:
        raise UnsupportedStripError(f"strip '{strip.name}' ({stype.lower()}) skipped: {reason}")
    start = int(strip.frame_start)
    if stype == "MOVIE":
        path = Path(bpy.path.abspath(strip.filepath))
        if not path.is_file():
            raise SourceError(f"strip '{strip.name}': movie file not found: {path}")
        return MovieSource(path), (lambda f: strip_source_index(f, start, "MOVIE")), str(path)
    folder = Path(bpy.path.abspath(strip.directory))
    files = {i: folder / e.filename for i, e in enumerate(strip.elements)}
    missing = [p for p in files.values() if not p.is_file()]
    if missing:
        raise SourceError(f"strip '{strip.name}': {len(missing)} image file(s) not found, e.g. {missing[0]}")
    n = len(files)
    ident = "images:" + short_hash("|".join(str(p) for p in files.values()), 24)
    return ListSource(files, ident), (lambda f: strip_source_index(f, start, "IMAGE", n)), str(folder)


def prepare_job(scene: bpy.types.Scene, strip: bpy.types.bpy_struct, override: StripOverride = NO_OVERRIDE,
                task: StripTask = CARTOONIZE, device: str | None = None) -> StripJob:
    """Check the strip, resolve the model and open its cache (main thread). Raises AddonError/engine errors.

    ``device`` (``auto`` / ``gpu`` / ``cpu``) replaces the preferences' device for this job.
    """
    source, index_of, desc = _strip_frame_source(strip)
    first, end = int(strip.frame_final_start), int(strip.frame_final_end)
    runner, settings = task.open_runner(scene, strip, source, index_of, first, desc, override, device)
    result_name = task.state_of(strip).result_name
    occupied = [(int(s.channel), int(s.frame_final_start), int(s.frame_final_end))
                for s in compat.all_strips(scene) if s != strip and s.name != result_name]
    channel = pick_channel(int(strip.channel), occupied, first, end)
    frames = list(range(first, end))
    return StripJob(scene.name, strip.name, runner, frames, channel, settings, task,
                    total=len(runner.indices(frames)))


def strip_by_name(scene: bpy.types.Scene, name: str) -> bpy.types.bpy_struct | None:
    return next((s for s in compat.all_strips(scene) if s.name == name), None)


def finish_job(scene: bpy.types.Scene, job: StripJob) -> bpy.types.bpy_struct | None:
    """Main thread: record the state on the source strip; when complete, add (or replace) the result strip."""
    src = strip_by_name(scene, job.strip_name)
    if src is None:
        return None
    tf = job.task.state_of(src)
    tf.cache_dir = str(job.runner.cache.dir)
    tf.frames_total = len(job.runner.indices(job.frames))
    tf.frames_done = len(job.runner.cached(job.frames))
    if job.error or job.result is None:
        tf.state = ("cancelled" if job.cancelled else "error") + f": {job.error}"
        return None
    old = strip_by_name(scene, tf.result_name) if tf.result_name else None
    if old is not None and old.toonflow.role == "RESULT":
        compat.top_strips(scene).remove(old)
    paths = [job.runner.frame_path(f) for f in job.frames]
    coll = compat.top_strips(scene)
    new = coll.new_image(name=f"{src.name}{job.task.result_suffix}", filepath=str(paths[0]), channel=job.channel,
                         frame_start=job.frames[0])
    for p in paths[1:]:
        new.elements.append(p.name)
    new.toonflow.role = "RESULT"
    new.toonflow.source_name = src.name
    new.toonflow.cache_dir = str(job.runner.cache.dir)
    for k in ("model", "strength", "temporal", "temporal_strength", "task"):
        setattr(new.toonflow, k, getattr(job.settings, k))
    src.toonflow.role = "SOURCE"
    tf.result_name = new.name
    tf.state = "done"
    return new


def job_warnings(job: StripJob) -> list[str]:
    """Messages the job's runner collected for the user (a keyframe resized ...)."""
    return [f"strip '{job.strip_name}': {w}" for w in getattr(job.runner, "warnings", ())]


def job_ran_on(job: StripJob) -> str:
    """``"strip 'X': cel on CPU in int8"`` once the job computed a frame, else empty (everything came cached)."""
    ran_on = job.runner.processor.ran_on
    return f"strip '{job.strip_name}': {ran_on}" if ran_on else ""
