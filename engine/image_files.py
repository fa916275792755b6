"""Image files and folders of them (OpenCV): reading frames, natural frame order, writing images and PNG sequences.

Read: PNG, JPEG, TIFF, BMP, WebP, EXR as uint8 RGB ``(H, W, 3)``, or RGBA ``(H, W, 4)`` for images with alpha;
16-bit and float images are converted to 8 bit (EXR is scene-linear: its colour goes through the sRGB transfer
function, values above 1 are clipped). A folder's images are taken in natural order (``f2.png`` before ``f10.png``).

Write (atomically, see :mod:`engine.atomic_output`): one image (``.png`` / ``.jpg`` / ``.jpeg`` / ``.tif`` /
``.tiff``), or a folder of PNG frames ``frame_000001.png``, ... (or of given names), RGBA when the frames have alpha.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from .atomic_output import FrameWriter, remove_quietly, temp_dir, temp_file
from .errors import InputError, OutputError
from .frames import attach_alpha, linear_to_srgb, to_rgb8

__all__ = [
    "IMAGE_EXTENSIONS",
    "IMAGE_OUTPUT_EXTENSIONS",
    "FRAME_PATTERN",
    "FRAME_NAME_RE",
    "natural_key",
    "read_image",
    "list_images",
    "read_image_sequence",
    "ImageWriter",
    "ImageSequenceWriter",
]

#: image files read as frames
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".exr"})
#: single-image output formats
IMAGE_OUTPUT_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
#: file names of a PNG-sequence output (1-based)
FRAME_PATTERN = "frame_{:06d}.png"
FRAME_NAME_RE = re.compile(r"^frame_\d{6}\.png$")


def natural_key(name: str) -> list[object]:
    """Sort key that orders ``f2`` before ``f10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def read_image(path: Path, index: int | None = None) -> np.ndarray:
    """Read an image file as uint8 RGB / RGBA (16-bit and float converted)."""
    if path.suffix.lower() == ".exr":
        # OpenCV reads OpenEXR only when this is set (it is read when the codec is first used).
        os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
    where = f"{path}" + (f" (frame {index})" if index is not None else "")
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise InputError(f"{where}: cannot read file: {exc}") from exc
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise InputError(f"{where}: not a readable image (corrupt or unsupported format); "
                         "replace or remove this file")
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    if path.suffix.lower() == ".exr" and np.issubdtype(img.dtype, np.floating):
        # EXR holds scene-linear light: encode colour to sRGB for the model; alpha stays linear
        colour = img[..., :3] if img.ndim == 3 else img
        colour = linear_to_srgb(colour)
        img = np.concatenate([colour, np.clip(img[..., 3:], 0, 1)], -1) if img.ndim == 3 else colour
    split = to_rgb8(img, index, str(path))
    return attach_alpha(split.rgb, split.alpha)


def list_images(folder: Path) -> list[Path]:
    """The image files of a folder in frame order (natural sort, hidden files and other types skipped)."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
             and not p.name.startswith(".")]
    return sorted(files, key=lambda p: natural_key(p.name))


def read_image_sequence(files: list[Path], first: np.ndarray, start: int = 0) -> Iterator[np.ndarray]:
    """The frames of ``files`` from index ``start`` on (``first`` is the already read ``files[0]``, which sets the
    size every image must have)."""
    h, w = first.shape[:2]
    if start == 0:
        yield first
    for i, f in enumerate(files[max(start, 1):], start=max(start, 1)):
        img = read_image(f, i)
        if img.shape[:2] != (h, w):
            raise InputError(f"{f} (frame {i}): size {img.shape[1]}x{img.shape[0]} differs from the first frame's "
                             f"{w}x{h}; all images of a sequence must have the same size")
        yield img


def _to_bgr_for_cv2(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_RGBA2BGRA)
    return cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)


def _encode_image(frame: np.ndarray, ext: str, where: str) -> bytes:
    params: list[int] = []
    if ext == ".png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, 3]
    elif ext in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, 95]
        if frame.shape[2] == 4:
            frame = frame[:, :, :3]
    ok, buf = cv2.imencode(ext, _to_bgr_for_cv2(frame), params)
    if not ok:
        raise OutputError(f"{where}: OpenCV could not encode the frame as {ext}")
    return buf.tobytes()


class ImageWriter(FrameWriter):
    """One image file (single-frame input)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._tmp = temp_file(path)

    def write(self, frame: np.ndarray) -> None:
        if self.frames_written:
            raise OutputError(f"{self.path}: a single image output takes one frame; use a video or a folder")
        try:
            self._tmp.write_bytes(_encode_image(frame, self.path.suffix.lower(), str(self.path)))
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write ({exc})") from exc
        self.frames_written = 1

    def _finish(self) -> None:
        if not self.frames_written:
            raise OutputError(f"{self.path}: no frame was written")
        os.replace(self._tmp, self.path)

    def _discard(self) -> None:
        remove_quietly(self._tmp)


class ImageSequenceWriter(FrameWriter):
    """A folder of ``frame_000001.png`` ... files, or of the given ``names`` (one per frame, in order)."""

    def __init__(self, path: Path, names: Sequence[str] | None = None) -> None:
        super().__init__(path)
        self.names = list(names) if names is not None else None
        self._tmp = temp_dir(path)

    def write(self, frame: np.ndarray) -> None:
        if self.names is None:
            name = FRAME_PATTERN.format(self.frames_written + 1)
        elif self.frames_written < len(self.names):
            name = self.names[self.frames_written]
        else:
            raise OutputError(f"{self.path}: more frames than the {len(self.names)} file names planned for them")
        try:
            (self._tmp / name).write_bytes(_encode_image(frame, ".png", str(self.path / name)))
        except OSError as exc:
            raise OutputError(f"{self.path / name}: cannot write ({exc})") from exc
        self.frames_written += 1

    def _finish(self) -> None:
        old: Path | None = None
        if self.path.exists():
            old = temp_dir(self.path)
            old.rmdir()
            os.replace(self.path, old)
        try:
            os.replace(self._tmp, self.path)
        except OSError:
            if old is not None:
                os.replace(old, self.path)
            raise
        if old is not None:
            remove_quietly(old)

    def _discard(self) -> None:
        remove_quietly(self._tmp)
