"""Splitting a clip into frame-range chunks that can run anywhere, in any order.

Cartoonize chunks are equal ranges: each reads the stabiliser's few warm-up frames before it (see
:meth:`engine.Cartoonizer.warmup_frames`). Colorize chunks end where a keyframe starts: the colour chain restarts
at a keyframe, so a chunk starting there needs no earlier frame; a stretch between two keyframes that is longer than
the chunk size stays one chunk, because splitting it would make every later piece recolour the stretch before it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import SettingsError
from ..frame_range import FrameRange

__all__ = ["DEFAULT_CHUNK", "plan_chunks"]

#: frames per chunk unless the user says otherwise: the stabiliser's warm-up (12 frames at its default strength)
#: then costs 10 % more frames, and a chunk of 720p frames is minutes of work on a CPU worker
DEFAULT_CHUNK = 120


def plan_chunks(frame_count: int, chunk_size: int, keyframes: Iterable[int] = ()) -> list[FrameRange]:
    """Consecutive ranges covering frames ``0 .. frame_count - 1``.

    Without ``keyframes``: ranges of ``chunk_size`` frames (the last may be shorter). With them (colorize):
    boundaries only at keyframes; consecutive keyframe stretches are joined until a chunk holds at least
    ``chunk_size`` frames.

    Raises:
        SettingsError: ``chunk_size`` below 1 or an empty clip.
    """
    if chunk_size < 1:
        raise SettingsError(f"chunk size must be at least 1 frame, got {chunk_size}")
    if frame_count < 1:
        raise SettingsError("the clip has no frames to split")
    given = list(keyframes)
    if not given:
        starts = list(range(0, frame_count, chunk_size))
    else:
        starts = [0]
        for k in sorted({k for k in given if 0 < k < frame_count}):
            if k - starts[-1] >= chunk_size:
                starts.append(k)
    ends = [*starts[1:], frame_count]
    return [FrameRange(a, b - 1) for a, b in zip(starts, ends)]
