"""The shipped cartoonize weights (engine/weights: `cel`, the default, and `cel_lite`, `comic`, `comic_lite`): each
card names its look and its teacher style, and each model loads and visibly changes a frame of the sample clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.cartoonize.look import flatness
from engine import Cartoonizer, open_frames
from engine.models import DEFAULT_MODELS, WEIGHTS_DIR, load_card

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "cockatoo.mp4"
#: shipped model -> the teacher style it was distilled from (its card's training.config.style)
STYLES = {"cel": "cel", "cel_lite": "cel", "comic": "comic", "comic_lite": "comic"}


def _if_shipped(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not (WEIGHTS_DIR / f"{name}.onnx").is_file(),
                              reason=f"engine/weights/{name}.onnx is not in this checkout")


SHIPPED = [pytest.param(name, marks=_if_shipped(name)) for name in STYLES]


@_if_shipped("cel")
def test_default_cartoonizer_is_the_shipped_cel() -> None:
    toon = Cartoonizer(device="cpu")
    assert toon.card.name == DEFAULT_MODELS["cartoonize"] == "cel" and toon.card.task == "cartoonize"
    assert toon.card.onnx_path == WEIGHTS_DIR / "cel.onnx"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_card_describes_its_look_and_names_its_style(name: str) -> None:
    card = load_card(WEIGHTS_DIR / f"{name}.onnx")
    assert card.name == name and card.task == "cartoonize"
    assert card.description.strip() and "\n" not in card.description  # `toonflow models` prints it on one line
    assert card.raw["training"]["config"]["style"] == STYLES[name]


def _first_sample_frame() -> np.ndarray:
    frames, _ = open_frames(SAMPLE)
    frame = next(frames)
    frames.close()
    return frame


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_on_sample_clip(name: str) -> None:
    frame = _first_sample_frame()
    out = Cartoonizer(name, device="cpu").process(frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.abs(out.astype(np.int16) - frame).mean() > 3.0


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_flattens_its_regions_after_the_network(name: str) -> None:
    """Each distilled card names the region flattening, and on a real frame it makes the network's output flatter
    (the distillation benchmark's flatness)."""
    frame = _first_sample_frame()
    toon = Cartoonizer(name, device="cpu")
    assert toon.card.region_flatten is not None
    network = toon.network_rgb(frame)
    flattened = toon.cartoonize_rgb(frame)
    as_uint8 = lambda rgb01: np.rint(rgb01 * 255).astype(np.uint8)  # noqa: E731
    assert flatness(as_uint8(flattened)) > flatness(as_uint8(network)) + 0.01  # measured +0.02 to +0.03 here
    assert np.abs(flattened - network).mean() < 0.02  # a finishing step, not another look
