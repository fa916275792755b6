"""A video file or image folder as a lazily indexed sequence of frames.

The colorizer needs a few frames by index up front (the keyframes' own line art) and then every frame in order.
:class:`FrameSequence` gives both without holding the clip in memory: indexing walks a forward cursor through the
decoded frames (in increasing order it decodes each frame at most once; asking for an earlier frame restarts the
cursor), and iterating opens a fresh pass. At most one decoded frame per open pass is kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import overload

import numpy as np

from .errors import InputError
from .image_files import list_images
from .media_input import FrameIterator, open_frames

__all__ = ["FrameSequence"]


class FrameSequence(Sequence[np.ndarray]):
    """Frames of a video file, a folder of images or one image, read lazily (see module docstring).

    Args:
        path: the input (anything :func:`engine.media_input.open_frames` accepts).
        fps: frame rate assumed for image input.

    Attributes:
        info: the input's :class:`~engine.media_input.VideoInfo`.

    ``len()`` is the frame count from the container header for video (an estimate for some containers); indexing
    past the real end raises :class:`~engine.errors.InputError`.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float | Fraction | None = None) -> None:
        self.path = Path(path)
        self._fps = fps
        frames, self.info = open_frames(self.path, fps=fps)
        frames.close()
        self._cursor: FrameIterator | None = None
        self._cursor_next = 0
        self._cursor_frame: np.ndarray | None = None

    @property
    def file_names(self) -> list[str] | None:
        """The frames' file names for an image folder or image, ``None`` for video."""
        if self.info.kind == "images":
            return [p.name for p in list_images(self.path)]
        if self.info.kind == "image":
            return [self.path.name]
        return None

    def __len__(self) -> int:
        return self.info.frame_count

    @overload
    def __getitem__(self, index: int) -> np.ndarray: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[np.ndarray]: ...

    def __getitem__(self, index: int | slice) -> np.ndarray | Sequence[np.ndarray]:
        if isinstance(index, slice):
            raise TypeError("FrameSequence does not support slicing; index single frames or iterate")
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"frame {index} is outside {self.path} (frames 0-{n - 1})")
        if self._cursor is None or index < self._cursor_next - 1:
            self._restart()
        if index == self._cursor_next - 1 and self._cursor_frame is not None:
            return self._cursor_frame
        assert self._cursor is not None
        while self._cursor_next <= index:
            frame = next(self._cursor, None)
            if frame is None:
                self.close()
                raise InputError(f"{self.path}: frame {index} could not be read: the input ends after "
                                 f"{self._cursor_next} frames (its header announced {n})")
            self._cursor_frame = frame
            self._cursor_next += 1
        assert self._cursor_frame is not None
        return self._cursor_frame

    def _restart(self) -> None:
        self.close()
        self._cursor, _ = open_frames(self.path, fps=self._fps)
        self._cursor_next = 0
        self._cursor_frame = None

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.frames_from(0)

    def frames_from(self, start: int) -> Iterator[np.ndarray]:
        """A fresh pass over the frames from index ``start`` on (earlier image files are not read)."""
        frames, _ = open_frames(self.path, fps=self._fps, start=start)
        try:
            yield from frames
        finally:
            frames.close()

    def close(self) -> None:
        """Release the file the index cursor holds open (iteration passes close their own)."""
        if self._cursor is not None:
            self._cursor.close()
        self._cursor = None
        self._cursor_next = 0
        self._cursor_frame = None
