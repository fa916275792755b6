"""Network inputs for int8 calibration and for measuring what int8 costs, built from the training folders.

Calibration and measurement must see what the engine feeds the network, so the inputs are built with the engine's
own pieces: cartoonize photos go through ``engine.frames.to_network`` and reflection padding to the size multiple;
colorize pairs are shrunk to the card's ``max_side``, their references aligned by ``engine.reference_alignment``
when the card asks for it, and padded, as ``engine.colorize.Colorizer`` does. Calibration reads the ``train``
split and the measurement the held-out ``test`` split, so the quality numbers come from frames that neither
training nor calibration saw.

Layouts: ``data/cartoonize/photos/{train,test}/*.png`` (``python -m training bootstrap``) and
``data/colorize/{train,test}/<shot>/{color,lineart/<style>}/%06d.png`` (``python -m training bootstrap-colorize``).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from engine.frames import to_network
from engine.models import ModelCard
from engine.reference_alignment import align_reference
from engine.tiling import pad_to_multiple

from .data.cartoonize.folders import clip_folders

__all__ = ["Sample", "samples", "split_files", "clip_runs", "cartoonize_feeds", "COLORIZE_STYLE", "CALIBRATION_CROP"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: line-art style of the colorize samples: the extractor every colorize source has (the benchmark's default)
COLORIZE_STYLE = "xdog"
#: side of the square crop every calibration sample is cut to: the histogram calibrators (entropy, percentile)
#: need inputs of one shape, and a crop of a frame still holds its statistics
CALIBRATION_CROP = 192
#: reference intervals of the colorize samples (frames between reference and target): near and far matches
COLORIZE_INTERVALS = (1, 5, 10)
#: colorize targets per shot and interval
COLORIZE_TARGETS_PER_SHOT = 2


@dataclass(frozen=True)
class Sample:
    """One network input: ``feeds`` (graph input name -> float32 NCHW, padded), a ``label`` naming its frames,
    ``size`` (height, width) before padding, and for colorize the true colour at that size (uint8 RGB, ``None``
    for cartoonize) to score against and the reference interval (frames between the keyframe and the target)."""

    label: str
    feeds: dict[str, np.ndarray]
    size: tuple[int, int]
    truth: np.ndarray | None = None
    interval: int = 0


def _read_rgb(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"{path}: not a readable image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _read_gray(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise ValueError(f"{path}: not a readable image")
    return img


def _evenly(items: Sequence[T], count: int) -> list[T]:
    """``count`` items spread evenly over ``items`` (all when ``count`` <= 0 or there are fewer)."""
    if count <= 0 or len(items) <= count:
        return list(items)
    return [items[round(i)] for i in np.linspace(0, len(items) - 1, count)]


def split_files(data: Path, task: str, split: str) -> list[Path]:
    """The photos (cartoonize) or shot folders (colorize) of a split, sorted.

    Raises:
        FileNotFoundError: the split is missing or empty (names the bootstrap command that builds it).
    """
    if task == "cartoonize":
        folder, build = data / "photos" / split, "python -m training bootstrap --out DATA"
        found = sorted(folder.glob("*.png"))
    else:
        folder, build = data / split, "python -m training bootstrap-colorize --out DATA"
        found = sorted(p for p in folder.glob("*") if (p / "lineart" / COLORIZE_STYLE).is_dir())
    if not found:
        raise FileNotFoundError(f"{folder}: no {task} {split} data; build it with `{build}`")
    return found


def _pad(nchw: np.ndarray, multiple: int) -> np.ndarray:
    n, c, h, w = nchw.shape
    padded, _ = pad_to_multiple(nchw.reshape(n * c, h, w), multiple)
    return padded.reshape(n, c, padded.shape[1], padded.shape[2])


def cartoonize_feeds(card: ModelCard, rgb: np.ndarray) -> dict[str, np.ndarray]:
    """A cartoonizer's network input for one uint8 RGB frame, padded to the size multiple as the engine pads it."""
    return {card.input_name: _pad(to_network(rgb)[None], card.size_multiple)}


def _cartoonize_samples(card: ModelCard, photos: Sequence[Path]) -> Iterator[Sample]:
    for path in photos:
        rgb = _read_rgb(path)
        yield Sample(path.name, cartoonize_feeds(card, rgb), rgb.shape[:2])


def clip_runs(data: Path, split: str, frames: int) -> list[tuple[str, list[np.ndarray]]]:
    """(clip name, its first ``frames`` consecutive uint8 RGB frames) for every clip of ``data/videos/<split>``:
    what flicker is measured on (calibration reads photos only, so these frames are new to the int8 copy).

    Raises:
        FileNotFoundError: no clip with at least two frames (names the bootstrap command that builds them).
    """
    runs = []
    for clip in clip_folders(data, split):
        files = sorted(clip.glob("*.png"))[:frames]
        if len(files) >= 2:
            runs.append((clip.name, [_read_rgb(f) for f in files]))
    if not runs:
        raise FileNotFoundError(f"{data / 'videos' / split}: no clip of two or more frames to measure flicker on; "
                                "build it with `python -m training bootstrap --out DATA`")
    return runs


