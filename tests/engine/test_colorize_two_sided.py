"""Two-sided colouring (``Colorizer(two_sided=True)``, ``--two-sided``): frames between two keyframes coloured from
both, with the shipped model on a drawn scene and with the fixed-weight fixture for the exact chain rules."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Colorizer
from engine.cli import main
from engine.two_sided import (ChainTrust, blend, cut_off, follow, line_band, motion_time, start_trust,
                               stray_edges)

from .colorize_fixtures import clip, write_frames


def _entering_ball(t: int, h: int = 96, w: int = 128) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Line art, colour and the ball's inside of frame ``t``: a red ball that enters from the left edge after frame
    0 (so the first keyframe does not show it) and moves 4 px a frame, past a static green box."""
    line = np.full((h, w), 255, np.uint8)
    colour = np.empty((h, w, 3), np.uint8)
    colour[:] = (235, 225, 190)
    box = (w - 40, 10, w - 6, 50)
    cv2.rectangle(colour, box[:2], box[2:], (40, 160, 70), -1)
    cv2.rectangle(colour, box[:2], box[2:], (0, 0, 0), 1)
    cv2.rectangle(line, box[:2], box[2:], 0, 1)
    radius, centre = 14, (-16 + 4 * t, h // 2 + 10)
    cv2.circle(colour, centre, radius, (210, 40, 40), -1)
    cv2.circle(colour, centre, radius, (0, 0, 0), 1)
    cv2.circle(line, centre, radius, 255, -1)
    cv2.circle(line, centre, radius, 0, 1)
    inside = np.zeros((h, w), np.uint8)
    cv2.circle(inside, centre, radius - 3, 1, -1)
    return line, colour, inside.astype(bool)


def test_an_object_entering_after_the_first_keyframe_gets_the_next_keyframes_colour() -> None:
    # One-sided, frames up to the midpoint take the first keyframe, which has no ball: the ball gets paper or box
    # colours and the chain carries them on. Two-sided, the backward chain follows the ball out of the frame from
    # the second keyframe, and the forward chain's flow says its pixels came from outside the frame.
    frames = [_entering_ball(t) for t in range(21)]
    lines = [f[0] for f in frames]
    keys = {0: frames[0][1], 20: frames[20][1]}

    def ball_error(two_sided: bool) -> float:
        outs = list(Colorizer("lcmftn", device="cpu", two_sided=two_sided).colorize(lines, keys))
        np.testing.assert_array_equal(outs[20], keys[20])
        errors = [np.abs(outs[t][inside].astype(int) - truth[inside]).mean()
                  for t, (_, truth, inside) in enumerate(frames) if 4 <= t <= 15]
        return float(np.mean(errors))

    one, two = ball_error(False), ball_error(True)
    assert two < 0.5 * one and two < 60, (one, two)


def test_frames_outside_keyframe_pairs_are_one_sided_and_keyframes_exact(colorize_model: Path) -> None:
    lines, colours = clip(18, 40, 56)
    keys = {4: colours[4], 12: colours[12]}
    one = list(Colorizer(colorize_model, device="cpu").colorize(lines, keys))
    two = list(Colorizer(colorize_model, device="cpu", two_sided=True).colorize(lines, keys))
    assert len(two) == 18
    for i in [*range(0, 5), *range(12, 18)]:
        np.testing.assert_array_equal(two[i], one[i])
    for k, colour in keys.items():
        np.testing.assert_array_equal(two[k], colour)
    assert any(np.abs(two[i].astype(int) - one[i]).max() > 0 for i in range(5, 12))


def test_a_cut_between_keyframes_ends_the_blend(colorize_model: Path) -> None:
    # Before the cut the frames are the first keyframe's chain alone, from the cut on the second keyframe's chain
    # alone (run backwards), each exactly.
    lines, colours = clip(16, 40, 56, cut_at=8)
    col = Colorizer(colorize_model, device="cpu", two_sided=True)
    two = list(col.colorize(lines, {0: colours[0], 15: colours[15]}))
    assert col.cuts == [8]
    forward = list(Colorizer(colorize_model, device="cpu").colorize(lines, {0: colours[0]}))
    backward = list(Colorizer(colorize_model, device="cpu").colorize(lines[::-1], {0: colours[15]}))[::-1]
    for i in range(1, 8):
        np.testing.assert_array_equal(two[i], forward[i])
    for i in range(8, 15):
        np.testing.assert_array_equal(two[i], backward[i])


def test_held_drawings_repeat_exactly(colorize_model: Path) -> None:
    lines, colours = clip(5, 40, 56)
    on_twos = [lines[0], lines[0], lines[1], lines[1], lines[2], lines[2], lines[3], lines[3], lines[4]]
    keys = {0: colours[0], 8: colours[4]}
    col = Colorizer(colorize_model, device="cpu", two_sided=True)
    outs = list(col.colorize(on_twos, keys))
    assert col.holds == [1, 3, 5, 7]
    for held in col.holds:
        np.testing.assert_array_equal(outs[held], outs[held - 1])
    np.testing.assert_array_equal(outs[1], colours[0])  # holding the keyframe's drawing shows the keyframe


def test_each_pair_of_keyframes_colours_only_its_own_frames(colorize_model: Path) -> None:
    lines, colours = clip(20, 40, 56)
    keys = {0: colours[0], 8: colours[8], 16: colours[16]}
    col = Colorizer(colorize_model, device="cpu", two_sided=True)
    before = list(col.colorize(lines, keys))
    after = list(col.colorize(lines, {**keys, 16: 255 - colours[16]}))
    for i in range(0, 9):
        np.testing.assert_array_equal(after[i], before[i])
    assert all(np.abs(after[i].astype(int) - before[i]).max() > 0 for i in range(9, 20))


def test_cli_two_sided_chunks_agree_with_the_whole_run(colorize_model: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    lines, colours = clip(14, 40, 56)
    folder = write_frames(tmp_path / "lines", lines)
    keys = write_frames(tmp_path / "keys", [colours[2], colours[11]], "key{}.png")
    common = ["--key", f"2={keys / 'key0.png'}", "--key", f"11={keys / 'key1.png'}", "--model", str(colorize_model),
              "--device", "cpu", "--two-sided"]
    assert main(["colorize", str(folder), "-o", str(tmp_path / "whole"), *common]) == 0
    for k, frames in enumerate(("0-5", "6-9", "10-")):
        assert main(["colorize", str(folder), "-o", str(tmp_path / f"part{k}"), "--frames", frames, *common]) == 0
    capsys.readouterr()
    whole = sorted((tmp_path / "whole").glob("*.png"))
    parts = sorted(p for k in range(3) for p in (tmp_path / f"part{k}").glob("*.png"))
    assert [p.name for p in parts] == [p.name for p in whole] and len(whole) == 14
    for a, b in zip(whole, parts):
        np.testing.assert_array_equal(cv2.imread(str(a)), cv2.imread(str(b)))


# ---------------------------------------------------------------------------------------------- engine.two_sided


def _shifted_lines(shift: int) -> tuple[np.ndarray, np.ndarray]:
    lines, _ = clip(1, 64, 96)
    moved = np.full_like(lines[0], 255)
    moved[:, shift:] = lines[0][:, :-shift]
    return lines[0], moved


def test_trust_follows_a_pan_and_sees_the_new_strip() -> None:
    # The frame moved 6 px right: its left strip shows what the keyframe did not.
    key, frame = _shifted_lines(6)
    trust = follow(start_trust(key.shape), key, frame)
    assert np.allclose(trust.to_keyframe[:2, 2], (-6, 0), atol=1.0)
    covered = trust.covered()
    assert covered[:, :4].mean() < 0.1 and covered[:, 10:].mean() > 0.99
    assert trust.reliability[:, 30:70].mean() > 0.9


def test_blend_takes_the_trusted_side_and_none_from_a_cut_one() -> None:
    forward, backward = np.full((8, 8, 3), 200, np.uint8), np.full((8, 8, 3), 40, np.uint8)
    paper = np.full((8, 8), 255, np.uint8)
    fresh = start_trust((8, 8))
    np.testing.assert_array_equal(blend(forward, backward, fresh, cut_off(fresh), 0.9, paper), forward)
    np.testing.assert_array_equal(blend(forward, backward, cut_off(fresh), fresh, 0.1, paper), backward)
    both_cut = blend(forward, backward, cut_off(fresh), cut_off(fresh), 0.5, paper)
    np.testing.assert_array_equal(both_cut, np.full_like(forward, 120))  # the time weights alone
    near_forward = blend(forward, backward, fresh, fresh, 0.1, paper)
    assert int(near_forward[0, 0, 0]) > 195
    doubted = ChainTrust(np.zeros((8, 8), np.float32), np.eye(3), np.zeros((8, 8), np.float32))
    assert int(blend(forward, backward, doubted, fresh, 0.4, paper)[0, 0, 0]) < 60


def test_blend_leaves_a_chain_where_it_paints_colour_edges_the_drawing_does_not_have() -> None:
    # The frame is a square drawn in lines. Both chains are fully trusted and the frame is nearer the forward
    # keyframe, but the forward chain's colour has stripes across the square and the paper that the drawing does not
    # have (colours carried to the wrong place); the backward chain's colour changes only at the drawn lines. There
    # the blend takes the backward chain; far from the stripes the time weights decide, as before.
    lineart = np.full((48, 64), 255, np.uint8)
    cv2.rectangle(lineart, (12, 12), (36, 36), 0, 1)
    right = np.full((48, 64, 3), 230, np.uint8)
    right[13:36, 13:36] = (200, 40, 40)
    wrong = right + 12  # a uniform tint: no edge, so only the time weights tell the chains apart there
    for x in range(20, 40, 6):
        wrong[:, x:x + 3] = (40, 40, 200)
    fresh = start_trust((48, 64))
    band = line_band(lineart)
    assert stray_edges(right, band).max() < 0.01 and stray_edges(wrong, band)[:, 24:36].min() > 0.5
    shown = blend(wrong, right, fresh, fresh, 0.3, lineart).astype(int)
    stripes = (slice(None), slice(20, 40))
    # without the stray edges the time weights alone would keep 97 % of the wrong colour there (measured: 0.01
    # levels from the right colour)
    wrong_by = np.abs(wrong[stripes].astype(int) - right[stripes]).mean()
    assert np.abs(shown[stripes] - right[stripes]).mean() < 0.1 * wrong_by
    far = (slice(None), slice(58, 64))
    assert np.abs(shown[far] - wrong[far]).mean() < 1.5  # the sides differ by 12 levels there


def test_motion_time_counts_change_not_frames() -> None:
    # A pixel whose drawing changed only between the frame and the second keyframe is, in motion time, at the first
    # keyframe even 90 % of the frames away from it; a still path falls back to the frame count.
    forward = start_trust((4, 4))
    moved_later = ChainTrust(np.ones((4, 4), np.float32), np.eye(3), np.full((4, 4), 300.0, np.float32))
    np.testing.assert_allclose(motion_time(forward, moved_later, 0.9), 0.0)
    np.testing.assert_allclose(motion_time(forward, start_trust((4, 4)), 0.9), 0.9)
    near_first = blend(np.full((4, 4, 3), 200, np.uint8), np.full((4, 4, 3), 40, np.uint8), forward, moved_later, 0.9,
                       np.full((4, 4), 255, np.uint8))
    assert int(near_first.min()) >= 199
