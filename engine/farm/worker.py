"""What runs on a worker: one chunk of a job, written atomically as a PNG folder named by the job and the range.

The model is opened once per worker process and thread (not per chunk): opening a session costs far more than a
chunk's warm-up. A chunk folder appears complete or not at all (:class:`engine.image_files.ImageSequenceWriter`
writes to a temporary folder and renames it), and an existing one is not recomputed; a chunk written twice (the
scheduler retried it while its first worker, presumed dead, still ran) is replaced by the same frames.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..cartoonize import Cartoonizer
from ..colorize import Colorizer
from ..colour_chain import chain_start
from ..frame_range import FrameRange
from ..lineart import hold_tolerance_for
from ..media_input import probe
from ..pipeline import cartoonize_file, colorize_file
from .job import CartoonizeSettings, ColorizeSettings, FarmJob

__all__ = ["ChunkReport", "chunk_folder", "run_chunk"]

_processors: dict[tuple[object, ...], Cartoonizer | Colorizer] = {}
_processors_lock = threading.Lock()


@dataclass(frozen=True)
class ChunkReport:
    """What a worker did for one chunk (sent back to the client).

    Attributes:
        frames: frames written (0 when the chunk was already complete).
        warmup: frames read before the range and not written.
        seconds: time spent on the chunk, model opening included.
        worker: the worker's host name and process id.
    """

    frame_range: FrameRange
    frames: int
    warmup: int
    seconds: float
    worker: str


def chunk_folder(chunks_dir: Path, fingerprint: str, frame_range: FrameRange) -> Path:
    """Where the frames of ``frame_range`` of the job with ``fingerprint`` are stored."""
    return chunks_dir / f"{frame_range.first:07d}-{frame_range.last:07d}-{fingerprint}"


def _processor(job: FarmJob) -> Cartoonizer | Colorizer:
    """This process and thread's processor for the job's settings, opened on first use."""
    key = (threading.get_ident(), job.settings, job.model_dirs, job.input.is_dir())
    with _processors_lock:
        processor = _processors.get(key)
    if processor is not None:
        return processor
    settings = job.settings
    if isinstance(settings, CartoonizeSettings):
        processor = Cartoonizer(settings.model, device=settings.device, tile_size=settings.tile_size,
                                strength=settings.strength, temporal=settings.temporal,
                                temporal_strength=settings.temporal_strength, extra_model_dirs=job.model_dirs,
                                precision=settings.precision, max_memory_mb=settings.max_memory_mb)
    else:
        tolerance = settings.hold_tolerance
        if tolerance is None:
            tolerance = hold_tolerance_for(video=probe(job.input, fps=job.fps).kind == "video")
        processor = Colorizer(settings.model, device=settings.device, max_side=settings.max_side,
                              reuse_holds=settings.reuse_holds, hold_tolerance=tolerance,
                              extra_model_dirs=job.model_dirs, precision=settings.precision,
                              two_sided=settings.two_sided, fine_alignment=settings.fine_alignment)
    with _processors_lock:
        _processors[key] = processor
    return processor


def run_chunk(job: FarmJob, frame_range: FrameRange, folder: str) -> ChunkReport:
    """Write the frames of ``frame_range`` to ``folder`` (PNGs named as in a whole run), unless it exists.

    Raises:
        InputError, ModelError, OutputError, SettingsError: naming the file and frame, as a single-machine run
            would.
    """
    t0 = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    out = Path(folder)
    if out.is_dir():
        return ChunkReport(frame_range, 0, 0, time.perf_counter() - t0, worker)
    processor = _processor(job)
    settings = job.settings
    if isinstance(processor, Cartoonizer):
        result = cartoonize_file(job.input, out, fps=job.fps, frame_range=frame_range, cartoonizer=processor,
                                 audio=False)
        frames, warmup = result.frames, result.warmup
    else:
        assert isinstance(settings, ColorizeSettings)
        keys = {index: Path(path) for index, path in settings.keyframes}
        colour = colorize_file(job.input, out, keys, fps=job.fps, frame_range=frame_range, colorizer=processor,
                               audio=False)
        frames, warmup = colour.frames, frame_range.first - chain_start(frame_range.first, keys)
    return ChunkReport(frame_range, frames, warmup, time.perf_counter() - t0, worker)