def _network_size(card: ModelCard, h: int, w: int) -> tuple[int, int]:
    """The size the engine colours an ``h`` x ``w`` frame at (``Colorizer.network_size`` with the card's cap)."""
    if not card.max_side or max(h, w) <= card.max_side:
        return h, w
    scale = card.max_side / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def _small(img: np.ndarray, h: int, w: int) -> np.ndarray:
    return img if img.shape[:2] == (h, w) else cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


def _sketch(gray: np.ndarray) -> np.ndarray:
    return gray.astype(np.float32)[None] * (2.0 / 255.0) - 1.0


def _colorize_sample(card: ModelCard, shot: Path, target: int, references: Sequence[int]) -> Sample:
    lines = sorted((shot / "lineart" / COLORIZE_STYLE).glob("*.png"))
    colours = sorted((shot / "color").glob("*.png"))
    gray = _read_gray(lines[target])
    h, w = _network_size(card, *gray.shape)
    gray = _small(gray, h, w)
    refs = [(_small(_read_gray(lines[r]), h, w), _small(_read_rgb(colours[r]), h, w)) for r in references]
    if card.reference_alignment == "dis":
        refs = [align_reference(gray, ref_gray, ref_rgb) for ref_gray, ref_rgb in refs]
    feeds = {
        "sketch": _pad(_sketch(gray)[None], card.size_multiple),
        "reference_sketch": _pad(np.stack([_sketch(g) for g, _ in refs]), card.size_multiple),
        "reference_color": _pad(np.stack([to_network(c) for _, c in refs]), card.size_multiple),
    }
    label = f"{shot.name}:{target}<-{','.join(str(r) for r in references)}"
    return Sample(label, feeds, (h, w), truth=_small(_read_rgb(colours[target]), h, w), interval=target - references[0])


def _colorize_pairs(shots: Sequence[Path], two_references: bool) -> list[tuple[Path, int, list[int]]]:
    """(shot, target, references) candidates: per shot and interval d, :data:`COLORIZE_TARGETS_PER_SHOT` targets
    t spread over the shot with reference t - d (the keyframe); with ``two_references`` frame t - 1 is the second
    reference (the engine's previous output), on every pair: the histogram calibrators need one shape, and two
    references is what the engine feeds most frames."""
    pairs = []
    for shot in shots:
        length = len(list((shot / "color").glob("*.png")))
        for d in COLORIZE_INTERVALS:
            if length <= d:
                continue
            for t in sorted({round(v) for v in np.linspace(d, length - 1, COLORIZE_TARGETS_PER_SHOT)}):
                pairs.append((shot, t, [t - d, t - 1] if two_references else [t - d]))
    return pairs


def _center_crop(sample: Sample, side: int) -> Sample:
    """``sample`` cut to ``side`` x ``side`` around its centre (reflection-padded first where it is smaller)."""
    h, w = sample.size
    top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
    feeds = {}
    for name, x in sample.feeds.items():
        x = x[:, :, :h, :w]
        grow = ((0, 0), (0, 0), (0, max(0, side - h)), (0, max(0, side - w)))
        feeds[name] = np.ascontiguousarray(np.pad(x, grow, mode="reflect")[:, :, top:top + side, left:left + side])
    return Sample(sample.label, feeds, (side, side), None, sample.interval)


def samples(card: ModelCard, data: Path, split: str, limit: int, crop: int = 0) -> Iterator[Sample]:
    """``limit`` network inputs (all when ``limit`` <= 0) spread evenly over ``split`` of ``data``, built lazily.

    Cartoonize: one per photo. Colorize: one per (shot, interval, target) of :func:`_colorize_pairs`, with two
    references on the ``train`` split (calibration) and one on the ``test`` split (the benchmark's protocol).
    ``crop`` > 0: every sample cut to that square (rounded up to the size multiple), without its truth
    (calibration).
    """
    if card.task == "cartoonize":
        found = _cartoonize_samples(card, _evenly(split_files(data, card.task, split), limit))
    else:
        pairs = _colorize_pairs(split_files(data, card.task, split), two_references=split == "train")
        found = (_colorize_sample(card, shot, t, refs) for shot, t, refs in _evenly(pairs, limit))
    if crop <= 0:
        return found
    side = crop + (-crop) % card.size_multiple
    return (_center_crop(sample, side) for sample in found)
