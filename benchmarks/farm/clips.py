"""The benchmark's inputs: the sample clip scaled to 1280x720, and a drawn line-art clip with coloured keyframes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engine import open_frames
from engine.image_files import ImageSequenceWriter

__all__ = ["scaled_clip", "lineart_clip"]


def scaled_clip(source: Path, folder: Path, size: tuple[int, int], frames: int) -> Path:
    """The first ``frames`` frames of ``source`` resized to ``size`` (w, h), as a PNG folder (lossless input)."""
    it, _ = open_frames(source)
    with ImageSequenceWriter(folder) as writer:
        for _, frame in zip(range(frames), it):
            writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_CUBIC))
    it.close()
    return folder


def _drawing(t: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Line art (gray) and colour of frame ``t``: a ball crossing a room with a window, a box swaying."""
    line = np.full((h, w), 255, np.uint8)
    colour = np.empty((h, w, 3), np.uint8)
    colour[:] = (232, 220, 186)
    floor = int(h * 0.72)
    cv2.rectangle(colour, (0, floor), (w, h), (150, 110, 80), -1)
    cv2.line(line, (0, floor), (w, floor), 0, 2)
    win = (w // 8, h // 8, w // 8 + w // 4, h // 8 + h // 4)
    cv2.rectangle(colour, win[:2], win[2:], (120, 180, 235), -1)
    cv2.rectangle(line, win[:2], win[2:], 0, 2)
    bx = int(w * 0.6 + 20 * np.sin(t / 6.0))
    box = (bx, floor - h // 4, bx + w // 6, floor)
    cv2.rectangle(colour, box[:2], box[2:], (60, 140, 70), -1)
    cv2.rectangle(line, box[:2], box[2:], 0, 2)
    r = h // 10
    centre = (int(r + 4 + (w - 2 * r - 8) * t / 60.0) % w, floor - r - int(40 * abs(np.sin(t / 5.0))))
    cv2.circle(colour, centre, r, (210, 50, 40), -1)
    cv2.circle(line, centre, r, 255, -1)
    cv2.circle(line, centre, r, 0, 2)
    return line, colour


def lineart_clip(folder: Path, n: int, size: tuple[int, int], keys: list[int]) -> tuple[Path, dict[int, Path]]:
    """``n`` line-art frames in ``folder``/lines and the coloured keyframes ``keys`` beside them."""
    w, h = size
    lines = folder / "lines"
    lines.mkdir(parents=True, exist_ok=True)
    key_files: dict[int, Path] = {}
    for t in range(n):
        line, colour = _drawing(t, h, w)
        cv2.imwrite(str(lines / f"line_{t:04d}.png"), line)
        if t in keys:
            key_files[t] = folder / f"key_{t:04d}.png"
            cv2.imwrite(str(key_files[t]), cv2.cvtColor(colour, cv2.COLOR_RGB2BGR))
    return lines, key_files
