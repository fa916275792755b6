"""CartoonizeDataset and the simulated-next-frame affine (docs/METHODS.md, "Simulated next frames") on tiny synthetic
folders."""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from training.data.cartoonize.affine import AffineRange, random_affine_matrices, warp_affine
from training.data.cartoonize.dataset import CartoonizeDataset


def _write(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def _textured(seed: int, h: int = 40, w: int = 56) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.integers(0, 256, (h // 4, w // 4, 3), dtype=np.uint8), (w, h), interpolation=cv2.INTER_CUBIC)
    return img


@pytest.fixture()
def data_root(tmp_path: Path) -> Path:
    """photos: textured 40x56; cartoons: colourful blocks; one clip whose frame k is flat grey level 20 * k + 20."""
    for split in ("train", "test"):
        for i in range(3):
            _write(tmp_path / "photos" / split / f"p{i}.png", _textured(i))
            cartoon = np.full((48, 48, 3), 255, np.uint8)
            cartoon[8:40, 8:40] = (40 * i + 40, 200, 90)
            _write(tmp_path / "cartoons" / split / f"c{i}.png", cartoon)
        for k in range(5):
            _write(tmp_path / "videos" / split / "clip" / f"{k:06d}.png", np.full((36, 44, 3), 20 * k + 20, np.uint8))
    return tmp_path


def test_items_have_the_documented_shapes_ranges_and_dtype(data_root: Path) -> None:
    ds = CartoonizeDataset(data_root, crop_size=32, real_pair_prob=0.5, length=8)
    assert len(ds) == 8
    for i in range(len(ds)):
        item = ds[i]
        assert set(item) == {"photo", "photo_next", "cartoon"}
        for value in item.values():
            assert value.shape == (3, 32, 32) and value.dtype == torch.float32
            assert value.min() >= -1.0 and value.max() <= 1.0


def test_small_images_are_upscaled_to_the_crop(data_root: Path) -> None:
    item = CartoonizeDataset(data_root, crop_size=64, real_pair_prob=0.5)[0]
    assert all(v.shape == (3, 64, 64) for v in item.values())


def test_content_scale_frames_the_whole_image_in_small_crops(data_root: Path) -> None:
    """At content_scale (1, 1) the 48 px cartoon is resized to the 16 px crop: the whole square fits in it, with a
    white margin on every side (a plain crop of the original would show only part of it)."""
    ds = CartoonizeDataset(data_root, crop_size=16, real_pair_prob=0.0, content_scale=(1.0, 1.0))
    cartoon = ds[0]["cartoon"]
    assert cartoon.shape == (3, 16, 16)
    border = torch.cat([cartoon[:, 0], cartoon[:, -1], cartoon[:, :, 0], cartoon[:, :, -1]], dim=1)
    assert border.min() > 0.9  # white paper all around
    assert cartoon[1, 8, 8] > 0.5 and cartoon[0, 8, 8] < 0.5  # the green square in the middle
    with pytest.raises(ValueError, match="content_scale"):
        CartoonizeDataset(data_root, crop_size=16, content_scale=(0.5, 1.0))


def test_items_are_deterministic_by_seed(data_root: Path) -> None:
    a = CartoonizeDataset(data_root, crop_size=24, seed=3, length=6)
    b = CartoonizeDataset(data_root, crop_size=24, seed=3, length=6)
    c = CartoonizeDataset(data_root, crop_size=24, seed=4, length=6)
    for i in range(6):
        for key in ("photo", "photo_next", "cartoon"):
            assert torch.equal(a[i][key], b[i][key])
    assert any(not torch.equal(a[i]["photo"], c[i]["photo"]) for i in range(6))


def test_real_pairs_are_consecutive_frames_of_a_clip(data_root: Path) -> None:
    ds = CartoonizeDataset(data_root, crop_size=24, real_pair_prob=1.0, length=10)
    for i in range(len(ds)):
        item = ds[i]
        level = (item["photo"] + 1) * 127.5
        level_next = (item["photo_next"] + 1) * 127.5
        assert torch.allclose(level, level.flatten()[0].expand_as(level), atol=0.5)  # a flat video frame
        assert torch.allclose(level_next - level, torch.full_like(level, 20.0), atol=0.5)  # frame k -> k + 1


def test_affine_pairs_are_a_small_motion_of_the_same_crop(data_root: Path) -> None:
    ds = CartoonizeDataset(data_root, crop_size=32, real_pair_prob=0.0, length=6)
    for i in range(len(ds)):
        item = ds[i]
        diff = (item["photo_next"] - item["photo"]).abs()
        assert diff.mean() > 1e-4  # it moved
        assert diff.mean() < 0.25  # but only a little (the same content)


def test_real_pairs_need_clips(tmp_path: Path, data_root: Path) -> None:
    import shutil

    shutil.rmtree(data_root / "videos")
    with pytest.raises(ValueError, match="videos"):
        CartoonizeDataset(data_root, real_pair_prob=0.5)
    assert len(CartoonizeDataset(data_root, real_pair_prob=0.0, crop_size=16)[0]) == 3


def test_missing_or_empty_folders_raise_errors_naming_the_folder(tmp_path: Path, data_root: Path) -> None:
    with pytest.raises(FileNotFoundError, match="photos"):
        CartoonizeDataset(tmp_path / "nowhere")
    for f in (data_root / "cartoons" / "train").iterdir():
        f.unlink()
    with pytest.raises(ValueError, match="cartoons"):
        CartoonizeDataset(data_root)
    with pytest.raises(ValueError, match="split"):
        CartoonizeDataset(data_root, split="val")


# ------------------------------------------------------------------------------------------------ affine


def _decompose(m: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """[N, 2, 3] -> rotation (deg), shear (deg), scale, translation [N, 2] for M = s R(a) [[1, tan h], [0, 1]]."""
    a = m[:, :, :2]
    scale = torch.sqrt(torch.det(a))
    angle = torch.atan2(a[:, 1, 0], a[:, 0, 0])
    c, s = torch.cos(angle), torch.sin(angle)
    upper = (c * a[:, 0, 1] + s * a[:, 1, 1]) / scale  # (R^T A / s)[0, 1] = tan(shear)
    return torch.rad2deg(angle), torch.rad2deg(torch.atan(upper)), scale, m[:, :, 2]


def test_random_affine_parameters_stay_within_the_spec_bounds() -> None:
    m = random_affine_matrices(20000, generator=torch.Generator().manual_seed(0))
    angle, shear, scale, shift = _decompose(m.double())
    eps = 1e-5
    assert angle.abs().max() <= 1.0 + eps and angle.abs().max() > 0.95
    assert shear.abs().max() <= 1.0 + eps and shear.abs().max() > 0.95
    assert scale.min() >= 0.97 - eps and scale.max() <= 1.03 + eps
    assert scale.min() < 0.975 and scale.max() > 1.025
    # translation +-1 % of the image size = +-0.02 in affine_grid's [-1, 1] coordinates
    assert shift.abs().max() <= 0.02 + eps and shift.abs().max() > 0.019


def test_affine_ranges_are_configurable_and_seeded() -> None:
    m = random_affine_matrices(4, AffineRange(0.0, 0.0, 1.0, 1.0, 0.0), generator=torch.Generator().manual_seed(1))
    assert torch.allclose(m, torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]).expand(4, 2, 3))
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(random_affine_matrices(3, generator=g1), random_affine_matrices(3, generator=g2))


def test_a_known_translation_shifts_by_one_pixel() -> None:
    x = torch.rand(1, 3, 16, 20)
    matrix = torch.tensor([[[1.0, 0.0, 2.0 / 20], [0.0, 1.0, 0.0]]])  # 1 px of 20 in [-1, 1] units
    out = warp_affine(x, matrix)
    assert torch.allclose(out[..., :-1], x[..., 1:], atol=1e-5)


def test_a_known_rotation_matches_opencv() -> None:
    img = _textured(7, 64, 64).astype(np.float32) / 255
    x = torch.from_numpy(img).permute(2, 0, 1)
    deg = 1.0
    t = math.radians(deg)
    # output(p) samples input at M p (normalised, square image): a rotation by +deg about the centre
    out = warp_affine(x, torch.tensor([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0]]))
    # cv2's matrix for angle a maps (x, y) with y down by [[cos a, sin a], [-sin a, cos a]] = R(-a); with
    # WARP_INVERSE_MAP dst(p) = src(A p), so R(+deg) here is cv2's -deg about the centre (31.5, 31.5).
    inv = cv2.getRotationMatrix2D((31.5, 31.5), -deg, 1.0)
    ref = cv2.warpAffine(img, inv, (64, 64), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REFLECT)
    ours = out.permute(1, 2, 0).numpy()
    err = np.abs(ours - ref)[4:-4, 4:-4]
    assert err.max() < 0.02 and err.mean() < 2e-3  # cv2 quantises bilinear weights to 1/32 px
    wrong = cv2.warpAffine(img, cv2.getRotationMatrix2D((31.5, 31.5), deg, 1.0), (64, 64),
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
    assert np.abs(ours - wrong)[4:-4, 4:-4].mean() > 5 * err.mean()  # the test tells the directions apart


def test_warp_works_on_single_images_and_batches_alike() -> None:
    x = torch.rand(3, 3, 24, 24)
    m = random_affine_matrices(3, generator=torch.Generator().manual_seed(2))
    batch = warp_affine(x, m)
    assert batch.shape == x.shape
    for i in range(3):
        assert torch.allclose(warp_affine(x[i], m[i]), batch[i], atol=1e-6)
    with pytest.raises(ValueError):
        warp_affine(x, m[:2])
    # identity keeps the image; reflection padding leaves no black border after a small motion
    ident = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    assert torch.allclose(warp_affine(x[0], ident), x[0], atol=1e-5)
    ones = torch.ones(1, 3, 24, 24)
    assert torch.allclose(warp_affine(ones, m[:1]), ones, atol=1e-5)
