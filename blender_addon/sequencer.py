# SPDX-License-Identifier: GPL-3.0-or-later
"""Sequencer: process strips into cached image sequences and add them above their source.

The sequencer has no Python effect strips, so a strip is processed through the engine into the disk cache (one PNG
per frame) and a new image strip is added on the next free channel above it with the same timing. Work runs in a
worker thread (only numpy / PyAV / ONNX Runtime there, never bpy); the modal operator polls it with a timer, shows
progress, and Esc cancels. Frames done before a cancel or a crash stay cached, so a rerun resumes.

Two tasks share this machinery (:class:`StripTask`): Cartoonize Strip (footage -> cartoon; settings and state on
``strip.toonflow``) and Colorize Strip (line art + coloured keyframes -> colour; on ``strip.toonflow.colorize``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import bpy

from . import compat, engine_bridge
from .colorize_runner import ColorizeRunner
from .errors import CancelledError, SourceError, UnsupportedStripError
from .keyframes import check_keyframes
from .keys import ProcessSettings, short_hash
from .planning import pick_channel, strip_source_index, strip_support
from .settings import addon_settings
from .properties import keyframe_list
from .report import echo_to_stderr
from .runner import ClipRunner, RunResult
from .sources import FrameSource, ListSource, MovieSource

__all__ = ["StripTask", "CARTOONIZE", "COLORIZE", "StripJob", "StripJobOperator", "prepare_job", "finish_job",
           "job_warnings", "process_strips_sync", "strip_settings", "colorize_settings", "classes"]

log = logging.getLogger(__name__)


def strip_settings(strip: bpy.types.bpy_struct, override: dict[str, object] | None = None) -> ProcessSettings:
    tf = strip.toonflow
    values: dict[str, object] = {"task": tf.task or "cartoonize", "model": tf.model.strip(),
                                 "strength": float(tf.strength), "temporal": bool(tf.temporal),
                                 "temporal_strength": float(tf.temporal_strength),
                                 "tile_size": addon_settings().tile_size}
    for k, v in (override or {}).items():
        if v is not None:
            values[k] = v
    return ProcessSettings(**values)  # type: ignore[arg-type]


def colorize_settings(strip: bpy.types.bpy_struct, override: dict[str, object] | None = None) -> ProcessSettings:
    tc = strip.toonflow.colorize
    ov = override or {}
    model = ov.get("model") if ov.get("model") is not None else tc.model.strip()
    temporal = ov.get("temporal") if ov.get("temporal") is not None else tc.temporal
    return ProcessSettings(task="colorize", model=str(model), temporal=bool(temporal), tile_size=0)


Runner = ClipRunner | ColorizeRunner
#: (scene, strip, source, timeline frame -> source index, first frame, description, override, device or None for
#: the preferences' device) -> (runner, settings)
OpenRunner = Callable[[bpy.types.Scene, bpy.types.bpy_struct, FrameSource, Callable[[int], int], int, str,
                       dict[str, object] | None, str | None], tuple[Runner, ProcessSettings]]


def _open_cartoonize(scene: bpy.types.Scene, strip: bpy.types.bpy_struct, source: FrameSource,
                     index_of: Callable[[int], int], first: int, desc: str,
                     override: dict[str, object] | None, device: str | None) -> tuple[Runner, ProcessSettings]:
    prefs = addon_settings()
    settings = strip_settings(strip, override)
    runner = engine_bridge.open_clip(
        source, settings, model_dirs=prefs.model_dirs, device=device or prefs.device, cache_root=prefs.cache_root,
        index_of=index_of, first_frame=first, info={"strip": strip.name, "source_path": desc})
    return runner, settings


def _open_colorize(scene: bpy.types.Scene, strip: bpy.types.bpy_struct, source: FrameSource,
                   index_of: Callable[[int], int], first: int, desc: str,
                   override: dict[str, object] | None, device: str | None) -> tuple[Runner, ProcessSettings]:
    prefs = addon_settings()
    settings = colorize_settings(strip, override)
    owner = f"strip '{strip.name}'"
    keys = (override or {}).get("keys") or keyframe_list(strip.toonflow.colorize)
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
    """Everything the worker thread needs (no bpy objects inside)."""

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

    def run(self, stop_after: int | None = None) -> None:
        """Worker body: compute missing frames in order. Never raises; the outcome is in the fields."""
        errors = engine_bridge.engine_errors()

        def progress(done: int, total: int, _frame: int) -> None:
            self.done, self.total = done, total

        try:
            self.result = self.runner.ensure(self.frames, progress=progress, cancel=self.cancel,
                                             stop_after=stop_after)
        except CancelledError as exc:
            self.cancelled = True
            self.error = str(exc)
        except errors as exc:
            self.error = str(exc)
        finally:
            self.runner.source.close()


def _strip_frame_source(strip: bpy.types.bpy_struct) -> tuple[object, Callable[[int], int], str]:
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


def prepare_job(scene: bpy.types.Scene, strip: bpy.types.bpy_struct,
                override: dict[str, object] | None = None, task: StripTask = CARTOONIZE,
                device: str | None = None) -> StripJob:
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


def _strip_by_name(scene: bpy.types.Scene, name: str) -> bpy.types.bpy_struct | None:
    return next((s for s in compat.all_strips(scene) if s.name == name), None)


def finish_job(scene: bpy.types.Scene, job: StripJob) -> bpy.types.bpy_struct | None:
    """Main thread: record the state on the source strip; when complete, add (or replace) the result strip."""
    src = _strip_by_name(scene, job.strip_name)
    if src is None:
        return None
    tf = job.task.state_of(src)
    tf.cache_dir = str(job.runner.cache.dir)
    tf.frames_total = len(job.runner.indices(job.frames))
    tf.frames_done = len(job.runner.cached(job.frames))
    if job.error or job.result is None:
        tf.state = ("cancelled" if job.cancelled else "error") + f": {job.error}"
        return None
    old = _strip_by_name(scene, tf.result_name) if tf.result_name else None
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


def process_strips_sync(scene: bpy.types.Scene, strips: Sequence[bpy.types.bpy_struct],
                        override: dict[str, object] | None = None, *, stop_after: int | None = None,
                        report: Callable[[str, str], None] | None = None,
                        task: StripTask = CARTOONIZE, device: str | None = None) -> tuple[int, int]:
    """Process strips one after another in the calling thread (background mode, CLI, scripts).

    Returns (succeeded, failed). Bad strips are reported and skipped; the others go on. ``device``: as for
    :func:`prepare_job`.
    """
    errors = engine_bridge.engine_errors()
    ok = failed = 0
    names = [s.name for s in strips]
    for name in names:
        strip = _strip_by_name(scene, name)
        if strip is None:
            continue
        try:
            job = prepare_job(scene, strip, override, task, device)
        except errors as exc:
            failed += 1
            if report:
                report("ERROR", str(exc))
            continue
        job.run(stop_after=stop_after)
        finish_job(scene, job)
        for text in job_warnings(job):
            if report:
                report("WARNING", text)
        if job.error:
            failed += 1
            if report:
                report("WARNING" if job.cancelled else "ERROR", f"strip '{name}': {job.error}")
        else:
            ok += 1
            if report:
                r = job.result
                report("INFO", f"strip '{name}': {len(r.computed)} frames computed, {len(r.cached)} from cache")
    return ok, failed


def _selected_strips(context: bpy.types.Context) -> list[bpy.types.bpy_struct]:
    strips = list(getattr(context, "selected_strips", None) or getattr(context, "selected_sequences", None) or [])
    if not strips and context.scene is not None:
        strips = [s for s in compat.all_strips(context.scene) if s.select]
    return [s for s in strips if s.toonflow.role != "RESULT"]


class StripJobOperator:
    """The modal strip-job machinery shared by Cartoonize Strip and Colorize Strip.

    ``execute`` (background mode, scripts) processes the selected strips in the calling thread; ``invoke`` (UI)
    runs them in a worker thread with a timer, status-bar progress and Esc to cancel. Subclasses set ``task``.
    """

    task: StripTask
    _jobs: list[StripJob]
    _thread: threading.Thread | None
    _timer: object

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return context.scene is not None and context.scene.sequence_editor is not None

    def _report(self, level: str, text: str) -> None:
        # per-strip problems are warnings (the other strips went on); the summary is an error if nothing worked
        if bpy.app.background and level != "INFO":
            echo_to_stderr(text, level)
        self.report({"INFO" if level == "INFO" else "WARNING"}, text)

    def execute(self, context: bpy.types.Context) -> set[str]:
        strips = _selected_strips(context)
        if not strips:
            self.report({"ERROR"}, f"select a movie or image strip to {self.task.name}")
            return {"CANCELLED"}
        ok, failed = process_strips_sync(context.scene, strips, stop_after=self.stop_after or None,
                                         report=self._report, task=self.task)
        if failed:
            self.report({"WARNING"}, f"Toonflow: {ok} strip(s) processed, {failed} not (see the messages)")
        return {"FINISHED"} if ok else {"CANCELLED"}

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if bpy.app.background or context.window is None:
            return self.execute(context)
        errors = engine_bridge.engine_errors()
        self._jobs = []
        for strip in _selected_strips(context):
            try:
                self._jobs.append(prepare_job(context.scene, strip, task=self.task))
            except errors as exc:
                self.report({"ERROR"}, str(exc))
        if not self._jobs:
            self.report({"ERROR"}, f"nothing to {self.task.name}: select a movie or image strip")
            return {"CANCELLED"}
        self._cancel = threading.Event()
        for job in self._jobs:
            job.cancel = self._cancel
        self._thread = threading.Thread(target=self._work, name="toonflow-strips", daemon=True)
        self._thread.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.25, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _work(self) -> None:
        for job in self._jobs:
            if self._cancel.is_set():
                job.cancelled = True
                job.error = "cancelled before it started; rerun to process it"
                continue
            job.run(stop_after=self.stop_after or None)

    def _progress_text(self) -> tuple[float, str]:
        done = sum(j.done for j in self._jobs)
        total = max(sum(j.total for j in self._jobs), 1)
        return done / total, f"Toonflow {self.task.name}: {done}/{total} frames (Esc to cancel)"

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if event.type == "ESC" and event.value == "PRESS":
            self._cancel.set()
        if event.type != "TIMER" and not self._cancel.is_set():
            return {"PASS_THROUGH"}
        frac, text = self._progress_text()
        context.window_manager.progress_update(int(frac * 100))
        context.workspace.status_text_set(text)
        if self._thread is not None and self._thread.is_alive():
            return {"PASS_THROUGH"} if not self._cancel.is_set() else {"RUNNING_MODAL"}
        return self._finish(context)

    def _finish(self, context: bpy.types.Context) -> set[str]:
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        context.workspace.status_text_set(None)
        any_ok = False
        for job in self._jobs:
            finish_job(context.scene, job)
            for text in job_warnings(job):
                self.report({"WARNING"}, text)
            if job.error:
                self.report({"WARNING" if job.cancelled else "ERROR"}, f"strip '{job.strip_name}': {job.error}")
            else:
                any_ok = True
        if self._cancel.is_set():
            self.report({"WARNING"}, "Toonflow cancelled; frames done so far are cached and a rerun resumes")
            return {"CANCELLED"}
        return {"FINISHED"} if any_ok else {"CANCELLED"}

    def cancel(self, context: bpy.types.Context) -> None:
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


class TOONFLOW_OT_cartoonize_strip(StripJobOperator, bpy.types.Operator):
    """Cartoonize the selected movie / image strips into cached image sequences added above them (Esc cancels)"""

    bl_idname = "toonflow.cartoonize_strip"
    bl_label = "Cartoonize Strip"
    bl_options = {"REGISTER", "UNDO"}
    task = CARTOONIZE

    stop_after: bpy.props.IntProperty(
        name="Stop After", default=0, min=0, options={"HIDDEN", "SKIP_SAVE"},
        description="Stop after this many new frames (0 = no limit), as a cancel would")


class TOONFLOW_OT_colorize_strip(StripJobOperator, bpy.types.Operator):
    """Colour the selected line-art strips (image sequence or movie) from their keyframes into cached image
    sequences added above them (Esc cancels; a rerun resumes)"""

    bl_idname = "toonflow.colorize_strip"
    bl_label = "Colorize Strip"
    bl_options = {"REGISTER", "UNDO"}
    task = COLORIZE

    stop_after: bpy.props.IntProperty(
        name="Stop After", default=0, min=0, options={"HIDDEN", "SKIP_SAVE"},
        description="Stop after this many new frames (0 = no limit), as a cancel would")


class TOONFLOW_OT_refresh_strip(bpy.types.Operator):
    """Process the strip again with its Toonflow settings (cached frames are reused when nothing changed)"""

    bl_idname = "toonflow.refresh_strip"
    bl_label = "Refresh Toonflow Strip"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        strip = getattr(context.scene.sequence_editor, "active_strip", None) if context.scene else None
        return strip is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        strip = context.scene.sequence_editor.active_strip
        if strip.toonflow.role == "RESULT":
            strip = _strip_by_name(context.scene, strip.toonflow.source_name)
            if strip is None:
                self.report({"ERROR"}, "the source strip of this result was renamed or deleted")
                return {"CANCELLED"}
        active = context.scene.sequence_editor.active_strip
        colorize = active.toonflow.task == "colorize" if active.toonflow.role == "RESULT" else \
            bool(strip.toonflow.colorize.result_name) and not strip.toonflow.result_name
        for s in compat.all_strips(context.scene):
            s.select = s == strip
        op = TOONFLOW_OT_colorize_strip if colorize else TOONFLOW_OT_cartoonize_strip
        return compat.operator_call(op)("INVOKE_DEFAULT")


classes = (TOONFLOW_OT_cartoonize_strip, TOONFLOW_OT_colorize_strip, TOONFLOW_OT_refresh_strip)
