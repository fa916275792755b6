"""Choosing and checking the output, and opening its writer.

The output path chooses what is written (:func:`output_kind`):

* ``.mp4`` / ``.m4v`` / ``.mov`` / ``.mkv``: H.264 video with the input's audio (:mod:`engine.video_writer`);
* ``.png`` / ``.jpg`` / ``.jpeg`` / ``.tif`` / ``.tiff``: a single image (for single-image input only);
* anything else (no extension, or an existing folder): a folder of PNG frames ``frame_000001.png``, ... (RGBA when
  the input had alpha) (:mod:`engine.image_files`).

Writes are atomic (:mod:`engine.atomic_output`). The input is never overwritten: an output path that resolves to
the input is refused by :func:`check_output_path`, which callers run before any work is done.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .atomic_output import FrameWriter
from .errors import OutputError
from .image_files import FRAME_NAME_RE, IMAGE_OUTPUT_EXTENSIONS, ImageSequenceWriter, ImageWriter
from .media_input import VideoInfo
from .video_writer import VIDEO_EXTENSIONS, VideoWriter

__all__ = ["output_kind", "check_output_path", "open_writer"]


def output_kind(path: str | os.PathLike[str]) -> str:
    """``"video"``, ``"image"`` or ``"images"`` (PNG sequence folder) for an output path."""
    p = Path(path)
    ext = p.suffix.lower()
    if p.is_dir():
        return "images"
    if ext in VIDEO_EXTENSIONS:
        return "video"
    if ext in IMAGE_OUTPUT_EXTENSIONS:
        return "image"
    if ext in (".avi", ".webm", ".gif", ".flv", ".wmv", ".ogv", ".exr", ".bmp", ".webp"):
        raise OutputError(f"{p}: cannot write {ext} output; use .mp4, .mov, .mkv, a single .png/.jpg/.tif, or a "
                          "folder name for a PNG sequence")
    return "images"


def _same_path(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_output_path(inp: str | os.PathLike[str], out: str | os.PathLike[str], frame_count: int = 1,
                      frame_names: Sequence[str] = ()) -> str:
    """Validate ``out`` for input ``inp`` before any work is done; returns the output kind.

    ``frame_names``: the file names a PNG-sequence output will use when they are not ``frame_NNNNNN.png``
    (an existing output folder may hold those from an earlier run).

    Raises:
        OutputError: same as the input, folder missing, a non-empty folder with other files, a single image
            output for a multi-frame input, an unsupported extension.
    """
    inp_p, out_p = Path(inp), Path(out)
    if _same_path(inp_p, out_p):
        raise OutputError(f"{out_p}: the output is the input file; choose another output path "
                          "(the input is never overwritten)")
    kind = output_kind(out_p)
    parent = out_p.resolve().parent
    if not parent.is_dir():
        blocking_file = next((folder for folder in (parent, *parent.parents) if folder.is_file()), None)
        if blocking_file is not None:
            raise OutputError(f"{out_p}: {blocking_file} is a file, not a folder; choose an output path outside it")
        raise OutputError(f"{out_p}: the output folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{out_p}: the output folder {parent} is not writable")
    if kind == "image" and frame_count > 1:
        raise OutputError(f"{out_p}: a single image cannot hold {frame_count} frames; use a video extension "
                          "(.mp4) or a folder name for a PNG sequence")
    if out_p.is_dir():
        if inp_p.is_dir() and _same_path(inp_p, out_p):
            raise OutputError(f"{out_p}: the output folder is the input folder; choose another folder")
        own = set(frame_names)
        foreign = [c.name for c in out_p.iterdir() if not FRAME_NAME_RE.match(c.name) and c.name not in own]
        if foreign:
            raise OutputError(f"{out_p}: the folder already contains other files ({', '.join(sorted(foreign)[:3])}"
                              f"{', ...' if len(foreign) > 3 else ''}); choose a new or empty folder")
    elif out_p.exists() and kind == "images":
        raise OutputError(f"{out_p}: exists and is not a folder; choose a folder name for the PNG sequence")
    return kind


def open_writer(path: str | os.PathLike[str], info: VideoInfo, *, audio: bool = True, crf: int = 18,
                frame_names: Sequence[str] | None = None) -> FrameWriter:
    """Open the writer that ``path`` asks for (see module docstring), for frames like ``info``'s.

    Call :func:`check_output_path` first to refuse bad outputs before any work is done.

    Args:
        path: output path.
        info: the input's :class:`VideoInfo` (frame rate, size; its file is the audio source).
        audio: copy the input's audio into video outputs.
        crf: H.264 quality (0 lossless .. 51 worst; 18 looks lossless).
        frame_names: file names of the frames of a PNG-sequence output (default ``frame_000001.png``, ...).
    """
    p = Path(path)
    kind = output_kind(p)
    try:
        if kind == "video":
            return VideoWriter(p, rate=info.rate, width=info.width, height=info.height,
                               audio_from=info.path if (audio and info.has_audio) else None, crf=crf)
        if kind == "image":
            return ImageWriter(p)
        return ImageSequenceWriter(p, frame_names)
    except OSError as exc:
        raise OutputError(f"{p}: cannot create the output ({exc})") from exc
