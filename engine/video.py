"""Video files, image sequences and single images, in and out (PyAV for video, OpenCV for images).

Input (:func:`open_frames`): a video file (anything FFmpeg demuxes), a folder of images (PNG, JPEG, TIFF, BMP, WebP,
EXR; sorted naturally so ``f2.png`` comes before ``f10.png``) or a single image. Frames come out as uint8 RGB
``(H, W, 3)``, or RGBA ``(H, W, 4)`` for images with alpha; 16-bit and float images are converted to 8 bit
(EXR is scene-linear: its colour goes through the sRGB transfer function, values above 1 are clipped).

Output (:func:`open_writer`), chosen by the output path:

* ``.mp4`` / ``.m4v`` / ``.mov`` / ``.mkv``: H.264 (libx264, CRF 18) at the input's frame rate, one output frame per
  input frame, BT.709. Even sizes use yuv420p (plays everywhere); odd widths or heights use yuv444p at the exact
  size (H.264 4:2:0 needs even sizes, and padding would change the frame size; note that some players, e.g.
  browsers and QuickTime, do not play 4:4:4). The input's first audio stream is copied packet for packet, or
  re-encoded to AAC when the output container cannot carry its codec (e.g. PCM in MP4).
* ``.png`` / ``.jpg`` / ``.jpeg`` / ``.tif`` / ``.tiff``: a single image (for single-image input only).
* anything else (no extension, or an existing folder): a folder of PNG frames ``frame_000001.png``, ... (RGBA when
  the input had alpha).

Writes are atomic: everything goes to a temporary name in the output's folder and is renamed onto the final name
only when complete; on any error the temporary file is removed, so no half-written output is left under the final
name. The input is never overwritten: an output path that resolves to the input is refused.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.error
import cv2
import numpy as np
from av.video.reformatter import Colorspace

from .errors import InputError, OutputError
from .frames import attach_alpha, linear_to_srgb, to_rgb8

__all__ = [
    "VideoInfo",
    "FrameIterator",
    "FrameWriter",
    "VIDEO_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "open_frames",
    "probe",
    "open_writer",
    "output_kind",
    "check_output_path",
    "natural_key",
    "read_image",
    "list_images",
]

log = logging.getLogger(__name__)

#: output containers for H.264 -> FFmpeg muxer name
VIDEO_EXTENSIONS: dict[str, str] = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
#: image files read as frames
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".exr"})
#: single-image output formats
IMAGE_OUTPUT_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
DEFAULT_SEQUENCE_FPS = Fraction(24)
FRAME_PATTERN = "frame_{:06d}.png"
_FRAME_RE = re.compile(r"^frame_\d{6}\.png$")
_TMP_PREFIX = ".toonflow-tmp-"
_NAMED_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


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


def natural_key(name: str) -> list[object]:
    """Sort key that orders ``f2`` before ``f10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


# ----------------------------------------------------------------------------------------------------- images


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


def _image_frames(files: list[Path], first: np.ndarray) -> Iterator[np.ndarray]:
    h, w = first.shape[:2]
    yield first
    for i, f in enumerate(files[1:], start=1):
        img = read_image(f, i)
        if img.shape[:2] != (h, w):
            raise InputError(f"{f} (frame {i}): size {img.shape[1]}x{img.shape[0]} differs from the first frame's "
                             f"{w}x{h}; all images of a sequence must have the same size")
        yield img


def _open_images(path: Path, fps: Fraction) -> tuple[Iterator[np.ndarray], VideoInfo]:
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
    return _image_frames(files, first), info


# ------------------------------------------------------------------------------------------------------ video


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
            raise InputError(f"{path}: the file has no video stream (zero video frames); pass a video or a folder of images")
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


def _video_frames(container: av.container.InputContainer, info: VideoInfo) -> Iterator[np.ndarray]:
    index = 0
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                if frame.is_corrupt:
                    raise InputError(f"{info.path}: frame {index} is corrupt; the file is damaged or truncated "
                                     "(re-export or re-download it)")
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


