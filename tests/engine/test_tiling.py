from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.models import resolve_model
from engine.runtime import get_session
from engine.tiling import (blend_plan, pad_to_multiple, plan_tiles, run_padded, run_tiled, tile_starts,
                           tile_weight)


@pytest.mark.parametrize("h, w", [(1, 1), (3, 5), (8, 8), (9, 17)])
def test_pad_to_multiple_and_crop(h: int, w: int) -> None:
    x = np.random.default_rng(0).standard_normal((3, h, w)).astype(np.float32)
    padded, size = pad_to_multiple(x, 4)
    assert size == (h, w)
    assert padded.shape[1] % 4 == 0 and padded.shape[2] % 4 == 0
    np.testing.assert_array_equal(padded[:, :h, :w], x)


def test_tile_starts_cover_with_overlap_and_alignment() -> None:
    starts = tile_starts(1000, 256, 32, align=4)
    assert starts[0] == 0 and all(s % 4 == 0 for s in starts)
    assert all(b - a <= 256 - 32 for a, b in zip(starts, starts[1:]))
    assert starts[-1] + 256 + 3 >= 1000
    assert tile_starts(100, 256, 32) == [0]


@pytest.mark.parametrize("h, w, tile, overlap", [(70, 90, 32, 8), (101, 67, 40, 12), (64, 300, 64, 16)])
def test_blend_weights_sum_to_one_everywhere(h: int, w: int, tile: int, overlap: int) -> None:
    plan = blend_plan(h, w, tile, overlap, 4)
    assert len(plan) > 1
    assert [t for t, _ in plan] == plan_tiles(h, w, tile, overlap, 4)
    total = np.zeros((h, w), np.float32)
    for t, weight in plan:
        assert weight.shape == (t.y1 - t.y0, t.x1 - t.x0) and weight.min() >= 0.0
        assert not weight.flags.writeable  # shared by every frame of the size: nobody may scale it in place
        total[t.y0:t.y1, t.x0:t.x1] += weight
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


def test_feather_is_a_linear_ramp_with_zero_margin() -> None:
    from engine.tiling import Tile

    w = tile_weight(Tile(0, 1, 10, 70), 1, 100, 16)[0]
    assert w[0] == 0.0 and w[3] == 0.0           # margin (overlap // 4) near the shared edge
    ramp = w[4:16]
    assert np.all(np.diff(ramp) > 0) and np.allclose(np.diff(ramp), np.diff(ramp)[0])
    assert w[16] == 1.0 and w[-1] == 0.0


@pytest.mark.parametrize("h, w", [(70, 90), (97, 131)])
def test_tiled_equals_untiled_on_local_model(tiny_model: Path, h: int, w: int) -> None:
    card = resolve_model(tiny_model, "cartoonize")
    session = get_session(card, "cpu")
    x = np.random.default_rng(1).uniform(-1, 1, (3, h, w)).astype(np.float32)
    whole = run_padded(x, session.run, card.size_multiple)
    tiled = run_tiled(x, session.run, multiple=card.size_multiple, tile=32, overlap=card.tile_overlap)
    assert tiled.shape == whole.shape == (3, h, w)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


def test_seams_would_show_without_feathering(tiny_model: Path) -> None:
    """Control: running tiles with no overlap differs from the whole frame at tile borders (so the test above
    can fail)."""
    card = resolve_model(tiny_model, "cartoonize")
    session = get_session(card, "cpu")
    x = np.random.default_rng(1).uniform(-1, 1, (3, 64, 64)).astype(np.float32)
    whole = run_padded(x, session.run, 4)
    naive = np.concatenate([run_padded(x[:, :, :32], session.run, 4), run_padded(x[:, :, 32:], session.run, 4)], 2)
    assert np.abs(naive - whole).max() > 1e-2


def test_balanced_tiles_waste_little_overlap() -> None:
    tiles = plan_tiles(720, 1280, 1024, 32, 4)
    assert len(tiles) == 2
    assert sum(t.x1 - t.x0 for t in tiles) <= 1280 + 64
    assert all(t.y0 == 0 and t.y1 == 720 for t in tiles)
    assert len(plan_tiles(2160, 3840, 1024, 32, 4)) == 3 * 4
