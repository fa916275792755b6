"""Tone steps and chroma lift the engine draws for distilled models that leave the teacher's colour stage to it:
plateaus at the right places, the teacher's own operator, the teacher's order (lines found before the steps), cards
checked."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Cartoonizer
from engine.errors import ModelError
from engine.frames import from_network, to_network
from engine.ink_lines import draw_ink_lines
from engine.models import load_card
from engine.region_flatten import flatten_regions
from engine.tone_steps import (ToneStepsParams, apply_tone_steps, cielab_lightness, soft_quantize,
                               tone_steps_and_lightness)
from training.teacher import bootstrap_arguments, cartoon_abstraction, get_style

from .helpers import pattern, write_model

COMIC = get_style("comic")
FLATTEN = {"sigma_spatial": 60.0, "sigma_color": 0.15}


def test_soft_quantize_makes_tone_plateaus_and_keeps_order() -> None:
    lightness = np.linspace(0, 100, 10001, dtype=np.float32)
    quantized = soft_quantize(lightness, levels=10, sharpness=0.35)
    assert np.all(np.diff(quantized) >= -0.7)  # the tanh steps meet within a fraction of a lightness unit
    slope = np.gradient(quantized, lightness)
    # Plateaus half-way between the step values (45, 55 ...), steep transitions at them (50 ...).
    assert np.abs(slope[(lightness > 44) & (lightness < 44.8)]).max() < 0.5
    assert slope[(lightness > 49.5) & (lightness < 50.5)].min() > 1.0


def test_tone_steps_flatten_a_ramp_and_lift_chroma() -> None:
    ramp = np.repeat(np.linspace(0.05, 0.95, 200, dtype=np.float32)[None, :, None], 3, axis=2).repeat(8, axis=0)
    ramp[..., 0] *= 0.9  # a little colour to lift
    toned = apply_tone_steps(ramp, COMIC.tone_steps())
    assert toned.shape == ramp.shape and toned.dtype == np.float32
    assert 0.0 <= toned.min() and toned.max() <= 1.0
    slope = np.gradient(cielab_lightness(toned)[0]) / np.gradient(cielab_lightness(ramp)[0])
    assert (np.abs(slope) < 0.5).mean() > 0.5 and slope.max() > 2.0  # plateaus joined by steep steps, not a ramp

    def chroma(image: np.ndarray) -> np.ndarray:
        return np.hypot(*cv2.cvtColor(image, cv2.COLOR_RGB2LAB)[..., 1:].transpose(2, 0, 1))

    assert chroma(toned).mean() > 1.3 * chroma(ramp).mean()  # comic lifts chroma x1.5 (clipped where it leaves RGB)


def test_no_steps_and_no_lift_leave_the_image() -> None:
    image = pattern(4, 24, 32).astype(np.float32) / 255.0
    unchanged = apply_tone_steps(image, ToneStepsParams(levels=0, sharpness=1.0, saturation=1.0))
    np.testing.assert_allclose(unchanged, image, atol=1 / 255)  # OpenCV's CIELAB round trip: within a level


def test_one_conversion_gives_the_steps_and_the_lightness_before_them() -> None:
    image = pattern(5, 24, 32).astype(np.float32) / 255.0
    toned, lightness = tone_steps_and_lightness(image, COMIC.tone_steps())
    np.testing.assert_array_equal(toned, apply_tone_steps(image, COMIC.tone_steps()))
    np.testing.assert_array_equal(lightness, cielab_lightness(image))  # the lines' lightness: before the steps
    assert not np.allclose(lightness, cielab_lightness(toned), atol=0.01)


def test_the_engine_finishes_the_teachers_flat_frame_as_the_teacher_does() -> None:
    """The comic teacher's flattened frame (what a --tones-in-engine student learns), given the engine's tone steps
    and the lines found on its lightness before them, is the whole teacher but for the flat frame's rounding to
    8 bits, which a steep step can move by a few levels."""
    style = get_style("comic")
    frame = pattern(3, 96, 128)
    teacher = cartoon_abstraction(frame, style)
    flat = cartoon_abstraction(frame, style.flat_only()).astype(np.float32) / 255.0
    assert style.flat_only().name == "comic_flat" and bootstrap_arguments("comic_flat") == "--style comic --flat-only"
    finished = draw_ink_lines(apply_tone_steps(flat, style.tone_steps()), style.ink_lines(),
                              lightness=cielab_lightness(flat))
    difference = np.abs(np.rint(finished * 255.0) - teacher.astype(np.float32))
    assert difference.mean() < 1.0 and np.percentile(difference, 99) <= 12
    # The lines drawn on the toned frame's own lightness are not the teacher's: the order matters.
    toned_lines = draw_ink_lines(apply_tone_steps(flat, style.tone_steps()), style.ink_lines())
    assert np.abs(np.rint(toned_lines * 255.0) - teacher).mean() > difference.mean()


@pytest.mark.parametrize("field, value", [("levels", -1), ("sharpness", 0.0), ("saturation", -0.5)])
def test_bad_parameters_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"{field} out of range"):
        ToneStepsParams(**{**asdict(COMIC.tone_steps()), field: value}).validate()


def test_a_card_naming_the_tones_gets_them_between_the_flattening_and_the_ink(tmp_path: Path) -> None:
    write_model(tmp_path, "plain", seed=1)
    write_model(tmp_path, "toned", seed=1, postprocess={"region_flatten": FLATTEN,
                                                        "tone_steps": asdict(COMIC.tone_steps()),
                                                        "ink_lines": asdict(COMIC.ink_lines())})
    card = load_card(tmp_path / "toned.onnx")
    assert card.tone_steps == COMIC.tone_steps() and card.ink_lines == COMIC.ink_lines()
    frame = pattern(0, 40, 56)
    plain = Cartoonizer(tmp_path / "plain.onnx", device="cpu")
    flat = flatten_regions(from_network(plain._session.run(to_network(frame)[None])[0]), **FLATTEN)
    finished = draw_ink_lines(apply_tone_steps(flat, COMIC.tone_steps()), COMIC.ink_lines(),
                              lightness=cielab_lightness(flat))
    expected = np.rint(finished * 255).astype(np.uint8)
    np.testing.assert_array_equal(Cartoonizer(tmp_path / "toned.onnx", device="cpu").process(frame), expected)


@pytest.mark.parametrize("step, message", [
    ([6, 0.5], "must be an object with levels"),
    ({"levels": 6, "sharpness": 0.5}, "'saturation'"),
    ({"levels": 6.5, "sharpness": 0.5, "saturation": 1.5}, "'levels' must be int"),
    ({"levels": 6, "sharpness": -1.0, "saturation": 1.5}, "sharpness out of range"),
])
def test_a_bad_tone_step_in_a_card_names_the_card(tmp_path: Path, step: object, message: str) -> None:
    write_model(tmp_path, "bad", postprocess={"tone_steps": step})
    with pytest.raises(ModelError, match=message) as caught:
        load_card(tmp_path / "bad.onnx")
    assert "bad.json" in str(caught.value)
