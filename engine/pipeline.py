"""File to file: read an input, cartoonize every frame in order, write the output atomically."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .cartoonize import Cartoonizer
from .errors import InputError
from .video import VideoInfo, check_output_path, open_frames, open_writer

__all__ = ["CartoonizeResult", "cartoonize_file"]

log = logging.getLogger(__name__)

#: called after each frame with (frames done, total frames announced by the input)
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class CartoonizeResult:
    """What :func:`cartoonize_file` did."""

    input: VideoInfo
    output: Path
    frames: int
    providers: list[str]


def cartoonize_file(inp: str | os.PathLike[str], out: str | os.PathLike[str], *,
                    model: str | os.PathLike[str] | None = None, device: str = "auto", tile_size: int = 1024,
                    strength: float = 1.0, temporal: bool = False, temporal_strength: float = 0.6,
                    extra_model_dirs: Sequence[str | os.PathLike[str]] = (), audio: bool = True, crf: int = 18,
                    fps: float | None = None, progress: ProgressFn | None = None,
                    cartoonizer: Cartoonizer | None = None) -> CartoonizeResult:
    """Cartoonize a video file, image folder or image into ``out`` (see :mod:`engine.video` for formats).

    The output path is checked before any frame is processed; the output appears under its final name only when
    complete. Options are those of :class:`~engine.cartoonize.Cartoonizer`; ``fps`` sets the frame rate of image
    sequence input (default 24); a ready ``cartoonizer`` may be passed instead of the model options.

    Raises:
        InputError, ModelError, OutputError, SettingsError: with a message naming the file and what to do.
    """
    frames, info = open_frames(inp, fps=fps)
    try:
        kind = check_output_path(inp, out, info.frame_count)
        toon = cartoonizer or Cartoonizer(model, device=device, tile_size=tile_size, strength=strength,
                                          temporal=temporal, temporal_strength=temporal_strength,
                                          extra_model_dirs=extra_model_dirs)
        toon.reset()
        log.info("%s: %d frames %dx%d at %.3f fps -> %s (%s)", info.path, info.frame_count, info.width,
                 info.height, info.fps, out, kind)
        done = 0
        with open_writer(out, info, audio=audio, crf=crf) as writer:
            for frame in frames:
                writer.write(toon.process(frame))
                done += 1
                if progress is not None:
                    progress(done, info.frame_count)
            if done == 0:
                raise InputError(f"{info.path}: no frames; nothing to write")
    finally:
        frames.close()
    return CartoonizeResult(input=info, output=Path(out), frames=done, providers=toon.providers)
