"""The colorize data's train/test split: whole sequences are held out, and no frame of a test sequence is in train.

A shot (real video or an animated synfig range) gives a benchmark-length test segment at its head or tail and a
train segment ``gap`` frames away; an animated synfig scene holds out one of its long-enough ranges; synthetic
camera shots go to test by a hash (docs/TRAINING_DATA_COLORIZE.md, "Split").
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ..splits import split_of

__all__ = ["SPLIT_RULE", "shot_segments", "held_out_range", "synthetic_split"]

#: The rule in words (recorded in the manifest).
SPLIT_RULE = ("a shot (real video or animated synfig range) gives a test segment of test_frames frames at "
              "its head or tail (sha1 of seed:shot id) and a train segment gap frames away; animated synfig "
              "scenes: one range of >= test_frames frames per scene is test (sha1 pick); synthetic camera shots: "
              "sha1(f'{seed}:{part}/{id}') < test_fraction -> test")


def shot_segments(shot_id: str, length: int, *, test_frames: int, gap: int, seed: int) -> list[tuple[str, int, int]]:
    """(split, first, end) segments of a shot: one test segment at its head or tail, the rest train."""
    if length < test_frames + gap + test_frames:  # too short to share: the whole shot goes one way
        return [(split_of(shot_id, seed, 0.5), 0, length)]
    head = split_of(shot_id, seed, 0.5) == "test"
    if head:
        return [("test", 0, test_frames), ("train", test_frames + gap, length)]
    return [("train", 0, length - test_frames - gap), ("test", length - test_frames, length)]


def held_out_range(scene: str, ranges: Sequence[tuple[int, int]], *, test_frames: int, seed: int) -> tuple[int, int]:
    """The (first, last) frame range of an animated scene that is held out: a hash pick among those of
    >= ``test_frames`` frames."""
    long_enough = [r for r in ranges if r[1] - r[0] + 1 >= test_frames]
    pick = int(hashlib.sha1(f"{seed}:synfig/{scene}".encode()).hexdigest(), 16) % len(long_enough)
    return long_enough[pick]


def synthetic_split(part: str, sequence: str, *, seed: int, test_fraction: float) -> str:
    """Split of a synthetic camera shot: "test" for about ``test_fraction`` of them."""
    return split_of(f"{part}/{sequence}", seed, test_fraction)
