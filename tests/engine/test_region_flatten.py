"""The distilled cartoonizers' post-filter: regions flattened across their whole width, edges kept, cards checked."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Cartoonizer
from engine.errors import ModelError
from engine.frames import from_network, to_network
from engine.models import load_card
from engine.region_flatten import flatten_regions

from .helpers import pattern, write_model

FLATTEN = {"sigma_spatial": 60.0, "sigma_color": 0.15}


def _two_ramped_regions(width: int = 400) -> np.ndarray:
    """A left and a right region split by a strong colour edge, each with a gentle ramp and faint noise: what a
    student makes of a wide flat teacher region it cannot see whole."""
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 0.06, width // 2, dtype=np.float32)
    row = np.concatenate([0.2 + x, 0.8 - x])
    image = np.repeat(np.repeat(row[None, :, None], 64, axis=0), 3, axis=2)
    return np.clip(image + rng.normal(0, 0.01, image.shape).astype(np.float32), 0, 1)


def test_flattens_inside_regions_and_keeps_the_edge_between_them() -> None:
    image = _two_ramped_regions()
    out = flatten_regions(image, **FLATTEN)
    assert out.shape == image.shape and out.dtype == np.float32
    roughness = lambda x: np.abs(np.diff(x, axis=1)).mean()  # noqa: E731
    for region in (slice(0, 190), slice(210, 400)):  # the texture inside each region is gone
        assert roughness(out[:, region]) < 0.2 * roughness(image[:, region])
    edge_before = image[:, 200].mean() - image[:, 199].mean()
    edge_after = out[:, 200].mean() - out[:, 199].mean()
    assert edge_after > 0.8 * edge_before  # the step between the regions survives


def test_a_flat_image_is_unchanged() -> None:
    flat = np.full((32, 48, 3), 0.4, np.float32)
    np.testing.assert_allclose(flatten_regions(flat, **FLATTEN), flat, atol=1e-5)


@pytest.mark.parametrize("sigma_spatial, sigma_color", [(0, 0.1), (60, 0), (-1, 0.1)])
def test_bad_sigmas_are_refused(sigma_spatial: float, sigma_color: float) -> None:
    with pytest.raises(ValueError, match="sigma_spatial > 0 and sigma_color > 0"):
        flatten_regions(np.zeros((4, 4, 3), np.float32), sigma_spatial, sigma_color)


def test_a_card_naming_the_filter_gets_it_from_the_engine(tmp_path: Path) -> None:
    write_model(tmp_path, "plain", seed=1)
    write_model(tmp_path, "flat", seed=1, postprocess={"region_flatten": FLATTEN})
    card = load_card(tmp_path / "flat.onnx")
    assert card.region_flatten is not None and card.region_flatten.sigma_spatial == 60.0
    assert card.region_flatten.sigma_color == pytest.approx(0.15)
    frame = pattern(0, 40, 56)
    plain = Cartoonizer(tmp_path / "plain.onnx", device="cpu")
    raw = from_network(plain._session.run(to_network(frame)[None])[0])
    expected = np.rint(flatten_regions(raw, **FLATTEN) * 255).astype(np.uint8)
    out = Cartoonizer(tmp_path / "flat.onnx", device="cpu").process(frame)
    np.testing.assert_array_equal(out, expected)
    assert not np.array_equal(out, plain.process(frame))


@pytest.mark.parametrize("step, message", [
    ([60, 0.15], "must be an object with sigma_spatial and sigma_color"),
    ({"sigma_spatial": 60}, "sigma_color"),
    ({"sigma_spatial": 0, "sigma_color": 0.15}, "needs sigma_spatial > 0 and sigma_color in"),
    ({"sigma_spatial": 60, "sigma_color": 2}, "needs sigma_spatial > 0 and sigma_color in"),
])
def test_a_bad_filter_in_a_card_names_the_card(tmp_path: Path, step: object, message: str) -> None:
    write_model(tmp_path, "bad", postprocess={"region_flatten": step})
    with pytest.raises(ModelError, match=message) as caught:
        load_card(tmp_path / "bad.onnx")
    assert "bad.json" in str(caught.value)


@pytest.mark.parametrize("height, width", [(1, 1), (1, 7), (5, 3)])
def test_tiny_frames_keep_their_size(height: int, width: int) -> None:
    image = np.random.default_rng(1).random((height, width, 3)).astype(np.float32)
    out = flatten_regions(image, **FLATTEN)
    assert out.shape == image.shape and np.all((out >= 0) & (out <= 1))
