"""The differentiable copy of the engine's finish (tone steps, chroma lift, ink) that `--temporal-on-finish` and
`--finish-weight` train through: it draws what the engine draws, gradients reach the flat input, and it needs a
tones-in-engine recipe."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from engine.ink_lines import draw_ink_lines
from engine.tone_steps import apply_tone_steps, cielab_lightness
from tests.engine.helpers import pattern
from training.recipes import get_recipe
from training.teacher import cartoon_abstraction, get_style
from training.teacher.differentiable_finish import DifferentiableFinish


@pytest.mark.parametrize("name", ["cel", "comic"])
def test_it_draws_what_the_engine_draws(name: str) -> None:
    style = get_style(name)
    flat = cartoon_abstraction(pattern(5, 96, 128), style.flat_only()).astype(np.float32) / 255.0
    engine = draw_ink_lines(apply_tone_steps(flat, style.tone_steps()), style.ink_lines(),
                            lightness=cielab_lightness(flat))
    flat_tensor = torch.from_numpy(flat).permute(2, 0, 1)[None] * 2 - 1
    finished = (DifferentiableFinish(style)(flat_tensor)[0].permute(1, 2, 0).numpy() + 1) / 2
    difference = np.abs(finished - engine)
    # kornia's CIELAB is within 0.2 L* of OpenCV's: a pixel right at a step or line threshold may differ more
    assert difference.mean() < 0.005 and np.percentile(difference, 99) < 0.05
    assert np.abs(engine - flat).mean() > 10 * difference.mean()  # the finish itself changes the frame far more


def test_gradients_reach_the_flat_input_most_near_steps_and_lines() -> None:
    style = get_style("comic")
    flat = torch.from_numpy(cartoon_abstraction(pattern(2, 64, 64), style.flat_only())).permute(2, 0, 1)[None]
    flat = (flat.float() / 127.5 - 1).requires_grad_(True)
    DifferentiableFinish(style)(flat).sum().backward()
    assert flat.grad is not None and torch.isfinite(flat.grad).all() and flat.grad.abs().sum() > 0


def test_training_through_the_finish_needs_the_tones_in_the_engine() -> None:
    with pytest.raises(ValueError, match="needs tones_in_engine"):
        get_recipe("comic_lite", "smoke", temporal_on_finish=True)
    assert get_recipe("comic_lite", "smoke", temporal_on_finish=True, tones_in_engine=True).temporal_on_finish
    assert get_recipe("cel", "smoke", temporal_on_finish=True, chroma_in_engine=True).temporal_on_finish
    finish_weight = replace(get_recipe("comic_lite", "smoke").weights, finish=1.0)
    with pytest.raises(ValueError, match="finish loss weight needs tones_in_engine"):
        get_recipe("comic_lite", "smoke", weights=finish_weight)
    assert get_recipe("comic_lite", "smoke", weights=finish_weight, tones_in_engine=True).weights.finish == 1.0
