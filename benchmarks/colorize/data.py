"""Held-out colorization sequences (data/colorize/test, layout in the colorize contract), read lazily.

A sequence is one shot: `color/%06d.png` (RGB) and `lineart/<style>/%06d.png` (gray, dark lines on white). Frames
are read only when a pair needs them and kept for the run; frames larger than `max_side` are shrunk (aspect kept,
INTER_AREA), never enlarged, so every method sees the same pixels.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

__all__ = ["TestSequence", "available_styles", "choose_style", "load_sequences", "pair_starts", "read_manifest"]

log = logging.getLogger(__name__)

#: preferred line-art style when none is asked for: the drawn ("true") line art where a source has it
STYLE_PREFERENCE = ("true", "xdog", "hed")


def _frame_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.png") if not p.name.startswith("."))


def _read(path: Path, flag: int) -> np.ndarray:
    img = cv2.imread(str(path), flag)
    if img is None:
        raise ValueError(f"{path}: not a readable image")
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _shrink(img: np.ndarray, max_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    scale = max_side / max(h, w)
    if max_side <= 0 or scale >= 1.0:
        return img
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


@dataclass
class TestSequence:
    """One held-out shot: frame files of colour and of one line-art style (loaded on first use)."""

    name: str
    color_files: list[Path]
    lineart_files: list[Path]
    max_side: int
    _cache: dict[tuple[str, int], np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.color_files)

    def color(self, index: int) -> np.ndarray:
        """uint8 RGB ``(H, W, 3)`` of frame ``index``."""
        key = ("c", index)
        if key not in self._cache:
            self._cache[key] = _shrink(_read(self.color_files[index], cv2.IMREAD_COLOR), self.max_side)
        return self._cache[key]

    def lineart(self, index: int) -> np.ndarray:
        """uint8 gray ``(H, W)`` line art of frame ``index`` (255 = paper)."""
        key = ("l", index)
        if key not in self._cache:
            self._cache[key] = _shrink(_read(self.lineart_files[index], cv2.IMREAD_GRAYSCALE), self.max_side)
        return self._cache[key]


def available_styles(root: Path, split: str = "test") -> list[str]:
    """Line-art styles present in every sequence of the split."""
    common: set[str] | None = None
    for seq in sorted((root / split).iterdir()):
        if (seq / "lineart").is_dir():
            styles = {p.name for p in (seq / "lineart").iterdir() if p.is_dir()}
            common = styles if common is None else common & styles
    return sorted(common or ())


def choose_style(root: Path, requested: str | None, split: str = "test") -> str:
    """``requested`` if present in every sequence, else the first of STYLE_PREFERENCE that is."""
    styles = available_styles(root, split)
    if not styles:
        raise ValueError(f"{root / split}: no sequences with line art found (see the colorize contract layout)")
    if requested:
        if requested not in styles:
            raise ValueError(f"line-art style {requested!r} is not in every test sequence (have: {styles})")
        return requested
    return next((s for s in STYLE_PREFERENCE if s in styles), styles[0])


def load_sequences(root: Path, style: str, *, max_side: int, max_sequences: int = 0, split: str = "test"
                   ) -> list[TestSequence]:
    """The split's sequences (sorted by name, at most ``max_sequences`` when > 0) with frames of both kinds."""
    out: list[TestSequence] = []
    for folder in sorted(p for p in (root / split).iterdir() if p.is_dir()):
        colour = _frame_files(folder / "color")
        lines = _frame_files(folder / "lineart" / style)
        if not colour or len(colour) != len(lines):
            log.warning("%s: %d colour and %d %s line-art frames; skipped", folder, len(colour), len(lines), style)
            continue
        out.append(TestSequence(folder.name, colour, lines, max_side))
        if max_sequences and len(out) >= max_sequences:
            break
    return out


def pair_starts(length: int, interval: int, max_pairs: int) -> list[int]:
    """Reference frames s (evenly spread, at most ``max_pairs``) with s + interval inside a sequence of ``length``."""
    last = length - 1 - interval
    if last < 0:
        return []
    count = min(max_pairs, last + 1)
    return sorted({round(v) for v in np.linspace(0, last, count)})


def read_manifest(root: Path) -> dict:
    """data/colorize/manifest.json (empty dict when absent)."""
    path = root / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
