# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading source frames from files (no bpy): still images, numbered image sequences, movies (PyAV).

Every reader returns uint8 RGB or RGBA frames (16-bit and float images are converted explicitly), so the cache and
the engine see the same pixels whichever way a source arrives.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import SourceError
from .keys import file_identity

__all__ = [
    "FrameSource", "StillSource", "SequenceSource", "MovieSource", "read_image", "to_uint8",
    "sequence_frame_path", "open_source", "MOVIE_EXTENSIONS",
]

log = logging.getLogger(__name__)

MOVIE_EXTENSIONS = frozenset({
    ".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ogv", ".flv", ".mxf", ".dv", ".gif",
})
_DIGITS = re.compile(r"(\d+)(?!.*\d)")


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Convert 8/16-bit or float images to uint8 (floats are taken as display values in [0, 1])."""
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return (img.astype(np.uint32) * 255 // 65535).astype(np.uint8)
    if np.issubdtype(img.dtype, np.floating):
        return np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
    raise SourceError(f"unsupported pixel type {img.dtype}")


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as uint8 RGB(A)."""
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"source file not found: {p}")
    img = decode_image(p)
    if img is None:
        raise SourceError(f"cannot read image {p} (unsupported format; use PNG, JPEG, TIFF, WebP or a movie file)")
    return to_uint8(img)


def decode_image(path: Path) -> np.ndarray | None:
    """Decode an image file to RGB(A) in its stored depth, or None when OpenCV cannot read it."""
    import cv2

    img = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        return None
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    return cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2RGB)


def sequence_frame_path(path: str | os.PathLike[str], number: int) -> Path:
    """The file of frame ``number`` in a numbered sequence, given any file of it (``shot_0007.png``).

    The last run of digits in the file name is replaced, keeping its zero padding.
    """
    p = Path(path)
    m = _DIGITS.search(p.stem)
    if m is None:
        return p
    width = len(m.group(1))
    stem = p.stem[: m.start(1)] + f"{number:0{width}d}" + p.stem[m.end(1):]
    return p.with_name(stem + p.suffix)


class FrameSource(Protocol):
    identity: str

    def read(self, index: int) -> np.ndarray: ...

    def frame_identity(self, index: int) -> str: ...

    def close(self) -> None: ...


class StillSource:
    """One image used for every frame."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"source file not found: {self.path}")
        self.identity = "still:" + file_identity(self.path)
        self._img: np.ndarray | None = None

    def read(self, index: int) -> np.ndarray:
        if self._img is None:
            self._img = read_image(self.path)
        return self._img

    def frame_identity(self, index: int) -> str:
        return ""

    def close(self) -> None:
        self._img = None


class SequenceSource:
    """Numbered image files; ``read(n)`` reads the file numbered ``n`` (see :func:`sequence_frame_path`)."""

    def __init__(self, any_file: str | os.PathLike[str]) -> None:
        self.template = Path(any_file)
        self.identity = "sequence:" + str(self.template.parent.resolve() / _DIGITS.sub("#", self.template.name))

    def path(self, index: int) -> Path:
        return sequence_frame_path(self.template, index)

    def read(self, index: int) -> np.ndarray:
        p = self.path(index)
        if not p.is_file():
            raise SourceError(f"frame {index} of the image sequence is missing: {p}")
        return read_image(p)

    def frame_identity(self, index: int) -> str:
        return file_identity(self.path(index))

    def close(self) -> None:
        pass


class ListSource:
    """Explicit files per index (a sequencer image strip's elements)."""

    def __init__(self, files: dict[int, Path], identity: str) -> None:
        self.files = files
        self.identity = identity

    def read(self, index: int) -> np.ndarray:
        p = self.files.get(index)
        if p is None:
            raise SourceError(f"no file for frame {index}")
        return read_image(p)

    def frame_identity(self, index: int) -> str:
        p = self.files.get(index)
        return file_identity(p) if p is not None else ""

    def close(self) -> None:
        pass


class MovieSource:
    """A movie file decoded with PyAV; frames are addressed by 0-based index, read fastest in order."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"source movie not found: {self.path}")
        self.identity = "movie:" + file_identity(self.path)
        self._container = None
        self._iter = None
        self._next = 0
        self._last: tuple[int, np.ndarray] | None = None
        self.frame_count = 0
        self.fps = 0.0
        self._open()

    def _open(self) -> None:
        import av

        try:
            self._container = av.open(str(self.path))
        except (OSError, av.error.FFmpegError) as exc:  # type: ignore[attr-defined]
            raise SourceError(f"cannot open movie {self.path}: {exc}") from exc
        if not self._container.streams.video:
            raise SourceError(f"{self.path} has no video stream")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self.frame_count = int(stream.frames or 0)
        self.fps = float(stream.average_rate or 0.0)
        self._iter = self._container.decode(stream)
        self._next = 0

    def read(self, index: int) -> np.ndarray:
        if index < 0:
            raise SourceError(f"movie frame {index} is before the start of {self.path}")
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        if index < self._next:
            self.close()
            self._open()
        frame = None
        while self._next <= index:
            try:
                frame = next(self._iter)  # type: ignore[arg-type]
            except StopIteration:
                raise SourceError(f"movie {self.path} has no frame {index} (it has {self._next})") from None
            self._next += 1
        assert frame is not None
        rgb = frame.to_ndarray(format="rgb24")
        self._last = (index, rgb)
        return rgb

    def frame_identity(self, index: int) -> str:
        return ""

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None
        self._iter = None
        self._last = None


def open_source(path: str | os.PathLike[str], kind: str = "auto") -> FrameSource:
    """Open ``path`` as ``"still"``, ``"sequence"``, ``"movie"`` or guess from the extension (``"auto"``)."""
    p = Path(path)
    if kind == "auto":
        kind = "movie" if p.suffix.lower() in MOVIE_EXTENSIONS else "still"
    if kind == "movie":
        return MovieSource(p)
    if kind == "sequence":
        return SequenceSource(p)
    if kind == "still":
        return StillSource(p)
    raise SourceError(f"unknown source kind {kind!r}")
