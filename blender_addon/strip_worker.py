# SPDX-License-Identifier: GPL-3.0-or-later
"""Running strip jobs: one job's worker body, a worker thread over several jobs, and the synchronous batch.

The worker computes a job's missing frames in order through its runner: only numpy / PyAV / ONNX Runtime there,
never bpy, so it runs on a thread while the UI stays live (the modal operator in :mod:`sequencer` polls
:class:`StripWorker`); in background mode, the CLI and scripts, :func:`process_strips_sync` runs the same jobs in the
calling thread. Preparing and finishing a job touch the strips and stay on the main thread (:mod:`strip_jobs`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import bpy

from . import engine_bridge
from .errors import CancelledError
from .strip_jobs import (CARTOONIZE, NO_OVERRIDE, StripJob, StripOverride, StripTask, finish_job, job_ran_on,
                         job_warnings, prepare_job, strip_by_name)

__all__ = ["run_job", "StripWorker", "process_strips_sync"]


def run_job(job: StripJob, stop_after: int | None = None) -> None:
    """Worker body: compute the job's missing frames in order. Never raises; the outcome is in the job's fields."""
    errors = engine_bridge.engine_errors()

    def progress(done: int, total: int, _frame: int) -> None:
        job.done, job.total = done, total

    try:
        job.result = job.runner.ensure(job.frames, progress=progress, cancel=job.cancel, stop_after=stop_after)
    except CancelledError as exc:
        job.cancelled = True
        job.error = str(exc)
    except errors as exc:
        job.error = str(exc)
    finally:
        job.runner.source.close()


class StripWorker:
    """Runs jobs one after another on a daemon thread; one cancel event stops them all (the rest are marked
    cancelled before they start)."""

    def __init__(self, jobs: list[StripJob], stop_after: int | None = None) -> None:
        self.jobs = jobs
        self.stop_after = stop_after
        self.cancel = threading.Event()
        for job in jobs:
            job.cancel = self.cancel
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="toonflow-strips", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        for job in self.jobs:
            if self.cancel.is_set():
                job.cancelled = True
                job.error = "cancelled before it started; rerun to process it"
                continue
            run_job(job, stop_after=self.stop_after)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def progress(self) -> tuple[int, int]:
        """(frames done, frames to do) over all jobs."""
        return sum(j.done for j in self.jobs), sum(j.total for j in self.jobs)

    def stop(self, timeout: float = 30) -> None:
        self.cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)


def process_strips_sync(scene: bpy.types.Scene, strips: Sequence[bpy.types.bpy_struct],
                        override: StripOverride = NO_OVERRIDE, *, stop_after: int | None = None,
                        report: Callable[[str, str], None] | None = None,
                        task: StripTask = CARTOONIZE, device: str | None = None) -> tuple[int, int]:
    """Process strips one after another in the calling thread (background mode, CLI, scripts).

    Returns (succeeded, failed). Bad strips are reported and skipped; the others go on. ``device``: as for
    :func:`strip_jobs.prepare_job`.
    """
    errors = engine_bridge.engine_errors()
    ok = failed = 0
    names = [s.name for s in strips]
    for name in names:
        strip = strip_by_name(scene, name)
        if strip is None:
            continue
        try:
            job = prepare_job(scene, strip, override, task, device)
        except errors as exc:
            failed += 1
            if report:
                report("ERROR", str(exc))
            continue
        run_job(job, stop_after=stop_after)
        finish_job(scene, job)
        if report and (ran_on := job_ran_on(job)):
            report("INFO", ran_on)
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
