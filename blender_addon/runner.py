# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a processor (the engine's Cartoonizer) over a clip's frames through the disk cache (no bpy, no engine import).

The processor is injected, so this module is tested without the engine and without Blender; inside Blender it is
an ``engine.Cartoonizer``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from .cache import ClipCache
from .errors import CancelledError
from .keys import frame_signature
from .planning import plan_processing
from .sources import FrameSource

__all__ = ["Processor", "CachedClipFrames", "ClipRunner", "RunResult", "ProgressFn"]

log = logging.getLogger(__name__)

#: progress(done, total, frame): called after each frame of the plan (cached frames are counted up front).
ProgressFn = Callable[[int, int, int], None]


class Processor(Protocol):
    def process(self, frame: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...

    def warmup_frames(self, first: int) -> int:
        """Frames to run before frame ``first`` of a clip so that its output agrees with a whole run's."""

    @property
    def ran_on(self) -> str:
        """Model, device and precision once a frame was computed (``"cel on CPU in int8"``), else empty."""


@dataclass
class RunResult:
    computed: list[int] = field(default_factory=list)
    cached: list[int] = field(default_factory=list)
    warmup: list[int] = field(default_factory=list)
    seconds: float = 0.0


class CachedClipFrames:
    """Where a clip's results live in its cache: one file per source index, named with ``signature(index)`` (what
    the result depends on). Shared by the runners; a subclass sets ``cache`` and ``index_of`` and defines
    ``signature``."""

    cache: ClipCache
    index_of: Callable[[int], int]

    def signature(self, index: int) -> str:
        raise NotImplementedError

    def index_path(self, index: int) -> Path:
        return self.cache.frame_path(index, self.signature(index))

    def frame_path(self, frame: int) -> Path:
        """The cached result shown at ``frame`` (files are keyed by source index, so holds share one file)."""
        return self.index_path(self.index_of(frame))

    def indices(self, frames: Sequence[int]) -> list[int]:
        """Source indices of ``frames``, in order, each once."""
        return list(dict.fromkeys(self.index_of(f) for f in frames))

    def cached(self, frames: Sequence[int]) -> set[int]:
        """Source indices of ``frames`` already in the cache."""
        return {i for i in self.indices(frames) if self.index_path(i).is_file()}


class ClipRunner(CachedClipFrames):
    """Processes frames of one clip in source order, caching each result; keeps temporal continuity between calls.

    Args:
        source: where the source frames come from.
        cache: the clip's cache folder.
        processor: the engine object (``process``/``reset``).
        index_of: maps a frame number (scene/timeline frame) to the source index to read.
        temporal: the processor keeps state between frames (affects planning).
        first_frame: the clip's first frame (no warm-up before it).
    """

    def __init__(self, source: FrameSource, cache: ClipCache, processor: Processor,
                 index_of: Callable[[int], int], *, temporal: bool, first_frame: int) -> None:
        self.source = source
        self.cache = cache
        self.processor = processor
        self.index_of = index_of
        self.temporal = temporal
        self.first_frame = first_frame
        self.last_index: int | None = None

    def signature(self, index: int) -> str:
        ident = self.source.frame_identity(index)
        return frame_signature(ident) if ident else ""

    def ensure(self, frames: Sequence[int], *, progress: ProgressFn | None = None,
               cancel: threading.Event | None = None, stop_after: int | None = None) -> RunResult:
        """Make sure the results for ``frames`` are in the cache, computing the missing ones in source order.

        Results are cached per source index; ``RunResult`` lists source indices.

        Raises:
            CancelledError: ``cancel`` was set, or ``stop_after`` new frames were computed (the frames done so far
                stay cached, so a rerun resumes).
        """
        t0 = time.perf_counter()
        result = RunResult()
        indices = self.indices(frames)
        cached = {i for i in indices if self.index_path(i).is_file()}
        result.cached = sorted(cached)
        steps = plan_processing(indices, cached, self.temporal, self.processor.warmup_frames,
                                max(self.index_of(self.first_frame), 0), self.last_index)
        total = len(indices)
        done = len(cached)
        if progress is not None:
            progress(done, total, indices[0] if indices else 0)
        for step in steps:
            if cancel is not None and cancel.is_set():
                raise CancelledError(f"cancelled after {len(result.computed)} new frames; rerun to resume")
            if stop_after is not None and len(result.computed) >= stop_after:
                raise CancelledError(f"stopped after {len(result.computed)} new frames; rerun to resume")
            if self.last_index is None or step.frame != self.last_index + 1:
                self.processor.reset()
            src = self.source.read(step.frame)
            out = self.processor.process(src)
            self.last_index = step.frame
            if step.store:
                self.cache.write(step.frame, out, self.signature(step.frame))
                result.computed.append(step.frame)
                done += 1
                if progress is not None:
                    progress(done, total, step.frame)
            else:
                result.warmup.append(step.frame)
        result.seconds = time.perf_counter() - t0
        log.debug("clip %s: %d computed, %d cached, %d warm-up in %.2fs", self.cache.key, len(result.computed),
                  len(result.cached), len(result.warmup), result.seconds)
        return result
