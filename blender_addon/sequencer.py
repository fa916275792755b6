# SPDX-License-Identifier: GPL-3.0-or-later
"""Sequencer operators: Cartoonize Strip, Colorize Strip, Refresh Toonflow Strip.

``execute`` (background mode, scripts) processes the selected strips in the calling thread; ``invoke`` (UI) runs them
on a worker thread (:class:`strip_worker.StripWorker`) with a timer, status-bar progress and Esc to cancel. What a job
is and how a strip becomes one and a result strip comes back is :mod:`strip_jobs`.
"""

from __future__ import annotations

import bpy

from . import compat, engine_bridge
from .report import echo_to_stderr
from .strip_jobs import (CARTOONIZE, COLORIZE, StripTask, finish_job, job_ran_on, job_warnings, prepare_job,
                         strip_by_name)
from .strip_worker import StripWorker, process_strips_sync

__all__ = ["StripJobOperator", "TOONFLOW_OT_cartoonize_strip", "TOONFLOW_OT_colorize_strip",
           "TOONFLOW_OT_refresh_strip", "classes"]


def _selected_strips(context: bpy.types.Context) -> list[bpy.types.bpy_struct]:
    strips = list(getattr(context, "selected_strips", None) or getattr(context, "selected_sequences", None) or [])
    if not strips and context.scene is not None:
        strips = [s for s in compat.all_strips(context.scene) if s.select]
    return [s for s in strips if s.toonflow.role != "RESULT"]


class StripJobOperator:
    """The modal strip-job machinery shared by Cartoonize Strip and Colorize Strip (subclasses set ``task``)."""

    task: StripTask
    _worker: StripWorker
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
        jobs = []
        for strip in _selected_strips(context):
            try:
                jobs.append(prepare_job(context.scene, strip, task=self.task))
            except errors as exc:
                self.report({"ERROR"}, str(exc))
        if not jobs:
            self.report({"ERROR"}, f"nothing to {self.task.name}: select a movie or image strip")
            return {"CANCELLED"}
        self._worker = StripWorker(jobs, stop_after=self.stop_after or None)
        self._worker.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.25, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _progress_text(self) -> tuple[float, str]:
        done, total = self._worker.progress()
        total = max(total, 1)
        return done / total, f"Toonflow {self.task.name}: {done}/{total} frames (Esc to cancel)"

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        cancel = self._worker.cancel
        if event.type == "ESC" and event.value == "PRESS":
            cancel.set()
        if event.type != "TIMER" and not cancel.is_set():
            return {"PASS_THROUGH"}
        frac, text = self._progress_text()
        context.window_manager.progress_update(int(frac * 100))
        context.workspace.status_text_set(text)
        if self._worker.running:
            return {"PASS_THROUGH"} if not cancel.is_set() else {"RUNNING_MODAL"}
        return self._finish(context)

    def _finish(self, context: bpy.types.Context) -> set[str]:
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        context.workspace.status_text_set(None)
        any_ok = False
        for job in self._worker.jobs:
            finish_job(context.scene, job)
            if ran_on := job_ran_on(job):
                self.report({"INFO"}, ran_on)
            for text in job_warnings(job):
                self.report({"WARNING"}, text)
            if job.error:
                self.report({"WARNING" if job.cancelled else "ERROR"}, f"strip '{job.strip_name}': {job.error}")
            else:
                any_ok = True
        if self._worker.cancel.is_set():
            self.report({"WARNING"}, "Toonflow cancelled; frames done so far are cached and a rerun resumes")
            return {"CANCELLED"}
        return {"FINISHED"} if any_ok else {"CANCELLED"}

    def cancel(self, context: bpy.types.Context) -> None:
        self._worker.stop(timeout=30)


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
            strip = strip_by_name(context.scene, strip.toonflow.source_name)
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
