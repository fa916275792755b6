"""Torch dataset of (reference, target) frame pairs for line-art colorization (LCMFTN; docs/METHODS.md, "LCMFTN",
"Training pairs").

Reads the folders written by ``python -m training bootstrap-colorize``::

    <root>/<split>/<sequence>/color/000000.png, <root>/<split>/<sequence>/lineart/<style>/000000.png

Pairs follow the paper: a sliding window (``stride`` 5, ``window`` 40 frames) inside each shot; the reference is
the window's first frame and the target its last (clamped to the shot's last frame for short shots). For
variety some pairs take a random earlier target inside the window, and some swap the two ends (a keyframe may
follow the frame to colour). Earlier targets are drawn log-uniformly over the gap (1 to the window's span), so that
gaps of 1-5 frames, where the reference is almost right and the network must learn to keep it, are not a rarity.
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from engine.reference_alignment import align_reference

from .lineart import StyleParams, vary_style

__all__ = ["ColorizeDataset", "ShotSequence", "list_sequences", "pair_windows"]


@dataclass(frozen=True)
class ShotSequence:
    """One shot on disk: its frame count and the line-art styles it has for every frame."""

    folder: Path
    frames: int
    styles: tuple[str, ...]

    def colour_path(self, index: int) -> Path:
        return self.folder / "color" / f"{index:06d}.png"

    def lineart_path(self, style: str, index: int) -> Path:
        return self.folder / "lineart" / style / f"{index:06d}.png"


def list_sequences(split_dir: Path, styles: Sequence[str] | None = None) -> list[ShotSequence]:
    """Sequences of a split folder with >= 2 frames and at least one wanted style, sorted by name.

    Raises:
        FileNotFoundError: the folder does not exist (the message names the bootstrap command).
        ValueError: a sequence has line art with a different frame count than its colour frames, or no
            sequence qualifies.
    """
    if not split_dir.is_dir():
        raise FileNotFoundError(f"{split_dir} does not exist: run `python -m training bootstrap-colorize` first")
    found = []
    for folder in sorted(p for p in split_dir.iterdir() if p.is_dir()):
        colour_dir = folder / "color"
        frames = len(list(colour_dir.glob("*.png"))) if colour_dir.is_dir() else 0
        if frames < 2:
            continue
        available = []
        for style_dir in sorted((folder / "lineart").glob("*")):
            if style_dir.is_dir() and (styles is None or style_dir.name in styles):
                count = len(list(style_dir.glob("*.png")))
                if count != frames:
                    raise ValueError(f"{style_dir}: {count} line-art frames for {frames} colour frames")
                available.append(style_dir.name)
        if available:
            found.append(ShotSequence(folder, frames, tuple(available)))
    if not found:
        wanted = "any style" if styles is None else f"styles {list(styles)}"
        raise ValueError(f"no sequence under {split_dir} has >= 2 frames with line art in {wanted}")
    return found


def pair_windows(frames: int, window: int, stride: int) -> list[tuple[int, int]]:
    """(first, last) frame of each sliding window of a shot; the last is clamped to the shot's end."""
    if window < 2 or stride < 1:
        raise ValueError(f"window must be >= 2 and stride >= 1, got {window} and {stride}")
    starts = range(0, max(1, frames - window + 1), stride)
    return [(s, min(s + window - 1, frames - 1)) for s in starts]


