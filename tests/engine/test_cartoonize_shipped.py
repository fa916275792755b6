"""The shipped cartoonize weights (engine/weights: `cel`, the default, and `cel_lite`, `comic`, `comic_lite`): each
card names its look and its teacher style, and each model loads and visibly changes a frame of the sample clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.cartoonize.look import flatness
from engine import Cartoonizer, open_frames
from engine.models import DEFAULT_MODELS, WEIGHTS_DIR, load_card
from engine.region_flatten import flatten_regions
from training.metrics.psnr import psnr_uint8
from training.teacher import cartoon_abstraction, get_style

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


def _as_uint8(rgb01: np.ndarray) -> np.ndarray:
    """A float [0, 1] frame as the engine writes it."""
    return np.rint(rgb01 * 255).astype(np.uint8)


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
    flattened = flatten_regions(network, toon.card.region_flatten.sigma_spatial, toon.card.region_flatten.sigma_color)
    assert flatness(_as_uint8(flattened)) > flatness(_as_uint8(network)) + 0.01  # measured +0.02 to +0.03 here
    assert np.abs(flattened - network).mean() < 0.02  # a finishing step, not another look


def _teacher_psnr_before_and_after_the_finish(toon: Cartoonizer, style: str) -> tuple[float, float]:
    """PSNR (dB) to the teacher on the sample clip's first frame of the network's output alone and after the card's
    post-filters."""
    frame = _first_sample_frame()
    teacher = cartoon_abstraction(frame, get_style(style))
    network = psnr_uint8(_as_uint8(toon.network_rgb(frame)), teacher)
    finished = psnr_uint8(_as_uint8(toon.cartoonize_rgb(frame)), teacher)
    return network, finished


#: shipped models whose network learned the teacher's flattened frame only and whose card has the engine draw the
#: teacher's tone steps, chroma lift and ink lines (trained with --tones-in-engine --temporal-on-finish)
ENGINE_FINISHED = ("comic", "comic_lite")


@pytest.mark.parametrize("name", [pytest.param(name, marks=_if_shipped(name)) for name in ENGINE_FINISHED])
def test_the_engine_finish_brings_a_flat_network_to_its_teacher(name: str) -> None:
    """On a real frame the card's finish (tone steps and ink after the flattening) turns the network's flat output
    into its teacher's look: well nearer the teacher than the network alone."""
    toon = Cartoonizer(name, device="cpu")
    assert toon.card.tone_steps is not None and toon.card.ink_lines is not None
    network, finished = _teacher_psnr_before_and_after_the_finish(toon, STYLES[name])
    assert finished > network + 1.0, (finished, network)


#: shipped models whose network draws its teacher's tone steps and lines but not its chroma lift and whose card has
#: the engine lift the chroma (tone steps with no steps; trained with --chroma-in-engine)
ENGINE_LIFTED = ("cel", "cel_lite")


@pytest.mark.parametrize("name", [pytest.param(name, marks=_if_shipped(name)) for name in ENGINE_LIFTED])
def test_the_engine_chroma_lift_brings_an_unlifted_network_to_its_teacher(name: str) -> None:
    """On a real frame the card's chroma lift (no tone steps, no ink) turns the network's paler output into its
    teacher's vivid look: nearer the teacher than the network alone."""
    toon = Cartoonizer(name, device="cpu")
    assert toon.card.tone_steps is not None and toon.card.tone_steps.levels == 0 and toon.card.ink_lines is None
    network, finished = _teacher_psnr_before_and_after_the_finish(toon, STYLES[name])
    assert finished > network + 1.0, (finished, network)
