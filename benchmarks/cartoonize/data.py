"""Held-out benchmark data from the bootstrap folder (`data/cartoonize`, built by `training/data`).

Layout: `photos/test/*.png|jpg`, `cartoons/test/*`, `videos/test/<clip>/%06d.png`. Frames and images are read as
uint8 RGB; clips wider than a maximum width are shrunk to it (height keeps the aspect ratio, both rounded to a
multiple of 4), and narrower ones are enlarged to it only when asked.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = [
    "Clip",
    "IMAGE_SUFFIXES",
    "read_rgb",
    "resize_to_width",
    "load_clips",
    "load_images",
    "clip_frame_files",
    "load_photo_set",
]

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


@dataclass(frozen=True)
class Clip:
    """A held-out video clip: its folder name and its (resized) uint8 RGB frames."""

    name: str
    frames: list[np.ndarray]


def read_rgb(path: Path) -> np.ndarray:
    """Read an image file as uint8 RGB (alpha dropped, 16-bit scaled, gray expanded)."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"{path}: not a readable image")
    if image.dtype == np.uint16:
        image = (image // 257).astype(np.uint8)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = image[..., :3]
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def resize_to_width(image: np.ndarray, width: int, *, multiple: int = 4, upscale: bool = True) -> np.ndarray:
    """Resize to `width` (rounded to `multiple`) keeping the aspect ratio, height rounded to `multiple`.

    With `upscale=False` a narrower image keeps its width (only rounded to `multiple`).
    """
    h, w = image.shape[:2]
    if not upscale:
        width = min(width, w)
    new_w = max(multiple, round(width / multiple) * multiple)
    new_h = max(multiple, round(h * new_w / w / multiple) * multiple)
    if (new_h, new_w) == (h, w):
        return image
    interp = cv2.INTER_AREA if new_w < w else cv2.INTER_LINEAR
    return cv2.resize(image, (new_w, new_h), interpolation=interp)


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _evenly(items: list[Path], count: int) -> list[Path]:
    if count <= 0 or len(items) <= count:
        return items
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[i] for i in picks]


def load_clips(folder: Path, *, max_clips: int, max_frames: int, width: int, min_frames: int = 3,
               upscale: bool = False) -> list[Clip]:
    """The first `max_clips` clips (by name) with at least `min_frames` frames, `max_frames` frames each.

    Frames wider than `width` are shrunk to it; narrower ones keep their size unless `upscale` (bilinear) is set:
    upscaling adds pixels to process but no information, so only a benchmark that must compare looks at one scale
    asks for it.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no held-out clip folder; build the data with the training bootstrap")
    clips = []
    for clip_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = _image_files(clip_dir)[:max_frames]
        if len(files) < min_frames:
            log.warning("clip %s has %d frames (< %d); skipped", clip_dir.name, len(files), min_frames)
            continue
        clips.append(Clip(clip_dir.name, [resize_to_width(read_rgb(f), width, upscale=upscale) for f in files]))
        if len(clips) == max_clips:
            break
    if not clips:
        raise FileNotFoundError(f"{folder}: no clip with at least {min_frames} frames")
    return clips


def _read_images(files: list[Path], max_side: int) -> list[np.ndarray]:
    images = []
    for path in files:
        image = read_rgb(path)
        h, w = image.shape[:2]
        scale = min(1.0, max_side / max(h, w))
        new_h, new_w = max(4, int(h * scale) // 4 * 4), max(4, int(w * scale) // 4 * 4)
        if (new_h, new_w) != (h, w):
            image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
        images.append(image)
    return images


def load_images(folder: Path, *, max_count: int, max_side: int) -> list[np.ndarray]:
    """Up to `max_count` images spread evenly over the sorted folder, shrunk so the longer side is <= `max_side`.

    Sides are rounded down to multiples of 4 (by a small resize) so every method sees the same pixels.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: image folder missing; build the data with the training bootstrap")
    files = _evenly(_image_files(folder), max_count)
    if not files:
        raise FileNotFoundError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return _read_images(files, max_side)


def clip_frame_files(folder: Path, stride: int) -> list[Path]:
    """Every `stride`-th frame of every clip under `folder` (held-out footage used as extra test photos)."""
    if stride <= 0 or not folder.is_dir():
        return []
    return [f for clip in sorted(p for p in folder.iterdir() if p.is_dir()) for f in _image_files(clip)[::stride]]


def load_photo_set(
    photo_folder: Path, clip_folder: Path, *, max_count: int, max_side: int, frame_stride: int
) -> tuple[list[np.ndarray], str]:
    """The held-out photo set: `photos/test` plus every `frame_stride`-th frame of the held-out clips.

    The photo test split of the bootstrap is small (10 % of a few dozen photos); frames of held-out clips are real
    footage never seen in training, so they fill the set up to `max_count` (photos first, frames evenly spread).
    Returns the images and a one-line description of the composition.
    """
    photos = _image_files(photo_folder) if photo_folder.is_dir() else []
    photos = _evenly(photos, max_count)
    frames = _evenly(clip_frame_files(clip_folder, frame_stride), max_count - len(photos))
    if len(photos) + len(frames) < 2:
        raise FileNotFoundError(f"{photo_folder} and {clip_folder}: fewer than 2 held-out photos / frames")
    description = (f"{len(photos)} held-out photos ({photo_folder.name} split) + {len(frames)} frames of held-out "
                   f"clips (1 in {frame_stride} frames, spread evenly)") if frames else f"{len(photos)} held-out photos"
    return _read_images(photos + frames, max_side), description
