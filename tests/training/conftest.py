"""A tiny dataset folder in the bootstrap layout, made of real structured images (not noise)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest


def _scene(seed: int, size: int = 48, shift: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.full((size, size, 3), rng.integers(0, 255, 3), np.uint8)
    for _ in range(4):
        x, y = rng.integers(0, size, 2)
        cv2.circle(image, (int(x) + shift, int(y)), int(rng.integers(4, 12)), rng.integers(0, 255, 3).tolist(), -1)
    return cv2.GaussianBlur(image, (3, 3), 0)


@pytest.fixture(scope="session")
def cartoon_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cartoonize")
    for split in ("train", "test"):
        for kind in ("photos", "cartoons"):
            folder = root / kind / split
            folder.mkdir(parents=True)
            for index in range(6):
                cv2.imwrite(str(folder / f"{index:03d}.png"), _scene(index + (100 if kind == "cartoons" else 0)))
        clip = root / "videos" / split / "clip0"
        clip.mkdir(parents=True)
        for frame in range(4):
            cv2.imwrite(str(clip / f"{frame:06d}.png"), _scene(7, shift=2 * frame))
    return root
