"""Running a farm job: plan chunks, reuse finished ones, compute the rest on the cluster, assemble the output.

Chunks live in a work folder beside the output (``.toonflow-farm-OUTNAME``, or ``work_dir``), which every worker
must see at the same path (shared storage). It is removed once the output is complete, and kept when the job
stops early, so a rerun computes only the chunks that were missing.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..atomic_output import TMP_PREFIX, remove_quietly
from ..errors import InputError, ToonflowError
from ..frame_range import FrameRange
from ..image_files import list_images
from ..media_input import VideoInfo, probe
from ..media_output import check_output_path
from ..pipeline import png_names
from .assemble import assemble
from .chunks import DEFAULT_CHUNK, plan_chunks
from .cluster import connect
from .interrupt import deferred_interrupt
from .job import ColorizeSettings, FarmJob
from .worker import ChunkReport, chunk_folder, run_chunk

__all__ = ["FarmResult", "run_farm", "work_folder"]

log = logging.getLogger(__name__)

#: called with (frames done, total frames) as chunks finish, then during assembly
ProgressFn = Callable[[int, int], None]
#: seconds between looks for finished chunks (and for a Ctrl-C)
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class FarmResult:
    """What :func:`run_farm` did.

    Attributes:
        chunks: the chunks' frame ranges, in order.
        reused: chunks found complete from an earlier run (not recomputed).
        reports: the workers' reports of the chunks computed now.
        frames: frames in the output.
        seconds: wall time of the whole job; ``assembly_seconds`` of which joining the chunks.
    """

    input: VideoInfo
    output: Path
    chunks: tuple[FrameRange, ...]
    reused: tuple[FrameRange, ...]
    reports: tuple[ChunkReport, ...]
    frames: int
    seconds: float
    assembly_seconds: float


def work_folder(out: Path, work_dir: Path | None = None) -> Path:
    """The folder holding a job's chunks: ``work_dir`` or ``.toonflow-farm-OUTNAME`` beside the output."""
    return work_dir if work_dir is not None else out.resolve().parent / f".toonflow-farm-{out.name}"


def _check_keyframes(job: FarmJob, frame_count: int) -> None:
    if not isinstance(job.settings, ColorizeSettings):
        return
    if not job.settings.keyframes:
        raise InputError(f"{job.input}: no keyframe; colouring line art needs at least one coloured keyframe")
    for index, path in job.settings.keyframes:
        if not 0 <= index < frame_count:
            raise InputError(f"{job.input}: keyframe {index} is outside the line-art sequence (frames 0-"
                             f"{frame_count - 1}); keyframe indices count line-art frames from 0")
        if not Path(path).is_file():
            raise InputError(f"{path}: keyframe {index}: no such image file; check the path")


def run_farm(job: FarmJob, out: Path, *, scheduler: str, chunk_size: int = DEFAULT_CHUNK, workers: int | None = None,
             work_dir: Path | None = None, keep_chunks: bool = False, audio: bool = True, crf: int = 18,
             progress: ProgressFn | None = None) -> FarmResult:
    """Process ``job`` on a Dask cluster into ``out`` (a video with the input's audio, or a PNG folder).

    Args:
        scheduler: ``"local"`` (a cluster of ``workers`` processes on this machine) or a scheduler address.
        chunk_size: frames per chunk (colorize chunks end at keyframes; :func:`engine.farm.plan_chunks`).
        work_dir: where chunks are kept (default: beside the output); must be the same path on every worker.
        keep_chunks: keep the chunk folders after the output is written.

    Raises:
        InputError, ModelError, OutputError, SettingsError: bad input or settings, before any chunk runs, or
            a chunk's error (naming the file and frame); the finished chunks are kept for a rerun.
        ToonflowError: the scheduler cannot be reached, or a chunk kept killing its workers.
    """
    t0 = time.perf_counter()
    info = probe(job.input, fps=job.fps)
    names = png_names([p.name for p in list_images(job.input)]) if info.kind == "images" else None
    check_output_path(job.input, out, info.frame_count,
                      frame_names=names if isinstance(job.settings, ColorizeSettings) and names else ())
    _check_keyframes(job, info.frame_count)
    chunks = plan_chunks(info.frame_count, chunk_size, job.keyframe_indices())
    fingerprint = job.fingerprint()
    chunks_dir = work_folder(out, work_dir) / "chunks"
    chunks_dir.mkdir(parents=True, exist_ok=True)
    for stale in chunks_dir.glob(f"{TMP_PREFIX}*"):  # left by a worker killed mid-chunk
        remove_quietly(stale)
    folders = [chunk_folder(chunks_dir, fingerprint, c) for c in chunks]
    reused = [c for c, folder in zip(chunks, folders) if folder.is_dir()]
    todo = [(c, folder) for c, folder in zip(chunks, folders) if not folder.is_dir()]
    total = sum(c.stop(info.frame_count) - c.first for c in chunks)
    done = sum(c.stop(info.frame_count) - c.first for c in reused)
    log.info("%s: %d chunks (%d reused from an earlier run) in %s", job.input, len(chunks), len(reused), chunks_dir)
    reports: list[ChunkReport] = []
    if todo:
        with connect(scheduler, workers) as client, deferred_interrupt() as interrupted:
            from distributed import as_completed  # noqa: PLC0415 - optional dependency, present once connected

            futures = [client.submit(run_chunk, job, c, str(folder), key=f"toonflow-{fingerprint}-{c.first}",
                                     pure=False) for c, folder in todo]
            if progress is not None:
                progress(done, total)
            completed = as_completed(futures)
            try:
                while not completed.is_empty():
                    if interrupted.is_set():
                        raise KeyboardInterrupt
                    batch = completed.next_batch(block=False)
                    if not batch:
                        interrupted.wait(POLL_SECONDS)
                    for future in batch:
                        report = _result(future)
                        reports.append(report)
                        done += report.frame_range.stop(info.frame_count) - report.frame_range.first
                        if progress is not None:
                            progress(done, total)
            except BaseException:
                client.cancel(futures)
                raise
    t_assembly = time.perf_counter()
    frames = assemble(info, folders, out, audio=audio, crf=crf)
    assembly_seconds = time.perf_counter() - t_assembly
    if not keep_chunks:
        shutil.rmtree(chunks_dir.parent if work_dir is None else chunks_dir, ignore_errors=True)
    return FarmResult(input=info, output=out, chunks=tuple(chunks), reused=tuple(reused),
                      reports=tuple(sorted(reports, key=lambda r: r.frame_range.first)), frames=frames,
                      seconds=time.perf_counter() - t0, assembly_seconds=assembly_seconds)


def _result(future: object) -> ChunkReport:
    """A chunk's report; its error re-raised as it was (a bad frame), or as a ToonflowError when it kept killing
    workers."""
    from distributed import KilledWorker  # noqa: PLC0415 - optional dependency

    try:
        return future.result()  # type: ignore[attr-defined]
    except KilledWorker as exc:
        raise ToonflowError(f"a chunk kept killing the workers that ran it ({exc}; out of memory?); the finished "
                            "chunks are kept, rerun to continue") from exc
