"""ColorizeDataset contract (see the colorize contract): shapes, ranges, determinism, window rule, splits, styles."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from training.data.colorize.dataset import ColorizeDataset, list_sequences, pair_windows
from training.data.colorize.lineart import xdog

_STYLE_INK = {"xdog": None, "flat": 100}  # "flat": every line-art frame a uniform grey 100 (tells styles apart)


def _frame(t: int, seed: int, size: tuple[int, int] = (60, 80)) -> np.ndarray:
    """A light coloured background with a dark disc that moves with t."""
    rng = np.random.default_rng(seed)
    h, w = size
    rgb = np.full((h, w, 3), rng.integers(150, 230, 3), np.uint8)
    cv2.circle(rgb, (20 + t, 30), 12, rng.integers(0, 90, 3).tolist(), -1)
    return rgb


@pytest.fixture(scope="module")
def colorize_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("colorize")
    layout = {"train": {"seqA": 50, "seqB": 12, "one": 1}, "test": {"held": 41}}
    for split, seqs in layout.items():
        for k, (name, frames) in enumerate(seqs.items()):
            folder = root / split / name
            for t in range(frames):
                rgb = _frame(t, seed=k + 10 * (split == "test"))
                (folder / "color").mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(folder / "color" / f"{t:06d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
                for style, ink in _STYLE_INK.items():
                    (folder / "lineart" / style).mkdir(parents=True, exist_ok=True)
                    grey = xdog(rgb) if ink is None else np.full(rgb.shape[:2], ink, np.uint8)
                    cv2.imwrite(str(folder / "lineart" / style / f"{t:06d}.png"), grey)
    return root


def test_windows_follow_the_paper_rule() -> None:
    assert pair_windows(50, 40, 5) == [(0, 39), (5, 44), (10, 49)]
    assert pair_windows(41, 40, 5) == [(0, 39)]
    assert pair_windows(12, 40, 5) == [(0, 11)]  # a short shot: one window, clamped to its last frame
    with pytest.raises(ValueError):
        pair_windows(10, 1, 5)


def test_items_match_the_contract(colorize_root: Path) -> None:
    data = ColorizeDataset(colorize_root, split="train", crop_size=32)
    assert [s.folder.name for s in data.sequences] == ["seqA", "seqB"]  # 1-frame sequences are skipped
    assert len(data) == 3 + 1
    item = data[0]
    shapes = {"sketch": (1, 32, 32), "color": (3, 32, 32), "reference_sketch": (1, 32, 32),
              "reference_color": (3, 32, 32)}
    assert {k: tuple(v.shape) for k, v in item.items()} == shapes
    for value in item.values():
        assert value.dtype == torch.float32 and value.min() >= -1.0 and value.max() <= 1.0
    again = ColorizeDataset(colorize_root, split="train", crop_size=32)[0]
    assert all(torch.equal(item[k], again[k]) for k in item)  # deterministic given (seed, i)
    other = ColorizeDataset(colorize_root, split="train", crop_size=32, seed=1)
    assert any(not torch.equal(other[i]["color"], data[i]["color"]) for i in range(len(data)))


def test_pairs_are_window_ends_unless_gaps_or_reversal_are_drawn(colorize_root: Path) -> None:
    plain = ColorizeDataset(colorize_root, crop_size=32, gap_prob=0.0, reverse_prob=0.0)
    assert [plain.pair(i)[2:4] for i in range(len(plain))] == [(0, 39), (5, 44), (10, 49), (0, 11)]
    varied = ColorizeDataset(colorize_root, crop_size=32, length=200, gap_prob=0.5, reverse_prob=0.5)
    pairs = [varied.pair(i) for i in range(200)]
    gaps = [abs(t - r) for _, _, r, t, _ in pairs]
    assert min(gaps) >= 1 and max(gaps) == 39 and len(set(gaps)) > 10
    assert any(r > t for _, _, r, t, _ in pairs) and any(r < t for _, _, r, t, _ in pairs)
    for sequence, _, r, t, _ in pairs:
        assert 0 <= min(r, t) and max(r, t) < sequence.frames and abs(r - t) <= 39


def test_earlier_targets_favour_short_gaps(colorize_root: Path) -> None:
    # Log-uniform gaps: about half of the drawn gaps are 1-5 frames in a 40-frame window (uniform: 13 %).
    drawn = ColorizeDataset(colorize_root, crop_size=32, length=400, gap_prob=1.0, reverse_prob=0.0)
    gaps = [t - r for _, _, r, t, _ in (drawn.pair(i) for i in range(400))]
    assert min(gaps) == 1 and sum(g <= 5 for g in gaps) > 0.35 * len(gaps)
    for bad in ((0.5, 1.5), (2.0, 1.5)):
        with pytest.raises(ValueError, match="short_side_range"):
            ColorizeDataset(colorize_root, crop_size=32, short_side_range=bad)


def test_both_sketches_share_one_style_and_styles_can_be_chosen(colorize_root: Path) -> None:
    data = ColorizeDataset(colorize_root, crop_size=32, length=40, vary_lines=False)
    styles = set()
    for i in range(len(data)):
        _, style, *_ = data.pair(i)
        item = data[i]
        flat = [bool(torch.allclose(item[k], torch.full_like(item[k], 100 / 127.5 - 1), atol=1e-3))
                for k in ("sketch", "reference_sketch")]
        assert flat == [style == "flat"] * 2
        styles.add(style)
    assert styles == {"flat", "xdog"}
    only = ColorizeDataset(colorize_root, crop_size=32, styles=["xdog"], length=10)
    assert {only.pair(i)[1] for i in range(10)} == {"xdog"}
    with pytest.raises(ValueError, match="no sequence"):
        ColorizeDataset(colorize_root, styles=["hed"])


def test_crops_show_the_same_place_in_colour_and_line_art(colorize_root: Path) -> None:
    data = ColorizeDataset(colorize_root, split="test", crop_size=48, styles=["xdog"], length=12)
    assert not data.vary_lines  # the test split is not perturbed
    checked = 0
    for i in range(len(data)):
        item = data[i]
        rgb = ((item["color"].permute(1, 2, 0).numpy() + 1) * 127.5).round().astype(np.uint8)
        lines = ((item["sketch"][0].numpy() + 1) * 127.5).round()
        edges = cv2.Canny(rgb, 30, 90) > 0
        dark = lines < 160
        if dark.sum() > 20:
            near = cv2.dilate(edges.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
            assert near[dark].mean() > 0.9  # line art lies on the colour frame's edges: same crop and flip
            checked += 1
    assert checked >= 4


def test_test_split_is_separate_and_missing_data_is_explained(colorize_root: Path, tmp_path: Path) -> None:
    test = ColorizeDataset(colorize_root, split="test", crop_size=32)
    train = ColorizeDataset(colorize_root, split="train", crop_size=32)
    assert {s.folder for s in test.sequences}.isdisjoint({s.folder for s in train.sequences})
    assert [s.folder.name for s in test.sequences] == ["held"] and len(test) == 1
    with pytest.raises(FileNotFoundError, match="bootstrap-colorize"):
        ColorizeDataset(tmp_path / "nothing")
    with pytest.raises(ValueError, match="split"):
        ColorizeDataset(colorize_root, split="val")
    bad = tmp_path / "bad" / "train" / "s"
    (bad / "color").mkdir(parents=True)
    (bad / "lineart" / "xdog").mkdir(parents=True)
    for t in range(3):
        cv2.imwrite(str(bad / "color" / f"{t:06d}.png"), _frame(t, 0))
    cv2.imwrite(str(bad / "lineart" / "xdog" / "000000.png"), np.full((60, 80), 255, np.uint8))
    with pytest.raises(ValueError, match="1 line-art frames for 3 colour frames"):
        list_sequences(tmp_path / "bad" / "train")


def test_aligned_references_are_warped_onto_the_target(colorize_root: Path) -> None:
    options = dict(split="test", crop_size=48, styles=["xdog"], length=16, window=10, gap_prob=0.0, reverse_prob=0.0)
    plain, aligned = ColorizeDataset(colorize_root, **options), ColorizeDataset(colorize_root, align_references=True,
                                                                                **options)
    gap = lambda item: float((item["reference_color"] - item["color"]).abs().mean())  # noqa: E731
    before = [gap(plain[i]) for i in range(len(plain))]
    after = [gap(aligned[i]) for i in range(len(aligned))]
    # the disc moved 9 px between the pair's frames; aligned, the reference colour sits where the target's is
    assert np.mean(after) < 0.5 * np.mean(before)
    for i in (0, 5):  # alignment changes only the references
        for name in ("sketch", "color"):
            assert torch.equal(plain[i][name], aligned[i][name])


def test_previous_frames_are_the_targets_neighbour_on_the_references_side(colorize_root: Path) -> None:
    options = dict(split="test", crop_size=48, styles=["xdog"], length=12, gap_prob=0.0)
    for reverse in (0.0, 1.0):
        plain = ColorizeDataset(colorize_root, window=10, reverse_prob=reverse, **options)
        paired = ColorizeDataset(colorize_root, window=10, reverse_prob=reverse, with_previous=True, **options)
        assert "previous_color" not in plain[0]
        ratios = []
        for i in range(len(paired)):
            item, base = paired[i], plain[i]
            assert all(torch.equal(item[name], base[name]) for name in base)  # the pair itself is unchanged
            # the disc moves 1 px per frame: the neighbour differs from the target far less than the reference,
            # 9 frames away, whichever side the reference is on
            ratios.append(float((item["previous_color"] - item["color"]).abs().mean())
                          / float((item["reference_color"] - item["color"]).abs().mean()))
        assert max(ratios) < 0.35
    adjacent = ColorizeDataset(colorize_root, window=2, reverse_prob=0.5, with_previous=True, **options)
    for i in range(len(adjacent)):
        item = adjacent[i]
        assert torch.equal(item["previous_color"], item["reference_color"])
        assert torch.equal(item["previous_sketch"], item["reference_sketch"])