@lru_cache(maxsize=256)
def _read(path: Path, grey: bool) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot decode image {path}")
    return image if grey else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to (width, height): area averaging down (thin lines stay visible as grey), bilinear up."""
    if size == (image.shape[1], image.shape[0]):
        return image
    interp = cv2.INTER_AREA if size[0] < image.shape[1] else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interp)


class ColorizeDataset(Dataset):
    """Pairs (reference frame, target frame) of one shot, as line art + colour crops.

    Item (dict of float32 tensors in [-1, 1]; line art: white paper = +1, lines = -1):
    ``sketch`` [1, S, S] and ``color`` [3, S, S] of the target frame, ``reference_sketch`` [1, S, S] and
    ``reference_color`` [3, S, S] of the reference frame. Both sketches use the same style and the same random
    line perturbation; all four share one resize (short side = S * uniform(*short_side_range)), crop and flip.
    Item i is deterministic given (seed, i).

    Args:
        root: folder written by ``bootstrap-colorize``.
        split: "train" or "test".
        crop_size: S.
        window, stride: the sliding window (paper: 40 and 5).
        styles: line-art styles to draw from (None: every style a sequence has).
        length: items per epoch; None = one item per window (window i is item i), else windows drawn at random.
        seed: seed of every random choice.
        gap_prob: share of pairs whose target is a random frame inside the window (log-uniform gap) instead of its
            last one.
        short_side_range: the frames' short side after resizing, in crop sizes (drawn uniformly; lower bound >= 1).
        reverse_prob: share of pairs whose reference is the later frame.
        vary_lines: perturb line thickness / threshold / blur (default: on for train, off for test).
        align_references: warp the reference into the target's geometry by DIS flow between the two line arts
            (computed on the resized frames before cropping, as the engine does on whole frames;
            :func:`engine.reference_alignment.align_reference`).
        with_previous: items also carry ``previous_sketch`` [1, S, S] and ``previous_color`` [3, S, S], the frame
            next to the target on the reference's side (the reference itself when the two are adjacent): the
            engine's second reference, the previous coloured frame. Same style, resize, crop and alignment.
    """

    def __init__(self, root: Path, *, split: str = "train", crop_size: int = 256, window: int = 40,
                 stride: int = 5, styles: Sequence[str] | None = None, length: int | None = None, seed: int = 0,
                 gap_prob: float = 0.3, reverse_prob: float = 0.2, vary_lines: bool | None = None,
                 align_references: bool = False, short_side_range: tuple[float, float] = (1.0, 1.5),
                 with_previous: bool = False) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if crop_size < 8:
            raise ValueError(f"crop_size must be >= 8, got {crop_size}")
        for name, p in (("gap_prob", gap_prob), ("reverse_prob", reverse_prob)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {p}")
        if not 1.0 <= short_side_range[0] <= short_side_range[1]:
            raise ValueError(f"short_side_range must be (low, high) with 1 <= low <= high, got {short_side_range}")
        self.sequences = list_sequences(Path(root) / split, None if styles is None else tuple(styles))
        self.windows = [(k, first, last) for k, seq in enumerate(self.sequences)
                        for first, last in pair_windows(seq.frames, window, stride)]
        self.crop_size, self.seed, self.length = crop_size, seed, length
        self.gap_prob, self.reverse_prob = gap_prob, reverse_prob
        self.vary_lines = split == "train" if vary_lines is None else vary_lines
        self.align_references = align_references
        self.short_side_range = short_side_range
        self.with_previous = with_previous

    def __len__(self) -> int:
        return len(self.windows) if self.length is None else self.length

    def pair(self, index: int) -> tuple[ShotSequence, str, int, int, random.Random]:
        """(sequence, style, reference frame, target frame, the item's generator for the rest) of item index."""
        if not 0 <= index < len(self):
            raise IndexError(f"item {index} out of range for {len(self)} items")
        rng = random.Random(self.seed * 1_000_003 + index)
        k, first, last = self.windows[index] if self.length is None else rng.choice(self.windows)
        sequence = self.sequences[k]
        style = rng.choice(sequence.styles)
        reference, target = first, last
        if rng.random() < self.gap_prob and last - first > 1:
            target = first + min(last - first, int(math.exp(rng.uniform(0.0, math.log(last - first + 1)))))
        if rng.random() < self.reverse_prob:
            reference, target = target, reference
        return sequence, style, reference, target, rng

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        sequence, style, reference, target, rng = self.pair(index)
        frames = [target, reference]
        if self.with_previous:
            frames.append(target - 1 if reference < target else target + 1)
        # On adjacent pairs the previous frame is the reference: read, perturb and align it once.
        distinct = list(dict.fromkeys(frames))
        colours = [_read(sequence.colour_path(i), False) for i in distinct]
        sketches = [_read(sequence.lineart_path(style, i), True) for i in distinct]
        for image in colours[1:] + sketches:
            if image.shape[:2] != colours[0].shape[:2]:
                raise ValueError(f"{sequence.folder}: frames {', '.join(map(str, distinct))} differ in size or "
                                 f"style {style} does not match the colour frames")
        if self.vary_lines:
            line_style = StyleParams.random(rng)
            sketches = [vary_style(s, line_style) for s in sketches]
        size = self.crop_size
        height, width = colours[0].shape[:2]
        scale = size * rng.uniform(*self.short_side_range) / min(height, width)
        new_size = (max(size, round(width * scale)), max(size, round(height * scale)))
        top, left = rng.randint(0, new_size[1] - size), rng.randint(0, new_size[0] - size)
        flip = rng.random() < 0.5

        colours = [_resize(c, new_size) for c in colours]
        sketches = [_resize(s, new_size) for s in sketches]
        if self.align_references:
            for j in range(1, len(distinct)):
                sketches[j], colours[j] = align_reference(sketches[0], sketches[j], colours[j])

        def crop(image: np.ndarray) -> torch.Tensor:
            out = image[top : top + size, left : left + size]
            if flip:
                out = out[:, ::-1]
            out = out[:, :, None] if out.ndim == 2 else out
            return torch.from_numpy(np.ascontiguousarray(out)).permute(2, 0, 1).float() / 127.5 - 1.0

        slot = [distinct.index(i) for i in frames]
        item = {"sketch": crop(sketches[0]), "color": crop(colours[0]),
                "reference_sketch": crop(sketches[slot[1]]), "reference_color": crop(colours[slot[1]])}
        if self.with_previous:
            item["previous_sketch"], item["previous_color"] = crop(sketches[slot[2]]), crop(colours[slot[2]])
        return item