def open_frames(path: str | os.PathLike[str], fps: float | Fraction | None = None
                ) -> tuple[FrameIterator, VideoInfo]:
    """Open a video file, a folder of images or one image.

    Args:
        path: the input.
        fps: frame rate to assume for image input (default 24); ignored for video.

    Returns:
        A lazy :class:`FrameIterator` of uint8 frames (RGB, or RGBA for images with alpha) and the
        :class:`VideoInfo`. Call its ``close()`` if you stop early; it closes the file.

    Raises:
        InputError: missing path, not a video/image, zero frames; while iterating: an unreadable frame (with its
            index) or an image of another size.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder; check the path")
    if p.is_dir() or p.suffix.lower() in IMAGE_EXTENSIONS:
        rate = Fraction(fps).limit_denominator(1001) if fps else DEFAULT_SEQUENCE_FPS
        images, info = _open_images(p, rate)
        return FrameIterator(images), info
    if not os.access(p, os.R_OK):
        raise InputError(f"{p}: file is not readable (permission denied)")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: file is empty; not a video")
    container, info = _open_video(p)
    return FrameIterator(_video_frames(container, info), container.close), info


# ----------------------------------------------------------------------------------------------------- output


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
        foreign = [c.name for c in out_p.iterdir() if not _FRAME_RE.match(c.name) and c.name not in own]
        if foreign:
            raise OutputError(f"{out_p}: the folder already contains other files ({', '.join(sorted(foreign)[:3])}"
                              f"{', ...' if len(foreign) > 3 else ''}); choose a new or empty folder")
    elif out_p.exists() and kind == "images":
        raise OutputError(f"{out_p}: exists and is not a folder; choose a folder name for the PNG sequence")
    return kind


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


def _temp_file(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=path.suffix, dir=path.resolve().parent)
    os.close(fd)
    # mkstemp creates 0600; the finished file should get the permissions any new file of the user gets.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)


def _remove(path: Path) -> None:
    try:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    except OSError as exc:
        log.warning("could not remove temporary output %s: %s", path, exc)


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
        self._tmp = _temp_file(path)

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
        _remove(self._tmp)


class ImageSequenceWriter(FrameWriter):
    """A folder of ``frame_000001.png`` ... files, or of the given ``names`` (one per frame, in order)."""

    def __init__(self, path: Path, names: Sequence[str] | None = None) -> None:
        super().__init__(path)
        self.names = list(names) if names is not None else None
        self._tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=path.resolve().parent))

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
            old = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=self.path.resolve().parent))
            old.rmdir()
            os.replace(self.path, old)
        try:
            os.replace(self._tmp, self.path)
        except OSError:
            if old is not None:
                os.replace(old, self.path)
            raise
        if old is not None:
            _remove(old)

    def _discard(self) -> None:
        _remove(self._tmp)


def _can_copy_audio(container_format: str, stream: av.audio.stream.AudioStream) -> bool:
    """True when ``container_format`` can carry ``stream``'s codec without re-encoding (probed in memory)."""
    buf = io.BytesIO()
    try:
        probe_out = av.open(buf, mode="w", format=container_format)
    except av.error.FFmpegError:
        return False
    try:
        probe_out.add_stream_from_template(stream)
        probe_out.start_encoding()
        return True
    except (av.error.FFmpegError, ValueError) as exc:
        log.debug("audio codec %s cannot be copied into %s: %s", stream.codec_context.name, container_format, exc)
        return False
    finally:
        try:
            probe_out.close()
        except av.error.FFmpegError:
            pass


