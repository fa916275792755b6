"""Joining finished chunks into the job's output: a video with the source's audio, or a folder of PNG frames."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import OutputError
from ..image_files import list_images, read_image
from ..media_input import VideoInfo
from ..media_output import open_writer, output_kind

__all__ = ["assemble"]


def assemble(info: VideoInfo, folders: Sequence[Path], out: Path, *, audio: bool = True, crf: int = 18,
             progress: Callable[[int, int], None] | None = None) -> int:
    """Write the frames of ``folders`` (chunk folders, in frame order) to ``out``; returns the frames written.

    ``out`` is written atomically (nothing under its name until complete). A PNG-folder output keeps the chunks'
    file names, which are the names a whole run gives.

    Raises:
        OutputError: a chunk folder is missing or empty, or the output cannot be written.
    """
    files: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise OutputError(f"{folder}: chunk folder missing; rerun the job to compute it again")
        chunk_files = list_images(folder)
        if not chunk_files:
            raise OutputError(f"{folder}: chunk folder is empty; delete it and rerun the job")
        files += chunk_files
    names = [f.name for f in files] if output_kind(out) == "images" else None
    with open_writer(out, info, audio=audio, crf=crf, frame_names=names) as writer:
        for index, path in enumerate(files):
            writer.write(read_image(path, index))
            if progress is not None:
                progress(index + 1, len(files))
    return len(files)
