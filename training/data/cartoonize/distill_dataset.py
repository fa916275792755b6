"""Torch dataset over a bootstrap folder and its distillation files (:mod:`training.data.cartoonize.distill_layout`):
image / teacher-target pairs, each with a next frame, its target and the flow between the two.

Item (float32; images [3, S, S] in [-1, 1]):
- `photo`, `target`: a crop of a training image and the same crop of the teacher's output;
- `photo_next`, `target_next`: with probability `real_pair_prob` the next frame of a training clip and its target
  (same crop), else a small random affine motion of `photo` and of `target`; with `stable_targets` a real pair's
  two targets are the stabilised ones (:mod:`training.data.cartoonize.stable_targets`);
- `flow` [2, S, S]: pixels (dx, dy) from `photo` to `photo_next` (photo(x) ~ photo_next(x + flow(x))): DIS for real
  frames, exact for the affine motion; `valid` [1, S, S]: 1 where that flow is trusted and stays inside the crop.
With `input_noise` > 0 both input frames get their own Gaussian noise (standard deviation drawn per pair from
[0, input_noise], in [0, 1] units), the targets none: video frames differ by sensor and compression noise even where
nothing moves, and a student that passes that noise on flickers.
Random crop and horizontal flip (the flow's dx flips with it); item i is deterministic given (seed, i).
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from ...teacher import bootstrap_arguments
from .affine import random_affine_matrices, warp_affine
from .dataset import list_images, read_rgb_cached, to_tensor
from .distill_layout import DistillLayout

__all__ = ["DistillDataset"]


def _affine_flow(matrix: torch.Tensor, size: int) -> torch.Tensor:
    """Pixel flow [2, S, S] from an image to its `warp_affine` by `matrix` ([2, 3], normalised coordinates).

    warp_affine(image)(y) = image(A y), so a pixel x of the image is found at A^-1 x in the warped one.
    """
    full = torch.cat([matrix, torch.tensor([[0.0, 0.0, 1.0]])])
    inverse = torch.linalg.inv(full)[:2]
    grid = F.affine_grid(inverse[None], [1, 1, size, size], align_corners=False)[0]  # [S, S, 2] normalised
    identity = F.affine_grid(torch.eye(2, 3)[None], [1, 1, size, size], align_corners=False)[0]
    return ((grid - identity) * size / 2).permute(2, 0, 1)


def _inside(flow: torch.Tensor) -> torch.Tensor:
    """[1, S, S]: 1 where x + flow(x) lands inside the crop."""
    size_y, size_x = flow.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(size_y), torch.arange(size_x), indexing="ij")
    x, y = xs + flow[0], ys + flow[1]
    return ((x >= 0) & (x <= size_x - 1) & (y >= 0) & (y <= size_y - 1)).float()[None]


class DistillDataset(Dataset):
    """Crops of (image, teacher target) with a next frame; see the module docstring for the item."""

    def __init__(self, data_root: Path, *, style: str, split: str = "train",
                 crop_size: int = 128, real_pair_prob: float = 0.5, length: int | None = None,
                 seed: int = 0, stable_targets: bool = False, input_noise: float = 0.0) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if not 0.0 <= real_pair_prob <= 1.0:
            raise ValueError(f"real_pair_prob must be in [0, 1], got {real_pair_prob}")
        self.layout = DistillLayout(Path(data_root))
        self.style, self.crop_size, self.real_pair_prob, self.seed = style, crop_size, real_pair_prob, seed
        if not self.layout.has_targets(style):
            raise FileNotFoundError(f"{self.layout.root / style / 'manifest.json'} is missing: run `python -m "
                                    f"training bootstrap-distill {bootstrap_arguments(style)}` first")
        if stable_targets and not self.layout.has_stable_targets(style):
            raise FileNotFoundError(f"{self.layout.stable_root(style) / 'stable.json'} is missing: run `python -m "
                                    f"training bootstrap-distill --style {style} --stable` first")
        if not 0.0 <= input_noise < 0.5:
            raise ValueError(f"input_noise must be in [0, 0.5), got {input_noise}")
        self.stable_targets, self.input_noise = stable_targets, input_noise
        self.photos = list_images(self.layout.source / "photos" / split)
        # Real pairs come from the training clips only: held-out clips are the benchmark's.
        self.clips = [list_images(clip) for clip in self.layout.clips()] if split == "train" else []
        self.clips = [frames for frames in self.clips if len(frames) >= 2]
        if real_pair_prob > 0 and not self.clips:
            raise ValueError(f"no training clips under {self.layout.source / 'videos' / 'train'} "
                             "(needed for real_pair_prob > 0)")
        self.length = length if length is not None else len(self.photos)

    def __len__(self) -> int:
        return self.length

    def _target(self, image: Path, *, stable: bool = False) -> np.ndarray:
        path = (self.layout.stable_target_path if stable else self.layout.target_path)(self.style, image)
        if not path.is_file():
            stable_flag = " --stable" if stable else ""
            raise FileNotFoundError(f"no teacher target {path} for {image}: re-run `python -m training "
                                    f"bootstrap-distill {bootstrap_arguments(self.style)}{stable_flag}`")
        return read_rgb_cached(path)

    def _crop_window(self, height: int, width: int, rng: random.Random) -> tuple[slice, slice, bool]:
        size = self.crop_size
        if height < size or width < size:
            raise ValueError(f"training image of {width}x{height} is smaller than the {size} px crop")
        top, left = rng.randint(0, height - size), rng.randint(0, width - size)
        return slice(top, top + size), slice(left, left + size), rng.random() < 0.5

    def _real_pair(self, rng: random.Random) -> dict[str, torch.Tensor]:
        frames = rng.choice(self.clips)
        t = rng.randrange(len(frames) - 1)
        images = [read_rgb_cached(frames[t]), read_rgb_cached(frames[t + 1]),
                  self._target(frames[t], stable=self.stable_targets),
                  self._target(frames[t + 1], stable=self.stable_targets)]
        flow_and_trust = np.load(self.layout.flow_path(frames[t])).astype(np.float32)
        rows, cols, flip = self._crop_window(*images[0].shape[:2], rng)
        crops = [image[rows, cols] for image in images]
        flow = torch.from_numpy(np.ascontiguousarray(flow_and_trust[rows, cols, :2])).permute(2, 0, 1)
        trusted = torch.from_numpy(np.ascontiguousarray(flow_and_trust[rows, cols, 2]))[None]
        if flip:
            crops = [crop[:, ::-1] for crop in crops]
            flow = torch.stack([-flow[0], flow[1]]).flip(-1)
            trusted = trusted.flip(-1)
        photo, photo_next, target, target_next = (to_tensor(crop) for crop in crops)
        valid = trusted * _inside(flow)
        return {"photo": photo, "photo_next": photo_next, "target": target, "target_next": target_next,
                "flow": flow, "valid": valid}

    def _affine_pair(self, rng: random.Random) -> dict[str, torch.Tensor]:
        image = rng.choice(self.photos)
        pixels, target_pixels = read_rgb_cached(image), self._target(image)
        rows, cols, flip = self._crop_window(*pixels.shape[:2], rng)
        crops = [pixels[rows, cols], target_pixels[rows, cols]]
        if flip:
            crops = [crop[:, ::-1] for crop in crops]
        photo, target = (to_tensor(crop) for crop in crops)
        generator = torch.Generator().manual_seed(rng.getrandbits(63))
        matrix = random_affine_matrices(1, generator=generator)[0]
        photo_next, target_next = warp_affine(torch.stack([photo, target]), matrix.expand(2, 2, 3))
        flow = _affine_flow(matrix, self.crop_size)
        return {"photo": photo, "photo_next": photo_next, "target": target, "target_next": target_next,
                "flow": flow, "valid": _inside(flow)}

    def _add_noise(self, item: dict[str, torch.Tensor], rng: random.Random) -> dict[str, torch.Tensor]:
        generator = torch.Generator().manual_seed(rng.getrandbits(63))
        sigma = 2.0 * rng.uniform(0.0, self.input_noise)  # [-1, 1] images: twice the [0, 1] units
        for name in ("photo", "photo_next"):
            noise = torch.randn(item[name].shape, generator=generator) * sigma
            item[name] = (item[name] + noise).clamp(-1.0, 1.0)
        return item

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = random.Random(self.seed * 1_000_003 + index)
        item = self._real_pair(rng) if self.clips and rng.random() < self.real_pair_prob else self._affine_pair(rng)
        return self._add_noise(item, rng) if self.input_noise > 0 else item
