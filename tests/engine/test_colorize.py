"""engine.Colorizer on real line-art frames through a real (fixed-weight, untrained) ONNX colorize model."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from engine import Colorizer, Reference
from engine.errors import InputError, ModelError, SettingsError
from engine.models import resolve_model

from .colorize_fixtures import clip, scene, write_colorize_model


@pytest.fixture()
def colorizer(colorize_model: Path) -> Colorizer:
    return Colorizer(colorize_model, device="cpu")


def _spy_references(col: Colorizer, monkeypatch: pytest.MonkeyPatch) -> list[list[np.ndarray]]:
    """Record the reference line arts of every network pass of ``col``."""
    calls: list[list[np.ndarray]] = []
    real = col._colorize_gray

    def spy(gray: np.ndarray, refs: list) -> np.ndarray:
        calls.append([r.gray for r in refs])
        return real(gray, refs)

    monkeypatch.setattr(col, "_colorize_gray", spy)
    return calls


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


@pytest.mark.parametrize("size", [(37, 53), (8, 8), (1, 1), (64, 24)])
def test_frame_keeps_size_for_any_shape(colorizer: Colorizer, size: tuple[int, int]) -> None:
    h, w = size
    line, colour = scene(0, max(h, 8), max(w, 8))
    line, colour = line[:h, :w], colour[:h, :w]
    out = colorizer.colorize_frame(line if h > 1 else np.full((1, 1), 255, np.uint8),
                                   [Reference(line if h > 1 else np.full((1, 1), 255, np.uint8), colour)])
    assert out.shape == (h, w, 3) and out.dtype == np.uint8


def test_frame_takes_colour_from_the_reference(colorizer: Colorizer) -> None:
    line0, colour0 = scene(0, 48, 64)
    line1, colour1 = scene(1, 48, 64)
    out = colorizer.colorize_frame(np.repeat(line1[..., None], 3, axis=2), [Reference(line0, colour0)])
    gray = np.full_like(colour1, 128)
    assert _mean_abs(out, colour1) < 0.5 * _mean_abs(gray, colour1)
    lines = line1 < 128
    assert out[lines].max() < 60, "lines of the current frame are drawn dark"


def test_sequence_sizes_and_keyframe_passthrough(colorizer: Colorizer) -> None:
    lines, colours = clip(6, 37, 53)
    outs = list(colorizer.colorize(lines, {0: colours[0], 4: colours[4]}))
    assert len(outs) == 6
    assert all(o.shape == (37, 53, 3) and o.dtype == np.uint8 for o in outs)
    np.testing.assert_array_equal(outs[0], colours[0])
    np.testing.assert_array_equal(outs[4], colours[4])
    assert _mean_abs(outs[1], colours[1]) < 10


def test_chain_uses_keyframe_and_previous_output(colorizer: Colorizer, monkeypatch: pytest.MonkeyPatch) -> None:
    lines, colours = clip(4, 40, 56)
    calls = _spy_references(colorizer, monkeypatch)
    outs = list(colorizer.colorize(lines, {0: colours[0]}))
    # frame 1: the keyframe only (the previous frame *is* the keyframe); frames 2, 3: keyframe + previous output
    assert [len(c) for c in calls] == [1, 2, 2]
    np.testing.assert_array_equal(calls[1][1], lines[1])
    expected = colorizer.colorize_frame(lines[2], [Reference(lines[0], colours[0]), Reference(lines[1], outs[1])])
    np.testing.assert_array_equal(outs[2], expected)


def test_shot_cut_resets_chain_to_keyframe(colorizer: Colorizer, monkeypatch: pytest.MonkeyPatch) -> None:
    lines, colours = clip(9, 40, 56, cut_at=6)
    calls = _spy_references(colorizer, monkeypatch)
    outs = list(colorizer.colorize(lines, {0: colours[0]}))
    assert colorizer.cuts == [6]
    assert [len(c) for c in calls] == [1, 2, 2, 2, 2, 1, 2, 2]  # frames 1..8; frame 6 (after the cut) key only
    np.testing.assert_array_equal(outs[6], colorizer.colorize_frame(lines[6], [Reference(lines[0], colours[0])]))
    without_reset = colorizer.colorize_frame(lines[6], [Reference(lines[0], colours[0]),
                                                        Reference(lines[5], outs[5])])
    assert not np.array_equal(outs[6], without_reset)


def test_held_drawings_repeat_the_previous_output(colorize_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Animation on twos: each drawing shown twice. A held frame repeats the previous output exactly and costs no
    # network run, including the frame that holds the keyframe's drawing; --no-reuse-holds colours every frame.
    lines, colours = clip(3, 40, 56)
    on_twos = [lines[0], lines[0], lines[1], lines[1], lines[2], lines[2]]
    col = Colorizer(colorize_model, device="cpu")
    calls = _spy_references(col, monkeypatch)
    outs = list(col.colorize(on_twos, {0: colours[0]}))
    assert col.holds == [1, 3, 5] and len(calls) == 2
    for held in (1, 3, 5):
        np.testing.assert_array_equal(outs[held], outs[held - 1])
    every = Colorizer(colorize_model, device="cpu", reuse_holds=False)
    calls = _spy_references(every, monkeypatch)
    again = list(every.colorize(on_twos, {0: colours[0]}))
    assert every.holds == [] and len(calls) == 5
    np.testing.assert_array_equal(again[2], outs[2])  # the first frame of a drawing is coloured the same way


def test_a_slow_drift_is_not_one_long_hold(colorize_model: Path) -> None:
    # The drawing cross-fades to itself moved by one pixel over 20 frames: each step is under the hold tolerance,
    # their sum is not. Holds are judged against the drawing the repeated colour was made for.
    line, colour = scene(0, 40, 56)
    moved = np.roll(line, 1, axis=1)
    drift = [np.rint(line + (moved.astype(np.float32) - line) * min(t / 20, 1)).astype(np.uint8) for t in range(24)]
    from engine.lineart import is_held_drawing

    assert all(is_held_drawing(a, b) for a, b in zip(drift, drift[1:]))  # every step alone looks like a hold
    assert not is_held_drawing(drift[0], drift[-1])
    col = Colorizer(colorize_model, device="cpu")
    list(col.colorize(drift, {0: colour}))
    coloured = [i for i in range(24) if i not in col.holds]
    assert col.holds and len(coloured) > 2
    for i in col.holds:  # each held frame is within tolerance of the frame whose colour it repeats
        assert is_held_drawing(drift[max(c for c in coloured if c < i)], drift[i]), i


def test_nearest_keyframe_is_the_reference(colorizer: Colorizer, monkeypatch: pytest.MonkeyPatch) -> None:
    lines, colours = clip(12, 40, 56)
    calls = _spy_references(colorizer, monkeypatch)
    list(colorizer.colorize(lines, {0: colours[0], 10: colours[10]}))
    frames = [i for i in range(12) if i not in (0, 10)]
    key_of = {i: c[0] for i, c in zip(frames, calls)}
    for i in (1, 2, 5):  # 5 is equidistant: the earlier keyframe wins
        np.testing.assert_array_equal(key_of[i], lines[0])
    for i in (6, 8, 9, 11):
        np.testing.assert_array_equal(key_of[i], lines[10])
    assert [len(calls[frames.index(i)]) for i in (9, 11)] == [2, 1]  # 11 follows keyframe 10 itself


def test_capped_resolution_keeps_full_size_and_sharp_lines(colorize_model: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    capped = Colorizer(colorize_model, device="cpu", max_side=32)
    assert capped.network_size(60, 90) == (21, 32)
    shapes: list[tuple[int, ...]] = []
    real_run = capped._session.run_inputs

    def spy(feeds: dict) -> np.ndarray:
        shapes.append(feeds["sketch"].shape)
        return real_run(feeds)

    monkeypatch.setattr(capped._session, "run_inputs", spy)
    line0, colour0 = scene(0, 60, 90)
    line1, colour1 = scene(1, 60, 90)
    out = capped.colorize_frame(line1, [Reference(line0, colour0)])
    assert shapes == [(1, 1, 24, 32)]
    assert out.shape == (60, 90, 3)
    assert out[line1 < 128].max() < 60, "full-resolution lines stay dark"
    full = Colorizer(colorize_model, device="cpu", max_side=0).colorize_frame(line1, [Reference(line0, colour0)])
    assert _mean_abs(out, full) < 12
    assert _mean_abs(out, colour1) < 0.5 * _mean_abs(np.full_like(colour1, 128), colour1)


def test_card_max_side_is_the_default(tmp_path: Path) -> None:
    path = write_colorize_model(tmp_path, "capped", max_side=48)
    assert Colorizer(path, device="cpu").max_side == 48
    assert Colorizer(path, device="cpu", max_side=0).network_size(100, 200) == (100, 200)
    assert Colorizer(path, device="cpu").network_size(100, 200) == (24, 48)


def test_keyframe_of_another_size_is_resized(colorizer: Colorizer, caplog: pytest.LogCaptureFixture) -> None:
    lines, colours = clip(3, 40, 56)
    big_key = np.repeat(np.repeat(colours[0], 2, axis=0), 2, axis=1)
    with caplog.at_level(logging.WARNING):
        outs = list(colorizer.colorize(lines, {0: big_key}))
    assert "keyframe 0 is 112x80 but its line art is 56x40: resized" in caplog.text
    assert all(o.shape == (40, 56, 3) for o in outs)
    assert _mean_abs(outs[0], colours[0]) < 3


def test_no_keyframe(colorizer: Colorizer) -> None:
    lines, _ = clip(3, 16, 16)
    with pytest.raises(InputError, match="no keyframe"):
        colorizer.colorize(lines, {})


@pytest.mark.parametrize("index", [3, -1, 100])
def test_keyframe_outside_sequence(colorizer: Colorizer, index: int) -> None:
    lines, colours = clip(3, 16, 16)
    with pytest.raises(InputError, match=rf"keyframe {index} is outside the line-art sequence \(frames 0-2\)"):
        colorizer.colorize(lines, {index: colours[0]})


def test_colour_frames_as_lineart_are_refused(colorizer: Colorizer) -> None:
    lines, colours = clip(4, 40, 56)
    with pytest.raises(InputError, match="frame 0: looks like colour frames, not line art"):
        colorizer.colorize(colours, {0: colours[0]})  # the keyframe's own line art is checked up front
    mixed = lines[:2] + [colours[2]] + lines[3:]
    stream = colorizer.colorize(mixed, {0: colours[0]})
    next(stream), next(stream)
    with pytest.raises(InputError, match="frame 2: looks like colour frames, not line art"):
        next(stream)
    dark = np.full((40, 56), 30, np.uint8)  # a gray photo / white-on-black drawing: not dark lines on white
    with pytest.raises(InputError, match="near-white paper"):
        colorizer.colorize_frame(dark, [Reference(lines[0], colours[0])])


def test_heavy_lineart_with_gray_fills_is_accepted(colorizer: Colorizer) -> None:
    lines, colours = clip(2, 40, 56)
    heavy = np.full((40, 56), 255, np.uint8)
    heavy[:, 20:] = 150  # a screentone-like gray fill over most of the frame; paper: 18 of 56 columns = 32 %
    heavy[:, 18:22] = 0
    out = colorizer.colorize_frame(heavy, [Reference(lines[0], colours[0])])
    assert out.shape == (40, 56, 3) and out.dtype == np.uint8


def test_bad_frames_and_references(colorizer: Colorizer) -> None:
    lines, colours = clip(2, 16, 16)
    with pytest.raises(InputError, match="no reference"):
        colorizer.colorize_frame(lines[1], [])
    with pytest.raises(InputError, match="expected a numpy array"):
        colorizer.colorize_frame("frame.png", [Reference(lines[0], colours[0])])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="reference 0: its colour is 8x8 but its line art is 16x16"):
        colorizer.colorize_frame(lines[1], [Reference(lines[0], colours[0][:8, :8])])
    with pytest.raises(InputError, match="keyframe 0 colour: frame 0: expected 1 .* channels, got 5"):
        colorizer.colorize(lines, {0: np.zeros((16, 16, 5), np.uint8)})


def test_alpha_lineart_is_paper_where_transparent(colorizer: Colorizer) -> None:
    line, colour = scene(0, 32, 40)
    rgba = np.zeros((32, 40, 4), np.uint8)  # transparent black everywhere except the lines
    rgba[..., 3] = np.where(line < 128, 255, 0)
    out = colorizer.colorize_frame(rgba, [Reference(line, colour)])
    assert _mean_abs(out, colour) < 5


def test_settings_and_model_errors(colorize_model: Path, tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="max side 4 is too small"):
        Colorizer(colorize_model, device="cpu", max_side=4)
    with pytest.raises(SettingsError, match="hold tolerance must be in"):
        Colorizer(colorize_model, device="cpu", hold_tolerance=-1)
    with pytest.raises(SettingsError, match="unknown device"):
        Colorizer(colorize_model, device="tpu")
    with pytest.raises(ModelError, match="is a 'cartoonize' model, not a 'colorize' model"):
        Colorizer(tiny_model, device="cpu")
    bad = write_colorize_model(tmp_path, "nocolour", input_names=["sketch", "reference_sketch"])
    with pytest.raises(ModelError, match="a colorize model needs the inputs"):
        resolve_model(bad, "colorize")
    wrong = write_colorize_model(tmp_path, "renamed", input_names=["sketch", "reference_sketch", "ref_color"])
    with pytest.raises(ModelError, match="needs the inputs"):
        Colorizer(wrong, device="cpu")


def test_default_model_is_lcmftn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from engine import models

    monkeypatch.setattr(models, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(ModelError, match="model 'lcmftn' not found; no colorize models are installed"):
        Colorizer(device="cpu")


def test_lineart_checks_and_cut_score() -> None:
    from engine.lineart import ink_correlation, is_shot_cut, to_lineart_gray

    sparse = np.full((60, 80, 3), 255, np.uint8)
    sparse[10:24, 10:30] = (220, 30, 30)  # a mostly white colour frame: 6 % coloured pixels
    with pytest.raises(InputError, match=r"frame 3: looks like colour frames, not line art \(6% of the pixels"):
        to_lineart_gray(sparse, 3)
    line_a, _ = scene(0, 60, 80)
    assert to_lineart_gray(np.repeat(line_a[..., None], 3, axis=2)).shape == (60, 80)
    line_next, _ = scene(1, 60, 80)
    line_b, _ = scene(0, 60, 80, kind="b")
    assert ink_correlation(line_a, line_next) > 0.8
    assert not is_shot_cut(line_a, line_next) and is_shot_cut(line_a, line_b)
    blank = np.full((60, 80), 255, np.uint8)
    assert ink_correlation(blank, blank) == 1.0 and is_shot_cut(blank, line_a)


def test_held_drawing_survives_codec_noise_but_not_a_one_pixel_move() -> None:
    import cv2

    from engine.lineart import is_held_drawing

    line, _ = scene(0, 60, 80)
    recoded = [cv2.imdecode(cv2.imencode(".jpg", line, [cv2.IMWRITE_JPEG_QUALITY, q])[1], cv2.IMREAD_GRAYSCALE)
               for q in (85, 95)]
    assert is_held_drawing(line, line.copy())
    assert is_held_drawing(recoded[0], recoded[1])  # one drawing, two encodings (blurred difference 5)
    assert not is_held_drawing(line, np.roll(line, 1, axis=1))
    dot = np.full((60, 80), 255, np.uint8)
    moved = dot.copy()
    dot[30, 40] = moved[30, 41] = 55  # one pixel of ink 200 levels dark, moved by one pixel
    assert not is_held_drawing(dot, moved)
    assert not is_held_drawing(line, line[:, :-1])


def test_multi_input_card_and_io_binding_path(colorize_model: Path, tmp_path: Path) -> None:
    from engine.models import load_card
    from engine.runtime import get_session

    card = resolve_model(colorize_model, "colorize")
    assert card.input_names == ("sketch", "reference_sketch", "reference_color")
    assert card.input_name == "sketch" and card.output_names == ("color",) and card.max_side == 0
    session = get_session(card, "cpu")
    rng = np.random.default_rng(0)
    feeds = {"sketch": rng.uniform(-1, 1, (1, 1, 16, 24)), "reference_sketch": rng.uniform(-1, 1, (3, 1, 16, 24)),
             "reference_color": rng.uniform(-1, 1, (3, 3, 16, 24))}
    feeds = {k: v.astype(np.float32) for k, v in feeds.items()}
    np.testing.assert_allclose(session._run_bound(feeds, "cpu"), session.run_inputs(feeds), atol=1e-6)
    with pytest.raises(ModelError, match=r"inference failed on input of shape sketch \(1, 1, 15, 24\)"):
        session.run_inputs({**feeds, "sketch": feeds["sketch"][:, :, :15]})
    bad = write_colorize_model(tmp_path, "badname", input_name="image")
    with pytest.raises(ModelError, match="'input_name' 'image' is not one of 'input_names'"):
        load_card(bad)
    with pytest.raises(ModelError, match="'max_side' must be 0 \\(no limit\\) or at least the size multiple 8"):
        load_card(write_colorize_model(tmp_path, "tiny_side", max_side=4))
