"""Torch dataset over the folders written by `bootstrap` (photos, cartoons, video clips), and the image reading
helpers the distillation dataset and scoring share with it."""
from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..media import resize_short_side
from .affine import random_affine_matrices, warp_affine
from .edge_smooth import edge_smooth
from .folders import clip_folders

__all__ = ["CartoonizeDataset", "list_images", "read_rgb_cached", "to_tensor", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
# Clip-art sits on white paper: crops that are mostly background teach the discriminators that "white is
# cartoon", and the generator then collapses to a saturated white frame. Cartoon crops are redrawn (a few times)
# until at most this share of their pixels is near-white.
_MAX_BACKGROUND_SHARE = 0.5
_CARTOON_CROP_TRIES = 8


def list_images(folder: Path) -> list[Path]:
    """Sorted image files of a folder; a clear error when it is missing or empty."""
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset folder {folder} does not exist: run `python -m training bootstrap` first")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"dataset folder {folder} holds no images")
    return files


@lru_cache(maxsize=512)
def read_rgb_cached(path: Path) -> np.ndarray:
    """uint8 RGB of a dataset image, cached: the same files are cropped again and again."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot decode image {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """H x W x 3 uint8 -> [3, H, W] float32 in [-1, 1], the range every network here takes."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float() / 127.5 - 1.0


class CartoonizeDataset(Dataset):
    """Unpaired photo / cartoon crops, with the photo's next frame for the PMC loss.

    Item: dict of float32 [3, S, S] in [-1, 1]: `photo`, `photo_next` (with probability `real_pair_prob` the real
    next frame of a video clip at the same crop, else a random affine of `photo`), `cartoon` (an unrelated
    cartoon crop). Random crops and horizontal flips; item i is deterministic given (seed, i). With `content_scale`
    (low, high) every image is first resized so its short side is crop_size * U(low, high). With `edge_smoothed`
    the item also holds `cartoon_smooth`: the cartoon crop with its edges blurred (AnimeGAN, `edge_smooth`),
    computed on the fly from the crop, so at the scale the discriminator sees.
    """

    def __init__(self, root: Path, *, split: str = "train", crop_size: int = 256, real_pair_prob: float = 0.5,
                 length: int | None = None, seed: int = 0,
                 content_scale: tuple[float, float] | None = None, edge_smoothed: bool = False) -> None:
        root = Path(root)
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if not 0.0 <= real_pair_prob <= 1.0:
            raise ValueError(f"real_pair_prob must be in [0, 1], got {real_pair_prob}")
        self.photos = list_images(root / "photos" / split)
        self.cartoons = list_images(root / "cartoons" / split)
        self.clips = [frames for frames in map(list_images, clip_folders(root, split)) if len(frames) >= 2]
        if real_pair_prob > 0 and not self.clips:
            raise ValueError(f"no video clips with 2 or more frames under {root / 'videos' / split} "
                             "(needed for real_pair_prob > 0)")
        if content_scale is not None and not 1.0 <= content_scale[0] <= content_scale[1]:
            raise ValueError(f"content_scale must be (low, high) with 1 <= low <= high, got {content_scale}")
        self.crop_size, self.real_pair_prob, self.seed = crop_size, real_pair_prob, seed
        self.content_scale = content_scale
        self.edge_smoothed = edge_smoothed
        self.length = length if length is not None else len(self.photos)

    def __len__(self) -> int:
        return self.length

    def _crop(self, images: list[np.ndarray], rng: random.Random) -> list[torch.Tensor]:
        """The same random crop and flip of equally sized images."""
        return [to_tensor(crop) for crop in self._crop_arrays(images, rng)]

    def _crop_arrays(self, images: list[np.ndarray], rng: random.Random) -> list[np.ndarray]:
        size = self.crop_size
        if self.content_scale is not None:
            short_side = round(size * rng.uniform(*self.content_scale))
            images = [resize_short_side(image, short_side, short_side) for image in images]
        images = [resize_short_side(image, size) for image in images]  # at least the crop
        height, width = images[0].shape[:2]
        top, left = rng.randint(0, height - size), rng.randint(0, width - size)
        flip = rng.random() < 0.5
        crops = [image[top : top + size, left : left + size] for image in images]
        return [crop[:, ::-1] if flip else crop for crop in crops]

    def _cartoon_crop(self, rng: random.Random) -> np.ndarray:
        """A cartoon crop that is not mostly white background (the least white of a few tries)."""
        best, best_share = None, 2.0
        for _ in range(_CARTOON_CROP_TRIES):
            (crop,) = self._crop_arrays([read_rgb_cached(rng.choice(self.cartoons))], rng)
            share = float((crop.min(axis=2) > 235).mean())
            if share < best_share:
                best, best_share = crop, share
            if share <= _MAX_BACKGROUND_SHARE:
                break
        return best

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = random.Random(self.seed * 1_000_003 + index)
        if rng.random() < self.real_pair_prob:
            frames = rng.choice(self.clips)
            start = rng.randrange(len(frames) - 1)
            photo, photo_next = self._crop([read_rgb_cached(frames[start]), read_rgb_cached(frames[start + 1])], rng)
        else:
            (photo,) = self._crop([read_rgb_cached(rng.choice(self.photos))], rng)
            generator = torch.Generator().manual_seed(rng.getrandbits(63))
            photo_next = warp_affine(photo, random_affine_matrices(1, generator=generator)[0])
        cartoon = self._cartoon_crop(rng)
        item = {"photo": photo, "photo_next": photo_next, "cartoon": to_tensor(cartoon)}
        if self.edge_smoothed:
            item["cartoon_smooth"] = to_tensor(edge_smooth(np.ascontiguousarray(cartoon)))
        return item
