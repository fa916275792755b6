"""The shipped colorize weights (engine/weights/lcmftn.onnx, the default, and lcmftn_nocmft.onnx, the fast choice):
they load and colour plausibly."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Colorizer, Reference
from engine.models import WEIGHTS_DIR

from .colorize_fixtures import clip, scene


def _if_shipped(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not (WEIGHTS_DIR / f"{name}.onnx").is_file(),
                              reason=f"engine/weights/{name}.onnx is not in this checkout")


SHIPPED = [pytest.param(name, marks=_if_shipped(name)) for name in ("lcmftn", "lcmftn_nocmft")]


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


@_if_shipped("lcmftn")
def test_default_colorizer_is_the_shipped_lcmftn() -> None:
    col = Colorizer(device="cpu")
    assert col.card.name == "lcmftn" and col.card.task == "colorize"
    assert col.card.onnx_path == WEIGHTS_DIR / "lcmftn.onnx"
    assert col.max_side == col.card.max_side > 0


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_colours_a_synthetic_shape_from_its_keyframe(name: str) -> None:
    col = Colorizer(model=name, device="cpu")
    assert col.card.name == name and col.card.onnx_path == WEIGHTS_DIR / f"{name}.onnx"
    key_line, key_colour = scene(0, 96, 128)
    line, truth = scene(3, 96, 128)  # the ball moved 6 px
    out = col.colorize_frame(line, [Reference(key_line, key_colour)])
    assert out.shape == (96, 128, 3) and out.dtype == np.uint8
    gray = np.full_like(truth, 128)
    assert _mean_abs(out, truth) < _mean_abs(gray, truth)
    # away from the lines the keyframe's fill colours come back, not just any colour
    fill = line == 255
    assert _mean_abs(out[fill], truth[fill]) < 0.6 * _mean_abs(gray[fill], truth[fill])


def test_fine_alignment_offers_the_keyframe_twice_and_colours_a_small_move_closer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A ball moving 2 px a frame: the keyframe aligned by flow on the sharp lines puts its colour edges where the
    # lines are; the blurred-line alignment alone leaves them a little smeared.
    lines, colours = clip(8, 96, 128)
    errors = {}
    for fine in (False, True):
        col = Colorizer("lcmftn", device="cpu", fine_alignment=fine)
        widths: list[int] = []
        with monkeypatch.context() as patch:
            real = col._session.run_inputs
            patch.setattr(col._session, "run_inputs",
                          lambda inputs, real=real: widths.append(inputs["reference_color"].shape[0]) or real(inputs))
            outs = list(col.colorize(lines, {0: colours[0]}))
        assert widths[0] == (2 if fine else 1) and widths[-1] == (3 if fine else 2)
        errors[fine] = np.mean([_mean_abs(outs[i], colours[i]) for i in range(1, 8)])
    assert errors[True] < 0.7 * errors[False], errors
