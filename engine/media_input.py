"""Reading the input: a video file (PyAV: anything FFmpeg demuxes), a folder of images or a single image.

:func:`open_frames` gives the frames lazily as uint8 RGB ``(H, W, 3)``, or RGBA ``(H, W, 4)`` for images with alpha
(image files are read by :mod:`engine.image_files`), with the input's :class:`VideoInfo`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from .errors import InputError, SettingsError
from .image_files import IMAGE_EXTENSIONS, list_images, read_image, read_image_sequence

__all__ = ["VideoInfo", "FrameIterator", "DEFAULT_SEQUENCE_FPS", "open_frames", "probe"]

log = logging.getLogger(__name__)

#: frame rate of image input unless the caller gives one
DEFAULT_SEQUENCE_FPS = Fraction(24)
#: The frame rates an image sequence may be given (video containers store a rate as a fraction with a bounded
#: denominator: below 0.1 fps or above 1000 encoders refuse or the rate rounds to zero).
MIN_SEQUENCE_FPS, MAX_SEQUENCE_FPS = 0.1, 1000.0


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`open_frames` found.

    Attributes:
        path: the input path.
        kind: ``"video"``, ``"images"`` (folder) or ``"image"`` (one file).
        fps: frames per second (float); ``rate`` is the exact value.
        frame_count: number of frames (from the container header for video; may be an estimate there).
        width, height: frame size in pixels.
        has_audio: the input has an audio stream.
        rate: exact frame rate as a fraction.
        has_alpha: frames carry an alpha channel (image input only).
    """

    path: Path
    kind: str
    fps: float
    frame_count: int
    width: int
    height: int
    has_audio: bool
    rate: Fraction
    has_alpha: bool = False


def _open_images(path: Path, fps: Fraction, start: int) -> tuple[Iterator[np.ndarray], VideoInfo]:
    if path.is_dir():
        files = list_images(path)
        if not files:
            raise InputError(f"{path}: folder contains no images ({', '.join(sorted(IMAGE_EXTENSIONS))}); "
                             "point to a video file or a folder of frames")
        kind = "images"
    else:
        files = [path]
        kind = "image"
    first = read_image(files[0], 0)
    info = VideoInfo(path=path, kind=kind, fps=float(fps), frame_count=len(files), width=first.shape[1],
                     height=first.shape[0], has_audio=False, rate=fps, has_alpha=first.shape[2] == 4)
    return read_image_sequence(files, first, start), info


def _rate_of(stream: av.video.stream.VideoStream) -> Fraction:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return Fraction(rate)
    log.warning("frame rate unknown; using %s fps", DEFAULT_SEQUENCE_FPS)
    return DEFAULT_SEQUENCE_FPS


def _open_video(path: Path) -> tuple[av.container.InputContainer, VideoInfo]:
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise InputError(f"{path}: not a video or image file FFmpeg can read ({exc.strerror or exc}); "
                         "check the file, or convert it to MP4/MOV/MKV") from exc
    try:
        if not container.streams.video:
            raise InputError(f"{path}: the file has no video stream (zero video frames); "
                             "pass a video or a folder of images")
        stream = container.streams.video[0]
        count = int(stream.frames or 0)
        if count == 0:
            # header has no frame count (MKV, TS, ...): count the packets (cheap, no decoding)
            count = sum(1 for p in container.demux(stream) if p.size)
            container.seek(0)
            if count == 0:
                raise InputError(f"{path}: the video stream has zero frames; nothing to process")
        cc = stream.codec_context
        if not cc.width or not cc.height:
            raise InputError(f"{path}: the video stream has no frame size; the file is damaged")
        rate = _rate_of(stream)
        info = VideoInfo(path=path, kind="video", fps=float(rate), frame_count=count, width=cc.width,
                         height=cc.height, has_audio=bool(container.streams.audio), rate=rate)
    except InputError:
        container.close()
        raise
    except av.error.FFmpegError as exc:
        container.close()
        raise InputError(f"{path}: cannot read the video stream ({exc.strerror or exc})") from exc
    return container, info


class FrameIterator(Iterator[np.ndarray]):
    """Iterator over decoded frames whose :meth:`close` also closes the file, even before the first frame."""

    def __init__(self, frames: Iterator[np.ndarray], closer: Callable[[], None] | None = None) -> None:
        self._frames = frames
        self._closer = closer

    def __next__(self) -> np.ndarray:
        return next(self._frames)

    def close(self) -> None:
        """Stop early and release the input file."""
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()
        if self._closer is not None:
            self._closer()
            self._closer = None


def _video_frames(container: av.container.InputContainer, info: VideoInfo, start: int) -> Iterator[np.ndarray]:
    # Frames before ``start`` are decoded (exact frame indices, whatever the codec's keyframe spacing) but not
    # converted to RGB.
    index = 0
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                if frame.is_corrupt:
                    raise InputError(f"{info.path}: frame {index} is corrupt; the file is damaged or truncated "
                                     "(re-export or re-download it)")
                if index >= start:
                    yield frame.to_ndarray(format="rgb24")
                index += 1
        except av.error.FFmpegError as exc:
            raise InputError(f"{info.path}: frame {index} could not be decoded ({exc.strerror or exc}); the file "
                             "is damaged or truncated (re-export or re-download it)") from exc
        if index == 0:
            raise InputError(f"{info.path}: no frame could be decoded; nothing to process")
        if index < info.frame_count:
            log.warning("%s: decoded %d frames, the header announced %d", info.path, index, info.frame_count)
    finally:
        container.close()


def probe(path: str | os.PathLike[str], fps: float | Fraction | None = None) -> VideoInfo:
    """Read the :class:`VideoInfo` of an input without decoding its frames (images: reads the first one)."""
    frames, info = open_frames(path, fps=fps)
    frames.close()
    return info


def open_frames(path: str | os.PathLike[str], fps: float | Fraction | None = None, start: int = 0
                ) -> tuple[FrameIterator, VideoInfo]:
    """Open a video file, a folder of images or one image.

    Args:
        path: the input.
        fps: frame rate to assume for image input (default 24), between ``MIN_SEQUENCE_FPS`` and
            ``MAX_SEQUENCE_FPS``; ignored for video.
        start: the first frame to give (counted from 0); earlier image files are not read, earlier video frames
            are decoded but not converted. ``info`` describes the whole input either way.

    Returns:
        A lazy :class:`FrameIterator` of uint8 frames (RGB, or RGBA for images with alpha) and the
        :class:`VideoInfo`. Call its ``close()`` if you stop early; it closes the file.

    Raises:
        SettingsError: ``fps`` out of range (also NaN and infinity).
        InputError: missing path, not a video/image, zero frames; while iterating: an unreadable frame (with its
            index) or an image of another size.
    """
    if fps is not None and not MIN_SEQUENCE_FPS <= float(fps) <= MAX_SEQUENCE_FPS:
        raise SettingsError(f"frame rate {fps} is out of range; give one between {MIN_SEQUENCE_FPS:g} and "
                            f"{MAX_SEQUENCE_FPS:g} frames per second")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder; check the path")
    if p.is_dir() or p.suffix.lower() in IMAGE_EXTENSIONS:
        rate = Fraction(fps).limit_denominator(1001) if fps else DEFAULT_SEQUENCE_FPS
        images, info = _open_images(p, rate, start)
        return FrameIterator(images), info
    if not os.access(p, os.R_OK):
        raise InputError(f"{p}: file is not readable (permission denied)")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: file is empty; not a video")
    container, info = _open_video(p)
    return FrameIterator(_video_frames(container, info, start), container.close), info
