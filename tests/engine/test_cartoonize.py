from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Cartoonizer
from engine.errors import InputError, SettingsError
from engine.frames import to_network
from engine.guided_filter import guided_filter

from .helpers import pattern


@pytest.fixture()
def toon(tiny_model: Path) -> Cartoonizer:
    return Cartoonizer(tiny_model, device="cpu")


@pytest.mark.parametrize("h, w", [(1, 1), (1, 7), (5, 3), (33, 47), (48, 64)])
def test_same_size_out_as_in(toon: Cartoonizer, h: int, w: int) -> None:
    out = toon.process(pattern(0, h, w))
    assert out.shape == (h, w, 3) and out.dtype == np.uint8


def test_output_matches_network(toon: Cartoonizer) -> None:
    f = pattern(0, 48, 64)
    y = toon._session.run(to_network(f)[None])[0]
    expected = np.rint(np.clip((y.transpose(1, 2, 0) + 1) / 2, 0, 1) * 255).astype(np.uint8)
    np.testing.assert_array_equal(toon.process(f), expected)
    assert np.abs(toon.process(f).astype(int) - f).mean() > 2  # it changes the image


def test_rgba_alpha_reattached(toon: Cartoonizer) -> None:
    f = np.dstack([pattern(0, 20, 30), np.arange(600, dtype=np.uint8).reshape(20, 30)])
    out = toon.process(f)
    assert out.shape == (20, 30, 4)
    np.testing.assert_array_equal(out[..., 3], f[..., 3])
    np.testing.assert_array_equal(out[..., :3], toon.process(f[..., :3]))


def test_sixteen_bit_and_float_input_equal_eight_bit(toon: Cartoonizer) -> None:
    f8 = pattern(0, 24, 32)
    ref = toon.process(f8)
    np.testing.assert_array_equal(toon.process(f8.astype(np.uint16) * 257), ref)
    np.testing.assert_array_equal(toon.process(f8.astype(np.float32) / 255.0), ref)


def test_bad_frame_names_frame_index(toon: Cartoonizer) -> None:
    toon.process(pattern(0, 8, 8))
    with pytest.raises(InputError, match="frame 1: unsupported pixel type int64"):
        toon.process(np.zeros((8, 8, 3), dtype=np.int64))


def test_strength_blends_with_source(tiny_model: Path) -> None:
    f = pattern(0, 24, 32)
    full = Cartoonizer(tiny_model, device="cpu").process(f).astype(np.float32)
    zero = Cartoonizer(tiny_model, device="cpu", strength=0.0).process(f)
    half = Cartoonizer(tiny_model, device="cpu", strength=0.5).process(f).astype(np.float32)
    np.testing.assert_array_equal(zero, f)
    np.testing.assert_allclose(half, (full + f) / 2, atol=1.0)


@pytest.mark.parametrize("kwargs, msg", [
    ({"strength": 1.5}, "strength must be in"),
    ({"tile_size": 10}, "tile size 10 is too small"),
    ({"tile_size": -1}, "tile size must be >= 0"),
    ({"device": "tpu"}, "unknown device"),
    ({"temporal": True, "temporal_strength": 2.0}, "temporal strength"),
])
def test_bad_settings(tiny_model: Path, kwargs: dict, msg: str) -> None:
    with pytest.raises(SettingsError, match=msg):
        Cartoonizer(tiny_model, device=kwargs.pop("device", "cpu"), **kwargs)


def test_large_frames_are_tiled_without_seams(tiny_model: Path) -> None:
    f = pattern(3, 90, 130)
    whole = Cartoonizer(tiny_model, device="cpu", tile_size=0).process(f)
    tiled_toon = Cartoonizer(tiny_model, device="cpu", tile_size=40)
    assert tiled_toon.tile_size == 40
    tiled = tiled_toon.process(f)
    assert np.abs(tiled.astype(int) - whole).max() <= 1


def test_model_without_tiling_support_runs_whole(model_dir: Path) -> None:
    toon = Cartoonizer("tiny_notile", device="cpu", tile_size=40, extra_model_dirs=[model_dir])
    assert toon.tile_size == 0
    assert toon.process(pattern(0, 50, 60)).shape == (50, 60, 3)


def test_guided_filter_postprocess_applied(model_dir: Path) -> None:
    toon = Cartoonizer("tiny_gf", device="cpu", extra_model_dirs=[model_dir])
    f = pattern(0, 24, 32)
    x = to_network(f)
    y = toon._session.run(x[None])[0]
    filtered = guided_filter(x.transpose(1, 2, 0), y.transpose(1, 2, 0), 1, 0.005)
    expected = np.rint(np.clip((filtered + 1) / 2, 0, 1) * 255).astype(np.uint8)
    raw = np.rint(np.clip((y.transpose(1, 2, 0) + 1) / 2, 0, 1) * 255).astype(np.uint8)
    out = toon.process(f)
    np.testing.assert_array_equal(out, expected)
    assert not np.array_equal(out, raw)


def test_guided_filter_of_constant_guide_is_local_mean() -> None:
    guide = np.zeros((5, 5, 1), np.float32)
    src = np.arange(25, dtype=np.float32).reshape(5, 5, 1) / 25
    out = guided_filter(guide, src, 1, 0.01)
    assert out[2, 2, 0] == pytest.approx(src[1:4, 1:4].mean(), abs=1e-5)


def test_stream_and_reset(tiny_model: Path) -> None:
    toon = Cartoonizer(tiny_model, device="cpu", temporal=True)
    frames = [pattern(i, 48, 64) for i in range(4)]
    first = list(toon.stream(frames))
    assert len(first) == 4 and toon.frame_index == 4
    toon.reset()
    assert toon.frame_index == 0
    again = list(toon.stream(frames))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
