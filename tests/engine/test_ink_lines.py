"""Ink lines the engine draws for distilled models that leave the teacher's ink to it: lines on edges, none on flat
colour, the teacher's own operator, cards checked."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from engine import Cartoonizer
from engine.errors import ModelError
from engine.frames import from_network, to_network
from engine.ink_lines import InkLinesParams, draw_ink_lines, ink_darkness
from engine.models import load_card
from engine.region_flatten import flatten_regions
from training.teacher import cartoon_abstraction, get_style

from .helpers import pattern, write_model

COMIC_INK = get_style("comic").ink_lines()
FLATTEN = {"sigma_spatial": 60.0, "sigma_color": 0.15}


def _two_regions(width: int = 64) -> np.ndarray:
    """A light left half and a darker right half: one edge, two flat regions."""
    image = np.full((48, width, 3), 0.85, np.float32)
    image[:, width // 2:] = (0.3, 0.45, 0.6)
    return image


def test_a_line_on_the_edge_and_none_on_flat_colour() -> None:
    image = _two_regions()
    out = draw_ink_lines(image, COMIC_INK)
    assert out.shape == image.shape and out.dtype == np.float32
    darkening = (image - out).mean(axis=(0, 2))
    assert darkening[28:36].max() > 0.2  # the edge is inked
    np.testing.assert_allclose(out[:, :20], image[:, :20], atol=1e-6)  # flat colour away from it is untouched
    np.testing.assert_allclose(out[:, 44:], image[:, 44:], atol=1e-6)


def test_a_flat_image_gets_no_ink() -> None:
    flat = np.full((32, 40, 3), 0.5, np.float32)
    np.testing.assert_allclose(draw_ink_lines(flat, COMIC_INK), flat, atol=1e-6)


def test_wider_lines_and_strength_zero() -> None:
    lightness = np.where(np.arange(64) < 32, 0.9, 0.3).astype(np.float32)[None].repeat(16, axis=0)
    thin = ink_darkness(lightness, InkLinesParams(**{**asdict(COMIC_INK), "line_width": 1}))
    wide = ink_darkness(lightness, InkLinesParams(**{**asdict(COMIC_INK), "line_width": 5}))
    assert (wide > 0.5).sum() > (thin > 0.5).sum() > 0
    none = InkLinesParams(**{**asdict(COMIC_INK), "strength": 0.0})
    image = _two_regions()
    np.testing.assert_array_equal(draw_ink_lines(image, none), image)


def test_the_teacher_inks_with_the_same_operator() -> None:
    """The comic teacher without ink, inked by the engine on its own flattened lightness, is the teacher: the lines a
    student leaves to the engine are the teacher's lines wherever the tones agree."""
    style = get_style("comic")
    frame = pattern(3, 96, 128)
    inked = cartoon_abstraction(frame, style)
    plain = cartoon_abstraction(frame, style.without_ink())
    assert style.without_ink().name == "comic_noink" and style.without_ink().ink_strength == 0.0
    assert (plain.astype(int) - inked.astype(int)).min() >= 0  # ink only darkens
    assert (plain.astype(int) - inked.astype(int)).max() > 100  # and there are heavy lines to darken


@pytest.mark.parametrize("field, value", [("sigma", 0.0), ("k", 1.0), ("p", -1.0), ("phi", 0.0), ("line_width", 0),
                                          ("strength", 1.5)])
def test_bad_parameters_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"{field} out of range"):
        InkLinesParams(**{**asdict(COMIC_INK), field: value}).validate()


def test_a_card_naming_the_ink_gets_it_after_the_flattening(tmp_path: Path) -> None:
    write_model(tmp_path, "plain", seed=1)
    write_model(tmp_path, "inked", seed=1, postprocess={"region_flatten": FLATTEN, "ink_lines": asdict(COMIC_INK)})
    card = load_card(tmp_path / "inked.onnx")
    assert card.ink_lines == COMIC_INK
    frame = pattern(0, 40, 56)
    plain = Cartoonizer(tmp_path / "plain.onnx", device="cpu")
    raw = from_network(plain._session.run(to_network(frame)[None])[0])
    expected = np.rint(draw_ink_lines(flatten_regions(raw, **FLATTEN), COMIC_INK) * 255).astype(np.uint8)
    np.testing.assert_array_equal(Cartoonizer(tmp_path / "inked.onnx", device="cpu").process(frame), expected)


@pytest.mark.parametrize("step, message", [
    ([1.0, 1.6], "must be an object with sigma"),
    ({k: v for k, v in asdict(COMIC_INK).items() if k != "phi"}, "'phi'"),
    ({**asdict(COMIC_INK), "line_width": 1.5}, "'line_width' must be int"),
    ({**asdict(COMIC_INK), "strength": 2.0}, "strength out of range"),
])
def test_a_bad_ink_step_in_a_card_names_the_card(tmp_path: Path, step: object, message: str) -> None:
    write_model(tmp_path, "bad", postprocess={"ink_lines": step})
    with pytest.raises(ModelError, match=message) as caught:
        load_card(tmp_path / "bad.onnx")
    assert "bad.json" in str(caught.value)
