from __future__ import annotations

import numpy as np
import pytest

from engine.errors import InputError
from engine.frames import attach_alpha, from_network, to_network, to_rgb8, unit_to_uint8


def test_rgb_uint8_passes_through_unchanged() -> None:
    f = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    s = to_rgb8(f)
    assert s.alpha is None
    np.testing.assert_array_equal(s.rgb, f)


@pytest.mark.parametrize("shape", [(4, 6), (4, 6, 1)])
def test_grayscale_becomes_three_equal_channels(shape: tuple[int, ...]) -> None:
    g = np.arange(24, dtype=np.uint8).reshape(shape)
    s = to_rgb8(g)
    assert s.rgb.shape == (4, 6, 3)
    for c in range(3):
        np.testing.assert_array_equal(s.rgb[:, :, c], g.reshape(4, 6))


def test_rgba_alpha_split_and_reattached() -> None:
    f = np.zeros((3, 5, 4), dtype=np.uint8)
    f[..., 0] = 200
    f[..., 3] = np.arange(15).reshape(3, 5) * 10
    s = to_rgb8(f)
    assert s.rgb.shape == (3, 5, 3) and s.alpha is not None
    np.testing.assert_array_equal(s.alpha, f[..., 3])
    np.testing.assert_array_equal(attach_alpha(s.rgb, s.alpha), f)


def test_gray_alpha() -> None:
    f = np.stack([np.full((2, 2), 9, np.uint8), np.full((2, 2), 77, np.uint8)], -1)
    s = to_rgb8(f)
    assert (s.rgb == 9).all() and s.alpha is not None and (s.alpha == 77).all()


def test_uint16_scaled_to_uint8() -> None:
    f = np.array([[[0, 257 * 128, 65535]]], dtype=np.uint16)
    np.testing.assert_array_equal(to_rgb8(f).rgb, [[[0, 128, 255]]])


def test_float_zero_one_scaled_and_clipped() -> None:
    f = np.array([[[0.0, 0.5, 1.0], [-0.2, 1.5, 0.25]]], dtype=np.float32)
    np.testing.assert_array_equal(to_rgb8(f).rgb, [[[0, 128, 255], [0, 255, 64]]])


def test_one_by_one_frame() -> None:
    s = to_rgb8(np.array([[[1, 2, 3]]], dtype=np.uint8))
    assert s.rgb.shape == (1, 1, 3)


@pytest.mark.parametrize("bad, reason", [
    (np.zeros((4, 4, 3), dtype=np.int32), "unsupported pixel type int32"),
    (np.zeros((4, 4, 3), dtype=bool), "unsupported pixel type bool"),
    (np.zeros((2, 4, 4, 3), dtype=np.uint8), "shape (2, 4, 4, 3)"),
    (np.zeros((4, 4, 5), dtype=np.uint8), "got 5"),
    (np.zeros((0, 4, 3), dtype=np.uint8), "empty"),
    (np.full((2, 2, 3), np.nan, dtype=np.float32), "NaN"),
    ([[1, 2, 3]], "numpy array"),
])
def test_bad_frames_name_index_and_reason(bad: object, reason: str) -> None:
    with pytest.raises(InputError) as info:
        to_rgb8(bad, index=7, source="clip.mp4")
    msg = str(info.value)
    assert "clip.mp4" in msg and "frame 7" in msg and reason in msg


def test_network_conversion_roundtrip() -> None:
    f = np.array([[[0, 128, 255]]], dtype=np.uint8)
    x = to_network(f)
    assert x.shape == (3, 1, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 0, 0], [-1.0, 128 / 127.5 - 1, 1.0], atol=1e-6)
    np.testing.assert_allclose(from_network(x)[0, 0] * 255, [0, 128, 255], atol=1e-3)


def test_from_network_returns_one_interleaved_buffer_clipped() -> None:
    chw = np.random.default_rng(0).uniform(-1.5, 1.5, (3, 5, 7)).astype(np.float32)
    hwc = from_network(chw)
    assert hwc.shape == (5, 7, 3) and hwc.flags.c_contiguous  # the post-filters take it without another copy
    np.testing.assert_array_equal(hwc, np.clip((chw.transpose(1, 2, 0) + 1.0) * 0.5, 0.0, 1.0))


def test_unit_to_uint8_rounds_like_rint() -> None:
    rng = np.random.default_rng(2)
    halves = ((np.arange(255) + 0.5) / 255.0).astype(np.float32).reshape(15, 17)  # exact .5 steps: half to even
    for x in (rng.random((6, 9, 3), dtype=np.float32), rng.random((6, 9), dtype=np.float32), halves,
              np.float32([[0.0, 1.0]])):
        out = unit_to_uint8(x)
        assert out.shape == x.shape
        np.testing.assert_array_equal(out, np.rint(x * 255.0).astype(np.uint8))