class VideoWriter(FrameWriter):
    """H.264 video with the input's audio copied through (or re-encoded to AAC when it cannot be copied)."""

    def __init__(self, path: Path, *, rate: Fraction, width: int, height: int,
                 audio_from: Path | None = None, crf: int = 18, preset: str = "medium") -> None:
        super().__init__(path)
        self.rate = Fraction(rate)
        self.width, self.height = width, height
        fmt = VIDEO_EXTENSIONS[path.suffix.lower()]
        self._tmp = _temp_file(path)
        self._audio_in: av.container.InputContainer | None = None
        try:
            self._out = av.open(str(self._tmp), mode="w", format=fmt)
            vs = self._out.add_stream("libx264", rate=self.rate)
            vs.width, vs.height = width, height
            self.pix_fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"
            if self.pix_fmt != "yuv420p":
                log.info("%dx%d has an odd side: encoding H.264 4:4:4 (yuv444p) at the exact size", width, height)
            vs.pix_fmt = self.pix_fmt
            vs.codec_context.time_base = 1 / self.rate
            vs.codec_context.colorspace = 1  # BT.709 matrix, primaries and transfer
            vs.codec_context.color_primaries = 1
            vs.codec_context.color_trc = 1
            vs.options = {"crf": str(crf), "preset": preset}
            self._vs = vs
            self._setup_audio(audio_from, fmt)
        except av.error.FFmpegError as exc:
            self._discard()
            raise OutputError(f"{path}: cannot create the video ({exc.strerror or exc})") from exc
        except BaseException:
            self._discard()
            raise

    def _setup_audio(self, audio_from: Path | None, fmt: str) -> None:
        self._as_in = self._as_out = None
        self._audio_packets: Iterator[av.Packet] | None = None
        self._audio_offset = 0.0
        self._reencode = False
        self._pending_audio: av.Packet | None = None
        if audio_from is None:
            return
        try:
            ain = av.open(str(audio_from), mode="r")
        except av.error.FFmpegError as exc:
            log.warning("%s: cannot open for audio (%s); writing video without audio", audio_from, exc)
            return
        if not ain.streams.audio:
            ain.close()
            return
        self._audio_in = ain
        a_in = ain.streams.audio[0]
        if ain.streams.video and ain.streams.video[0].start_time is not None:
            v = ain.streams.video[0]
            self._audio_offset = float(v.start_time * v.time_base)
        if _can_copy_audio(fmt, a_in):
            self._as_out = self._out.add_stream_from_template(a_in)
            log.debug("copying audio (%s)", a_in.codec_context.name)
        else:
            self._reencode = True
            a_out = self._out.add_stream("aac", rate=a_in.codec_context.sample_rate or 48000)
            layout = a_in.codec_context.layout
            if layout.name.endswith("channels"):  # unnamed order (e.g. PCM from MKV): AAC needs a named layout
                layout = av.AudioLayout(_NAMED_LAYOUTS.get(layout.nb_channels, "stereo"))
            a_out.layout = layout
            self._as_out = a_out
            log.info("audio codec %s cannot go into %s: re-encoding it to AAC", a_in.codec_context.name, fmt)
        self._as_in = a_in
        self._audio_packets = ain.demux(a_in)

    def _mux_audio_until(self, t: float | None) -> None:
        """Write audio packets whose time is before ``t`` seconds of output time (all remaining when None)."""
        if self._audio_packets is None:
            return
        assert self._as_in is not None and self._as_out is not None
        try:
            while True:
                pending = self._pending_audio
                if pending is None:
                    pending = next(self._audio_packets, None)
                    if pending is None:
                        self._audio_packets = None
                        if self._reencode:
                            for p in self._as_out.encode(None):
                                self._out.mux(p)
                        return
                if pending.pts is not None and t is not None and \
                        float(pending.pts * pending.time_base) - self._audio_offset > t:
                    self._pending_audio = pending
                    return
                self._pending_audio = None
                self._write_audio_packet(pending)
        except av.error.FFmpegError as exc:
            log.warning("audio could not be copied (%s); the rest of the audio is dropped", exc)
            self._audio_packets = None

    def _write_audio_packet(self, packet: av.Packet) -> None:
        assert self._as_out is not None
        if self._reencode:
            for frame in packet.decode():
                frame.pts = None
                for p in self._as_out.encode(frame):
                    self._out.mux(p)
            return
        if packet.dts is None:  # demuxer flush packet
            return
        if self._audio_offset:
            shift = round(self._audio_offset / packet.time_base)
            if packet.pts is not None and packet.pts - shift < 0:
                return  # audio before the first video frame
            packet.pts = None if packet.pts is None else packet.pts - shift
            packet.dts = packet.dts - shift
        packet.stream = self._as_out
        self._out.mux(packet)

    def write(self, frame: np.ndarray) -> None:
        if frame.shape[0] != self.height or frame.shape[1] != self.width:
            raise OutputError(f"{self.path}: frame {self.frames_written} is {frame.shape[1]}x{frame.shape[0]}, the "
                              f"video is {self.width}x{self.height}; all frames of a video must have one size")
        if frame.shape[2] == 4:
            frame = frame[:, :, :3]
        try:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf = vf.reformat(format=self.pix_fmt, dst_colorspace=Colorspace.ITU709)
            vf.pts = self.frames_written
            vf.time_base = 1 / self.rate
            self._mux_audio_until(self.frames_written / self.rate)
            for packet in self._vs.encode(vf):
                self._out.mux(packet)
        except av.error.FFmpegError as exc:
            raise OutputError(f"{self.path}: encoding frame {self.frames_written} failed "
                              f"({exc.strerror or exc})") from exc
        except OSError as exc:
            raise OutputError(f"{self.path}: writing frame {self.frames_written} failed ({exc})") from exc
        self.frames_written += 1

    def _finish(self) -> None:
        if not self.frames_written:
            raise OutputError(f"{self.path}: no frame was written")
        try:
            for packet in self._vs.encode(None):
                self._out.mux(packet)
            self._mux_audio_until(None)
            self._out.close()
        except av.error.FFmpegError as exc:
            raise OutputError(f"{self.path}: finishing the video failed ({exc.strerror or exc})") from exc
        finally:
            if self._audio_in is not None:
                self._audio_in.close()
        os.replace(self._tmp, self.path)

    def _discard(self) -> None:
        for c in (getattr(self, "_out", None), self._audio_in):
            if c is not None:
                try:
                    c.close()
                except (av.error.FFmpegError, OSError, ValueError):
                    pass
        _remove(self._tmp)


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
