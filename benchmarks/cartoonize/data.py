"""Held-out benchmark data from the bootstrap folder (`data/cartoonize`, built by `training/data`).

Layout: `photos/test/*.png|jpg`, `cartoons/test/*`, `videos/test/<clip>/%06d.png`. Frames and images are read as
uint8 RGB; clips are resized to a fixed width (height keeps the aspect ratio, rounded to a multiple of 4).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["Clip", "IMAGE_SUFFIXES", "read_rgb", "resize_to_width", "load_clips", "load_images"]

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


def resize_to_width(image: np.ndarray, width: int, *, multiple: int = 4) -> np.ndarray:
    """Resize to `width` (rounded to `multiple`) keeping the aspect ratio, height rounded to `multiple`."""
    h, w = image.shape[:2]
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


def load_clips(folder: Path, *, max_clips: int, max_frames: int, width: int, min_frames: int = 3) -> list[Clip]:
    """The first `max_clips` clips (by name) with at least `min_frames` frames, `max_frames` frames each."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no held-out clip folder; build the data with the training bootstrap")
    clips = []
    for clip_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = _image_files(clip_dir)[:max_frames]
        if len(files) < min_frames:
            log.warning("clip %s has %d frames (< %d); skipped", clip_dir.name, len(files), min_frames)
            continue
        clips.append(Clip(clip_dir.name, [resize_to_width(read_rgb(f), width) for f in files]))
        if len(clips) == max_clips:
            break
    if not clips:
        raise FileNotFoundError(f"{folder}: no clip with at least {min_frames} frames")
    return clips


def load_images(folder: Path, *, max_count: int, max_side: int) -> list[np.ndarray]:
    """Up to `max_count` images spread evenly over the sorted folder, shrunk so the longer side is <= `max_side`.

    Sides are rounded down to multiples of 4 (by a small resize) so every method sees the same pixels.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: image folder missing; build the data with the training bootstrap")
    files = _evenly(_image_files(folder), max_count)
    if not files:
        raise FileNotFoundError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
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
