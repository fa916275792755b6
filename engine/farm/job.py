"""What a farm job does: the task, its input and settings; and the key that names each finished chunk.

A job is sent to every worker (pickled), so it holds plain paths and values only; each worker opens the model
itself, once per process (:mod:`engine.farm.worker`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import InputError
from ..image_files import list_images
from ..models import resolve_model

__all__ = ["CartoonizeSettings", "ColorizeSettings", "FarmJob"]

#: bump when a chunk's frames would change for the same input and settings (the key then misses old chunks)
CHUNK_FORMAT = 1


@dataclass(frozen=True)
class CartoonizeSettings:
    """The options of ``toonflow cartoonize`` (see :class:`engine.Cartoonizer`)."""

    model: str | None = None  # model name or .onnx path; None: the default model
    device: str = "auto"  # "auto" (GPU when present), "cpu" or "gpu"
    tile_size: int = 1024  # frames with a longer side are processed in tiles (0: never)
    strength: float = 1.0  # 1 = full cartoon, 0 = source
    temporal: bool = False  # the temporal stabiliser
    temporal_strength: float = 0.6  # its blend strength
    precision: str = "auto"  # "auto", "fp32" or "int8" (see engine.Cartoonizer)
    max_memory_mb: int | None = None  # smaller tiles to keep a frame under this many MB on each worker

    task = "cartoonize"


@dataclass(frozen=True)
class ColorizeSettings:
    """The options of ``toonflow colorize`` (see :class:`engine.Colorizer`)."""

    keyframes: tuple[tuple[int, str], ...]  # (line-art frame index, coloured image path), on storage workers see
    model: str | None = None  # model name or .onnx path; None: the default model
    device: str = "auto"
    max_side: int | None = None  # None: the model card's
    reuse_holds: bool = True  # held drawings repeat the previous output
    hold_tolerance: float | None = None  # None: by input kind (video or images)
    precision: str = "auto"  # "auto", "fp32" or "int8" (see engine.Colorizer)
    two_sided: bool = False  # frames between two keyframes coloured from both (see engine.Colorizer)
    fine_alignment: bool = True  # the keyframe also aligned by flow on the unblurred lines (see engine.Colorizer)

    task = "colorize"


@dataclass(frozen=True)
class FarmJob:
    """One input processed with one set of settings.

    Attributes:
        input: the video file or image folder, at a path every worker can read.
        settings: what to do with it.
        fps: frame rate of image-sequence input (None: 24).
        model_dirs: extra model folders (paths on the workers).
    """

    input: Path
    settings: CartoonizeSettings | ColorizeSettings
    fps: float | None = None
    model_dirs: tuple[str, ...] = field(default=())

    @property
    def task(self) -> str:
        return self.settings.task

    def keyframe_indices(self) -> list[int]:
        """The keyframes' frame indices (none for cartoonize)."""
        if isinstance(self.settings, ColorizeSettings):
            return sorted(index for index, _ in self.settings.keyframes)
        return []

    def fingerprint(self) -> str:
        """What the job's frames depend on, hashed: the input's and keyframes' files (path, size, modification
        time), the settings and the model file's hash. Chunks are stored under it, so a rerun finds the chunks of
        an interrupted run and a changed input or setting never reuses them.

        Raises:
            InputError: the input or a keyframe file is missing.
            ModelError: the model cannot be found.
        """
        card = resolve_model(self.settings.model, self.task, self.model_dirs)
        files = [self.input]
        if self.input.is_dir():
            files += list_images(self.input)
        if isinstance(self.settings, ColorizeSettings):
            files += [Path(path) for _, path in self.settings.keyframes]
        stamps = []
        for path in files:
            try:
                stat = path.stat()
            except OSError as exc:
                raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
            stamps.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
        identity = {"format": CHUNK_FORMAT, "task": self.task, "files": stamps, "fps": self.fps,
                    "settings": asdict(self.settings), "model": card.sha256}
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]
