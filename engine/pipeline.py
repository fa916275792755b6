"""File to file: read an input, cartoonize (or colorize) every frame in order, write the output atomically."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cartoonize import Cartoonizer
from .colorize import Colorizer
from .errors import InputError
from .frame_range import FrameRange
from .image_files import FRAME_PATTERN, read_image
from .lineart import hold_tolerance_for
from .media_input import VideoInfo, open_frames
from .sequence import FrameSequence
from .media_output import check_output_path, open_writer
from .overlap import ReadAhead, WriteBehind, queue_depth

__all__ = ["CartoonizeResult", "cartoonize_file", "ColorizeResult", "colorize_file", "png_names", "range_frame_names"]

log = logging.getLogger(__name__)

#: called after each frame with (frames done, total frames announced by the input)
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class CartoonizeResult:
    """What :func:`cartoonize_file` did.

    Attributes:
        frames: frames written.
        first_frame: index of the first frame written (0 unless a frame range was given).
        warmup: frames read and processed before ``first_frame`` but not written (the stabiliser's warm-up).
    """

    input: VideoInfo
    output: Path
    frames: int
    providers: list[str]
    first_frame: int = 0
    warmup: int = 0
    precision: str = "fp32"  # what the network ran in: "fp32", "fp16" or "int8"
    seconds: float = 0.0  # wall time of the run, model opening excluded


def range_frame_names(frame_range: FrameRange | None, frame_count: int) -> list[str] | None:
    """PNG names for the frames of ``frame_range``: the names a whole run gives them (``frame_000001.png`` for frame
    0), so the folders of several ranges merge into the whole run's folder. ``None`` for a whole run."""
    if frame_range is None:
        return None
    return [FRAME_PATTERN.format(i + 1) for i in range(frame_range.first, frame_range.stop(frame_count))]


def cartoonize_file(inp: str | os.PathLike[str], out: str | os.PathLike[str], *,
                    model: str | os.PathLike[str] | None = None, device: str = "auto", tile_size: int = 1024,
                    strength: float = 1.0, temporal: bool = False, temporal_strength: float = 0.6,
                    extra_model_dirs: Sequence[str | os.PathLike[str]] = (), audio: bool = True, crf: int = 18,
                    fps: float | None = None, frame_range: FrameRange | None = None,
                    progress: ProgressFn | None = None, cartoonizer: Cartoonizer | None = None,
                    overlap: bool = True, precision: str = "auto",
                    max_memory_mb: int | None = None) -> CartoonizeResult:
    """Cartoonize a video file, image folder or image into ``out`` (see :mod:`engine.media_output` for formats).

    The output path is checked before any frame is processed; the output appears under its final name only when
    complete. Options are those of :class:`~engine.cartoonize.Cartoonizer`; ``fps`` sets the frame rate of image
    sequence input (default 24); a ready ``cartoonizer`` may be passed instead of the model options.

    ``frame_range`` writes only those frames (PNG folders name them as a whole run would; a video output holds them
    without audio), after running the stabiliser's warm-up frames before them unwritten, so they agree with a whole
    run within one level (:meth:`Cartoonizer.warmup_frames`).

    ``overlap`` decodes ahead and encodes behind the network on threads (:mod:`engine.overlap`; the same output
    bytes); ``False`` runs the stages one after another. ``precision`` is the Cartoonizer's (``"auto"``: the card's
    int8 copy on a CPU when it held its quality and was faster).

    Raises:
        InputError, ModelError, OutputError, SettingsError: with a message naming the file and what to do.
    """
    frames, info = open_frames(inp, fps=fps)
    try:
        first = 0 if frame_range is None else frame_range.first
        names = range_frame_names(frame_range, info.frame_count)
        kind = check_output_path(inp, out, len(names) if names is not None else info.frame_count)
        toon = cartoonizer or Cartoonizer(model, device=device, tile_size=tile_size, strength=strength,
                                          temporal=temporal, temporal_strength=temporal_strength,
                                          extra_model_dirs=extra_model_dirs, precision=precision,
                                          max_memory_mb=max_memory_mb)
        t0 = time.perf_counter()
        warmup = toon.warmup_frames(first)
        total = info.frame_count - first if names is None else len(names)
        if frame_range is not None and audio and info.has_audio and kind == "video":
            log.info("%s: frames %s only: the video is written without audio", info.path, frame_range)
            audio = False
        if first - warmup > 0:  # start there: earlier image files unread, earlier video frames unconverted
            frames.close()
            frames, _ = open_frames(inp, fps=fps, start=first - warmup)
        toon.reset(first - warmup)
        log.info("%s: %d frames %dx%d at %.3f fps -> %s (%s)%s", info.path, info.frame_count, info.width,
                 info.height, info.fps, out, kind,
                 "" if frame_range is None else f", frames {frame_range} after {warmup} warm-up frames")
        done = 0
        with ExitStack() as stages:
            writer = stages.enter_context(open_writer(out, info, audio=audio, crf=crf, frame_names=names))
            source: Iterator[np.ndarray] = frames
            write: Callable[[np.ndarray], None] = writer.write
            if overlap:
                depth = queue_depth(info.width, info.height)
                source = stages.enter_context(ReadAhead(frames, depth))
                write = stages.enter_context(WriteBehind(writer.write, depth)).put
            for index, frame in enumerate(source, start=first - warmup):
                if frame_range is not None and frame_range.last is not None and index > frame_range.last:
                    break
                cartoon = toon.process(frame)
                if index < first:
                    continue
                write(cartoon)
                done += 1
                if progress is not None:
                    progress(done, max(total, done))
            if done == 0:
                raise InputError(f"{info.path}: no frames; nothing to write")
    finally:
        frames.close()
    return CartoonizeResult(input=info, output=Path(out), frames=done, providers=toon.providers, first_frame=first,
                            warmup=warmup, precision=toon.precision, seconds=time.perf_counter() - t0)


@dataclass(frozen=True)
class ColorizeResult:
    """What :func:`colorize_file` did."""

    input: VideoInfo
    output: Path
    frames: int
    providers: list[str]
    keyframes: tuple[int, ...]
    cuts: tuple[int, ...]
    holds: tuple[int, ...]  # frames that repeated the previous output (held drawings)
    first_frame: int = 0  # index of the first frame written (0 unless a frame range was given)
    precision: str = "fp32"  # what the network ran in: "fp32", "fp16" or "int8"
    seconds: float = 0.0  # wall time of the run, model opening excluded


def png_names(names: Sequence[str] | None) -> list[str] | None:
    """Output PNG names for an image-folder input: the input's names with a .png suffix (numbered like it)."""
    if names is None:
        return None
    out = [str(Path(n).with_suffix(".png")) for n in names]
    if len(set(out)) != len(out):
        return None  # e.g. 0001.jpg beside 0001.png: fall back to frame_000001.png, ...
    return out


def colorize_file(lineart: str | os.PathLike[str], out: str | os.PathLike[str],
                  keyframes: Mapping[int, str | os.PathLike[str] | np.ndarray], *,
                  model: str | os.PathLike[str] | None = None, device: str = "auto", max_side: int | None = None,
                  reuse_holds: bool = True, hold_tolerance: float | None = None,
                  extra_model_dirs: Sequence[str | os.PathLike[str]] = (),
                  audio: bool = True, crf: int = 18, fps: float | None = None,
                  frame_range: FrameRange | None = None, progress: ProgressFn | None = None,
                  colorizer: Colorizer | None = None, overlap: bool = True,
                  precision: str = "auto", two_sided: bool = False, fine_alignment: bool = True) -> ColorizeResult:
    """Colour a line-art video or image folder from coloured keyframes into ``out``.

    Args:
        lineart: a video file or a folder of line-art images (dark lines on white), read lazily.
        out: a video file (H.264, the input's frame rate) or a folder of PNGs, named like the input's images
            (``frame_000001.png``, ... for video input); written atomically, never over the input.
        keyframes: line-art frame index (from 0) -> coloured image file or uint8 RGB array.
        model, device, max_side, reuse_holds, hold_tolerance, extra_model_dirs, precision, two_sided,
            fine_alignment: as for
            :class:`~engine.colorize.Colorizer` (or pass a ready ``colorizer``); ``hold_tolerance=None`` picks by
            input (:func:`~engine.lineart.hold_tolerance_for`: looser for a video than for image files).
        audio, crf, fps: as for :func:`cartoonize_file`.
        frame_range: write only these frames, exactly as a whole run colours them (the colour chain is run from
            the keyframe before the range; :meth:`~engine.colorize.Colorizer.colorize`); PNG folders name them as
            a whole run would, a video output holds them without audio.
        progress: called after each frame with (frames done, total).
        overlap: encode behind the network on a thread (the same output bytes); ``False``: one after another.

    Raises:
        InputError, ModelError, OutputError, SettingsError: with a message naming the file (and frame) and what
            to do.
    """
    sequence = FrameSequence(lineart, fps=fps)
    try:
        info = sequence.info
        names = png_names(sequence.file_names) if info.kind == "images" else None
        if frame_range is not None:
            whole = names or range_frame_names(FrameRange(0), info.frame_count)
            names = whole[frame_range.first:frame_range.stop(info.frame_count)]
        kind = check_output_path(lineart, out, len(names) if names else info.frame_count, frame_names=names or ())
        if frame_range is not None and audio and info.has_audio and kind == "video":
            log.info("%s: frames %s only: the video is written without audio", info.path, frame_range)
            audio = False
        colours: dict[int, np.ndarray] = {}
        for index, key in keyframes.items():
            if isinstance(key, np.ndarray):
                colours[index] = key
                continue
            key_path = Path(key)
            if not key_path.is_file():
                raise InputError(f"{key_path}: keyframe {index}: no such image file; check the path")
            try:
                colours[index] = read_image(key_path)
            except InputError as exc:
                raise InputError(f"keyframe {index}: {exc}") from exc
        if hold_tolerance is None:
            hold_tolerance = hold_tolerance_for(video=info.kind == "video")
        col = colorizer or Colorizer(model, device=device, max_side=max_side, reuse_holds=reuse_holds,
                                     hold_tolerance=hold_tolerance, extra_model_dirs=extra_model_dirs,
                                     precision=precision, two_sided=two_sided, fine_alignment=fine_alignment)
        t0 = time.perf_counter()
        # checks the keyframes before any output
        frames = col.colorize(sequence, colours, progress=progress, frame_range=frame_range)
        log.info("%s: %d line-art frames %dx%d, keyframes %s -> %s (%s)", info.path, info.frame_count, info.width,
                 info.height, sorted(colours), out, kind)
        done = 0
        with ExitStack() as stages:
            writer = stages.enter_context(open_writer(out, info, audio=audio, crf=crf, frame_names=names))
            depth = queue_depth(info.width, info.height)
            write = stages.enter_context(WriteBehind(writer.write, depth)).put if overlap else writer.write
            for frame in frames:
                write(frame)
                done += 1
    finally:
        sequence.close()
    return ColorizeResult(input=info, output=Path(out), frames=done, providers=col.providers,
                          keyframes=tuple(sorted(colours)), cuts=tuple(col.cuts),
                          holds=tuple(col.holds), first_frame=0 if frame_range is None else frame_range.first,
                          precision=col.precision, seconds=time.perf_counter() - t0)
