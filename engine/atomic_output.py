"""Atomic output: frames go to a temporary name in the output's folder, renamed onto the final name when complete.

:class:`FrameWriter` is the base of every output writer (:mod:`engine.image_files`, :mod:`engine.video_writer`).
On any error the temporary output is removed, so no half-written output is ever left under the final name, and a
previous output stays as it was.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import numpy as np

__all__ = ["FrameWriter", "TMP_PREFIX", "temp_file", "temp_dir", "remove_quietly"]

log = logging.getLogger(__name__)

#: prefix of every temporary output name (files and folders)
TMP_PREFIX = ".toonflow-tmp-"


class FrameWriter:
    """Writes frames atomically to a temporary name; :meth:`commit` renames it to the final name.

    Use as a context manager: leaving the block normally commits, an exception aborts (temporary output
    removed, final name untouched).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.frames_written = 0
        self._done = False

    def write(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _discard(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        """Finish the output and move it onto the final name."""
        if self._done:
            return
        try:
            self._finish()
        except BaseException:
            self.abort()
            raise
        self._done = True
        log.info("wrote %s (%d frames)", self.path, self.frames_written)

    def abort(self) -> None:
        """Remove the temporary output; the final name is left as it was."""
        if self._done:
            return
        self._done = True
        self._discard()

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def temp_file(path: Path) -> Path:
    """A new empty temporary file beside ``path`` with ``path``'s extension."""
    fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=path.suffix, dir=path.resolve().parent)
    os.close(fd)
    # mkstemp creates 0600; the finished file should get the permissions any new file of the user gets.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)


def temp_dir(path: Path) -> Path:
    """A new empty temporary folder beside ``path``."""
    return Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=path.resolve().parent))


def remove_quietly(path: Path) -> None:
    """Remove a temporary file or folder; a failure is logged, not raised (cleanup must not hide the real error)."""
    try:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    except OSError as exc:
        log.warning("could not remove temporary output %s: %s", path, exc)
