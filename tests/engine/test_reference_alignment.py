"""Flow alignment of colorize references: the shared DIS/warp helpers, align_reference, and the Colorizer applying it
when (and only when) the model card asks for it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Colorizer, Reference
from engine.errors import ModelError
from engine.optical_flow import create_dis, dis_flow, warp_by_flow
from engine.reference_alignment import align_reference, align_reference_coarse_and_fine

from .colorize_fixtures import scene, write_colorize_model


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def test_warp_by_flow_samples_at_the_flow_target() -> None:
    image = np.arange(12 * 16, dtype=np.float32).reshape(12, 16)
    flow = np.zeros((12, 16, 2), np.float32)
    flow[..., 0] = 3.0  # every pixel reads the one 3 columns to its right
    warped = warp_by_flow(image, flow)
    np.testing.assert_array_equal(warped[:, :13], image[:, 3:])
    np.testing.assert_array_equal(warped[:, 13:], np.repeat(image[:, 15:], 3, axis=1))  # edge clamped


def test_lanczos_warping_keeps_an_edge_that_bilinear_warping_blurs() -> None:
    # A drawn (anti-aliased) disc moved by a fraction of a pixel and back: bilinear sampling averages neighbours at
    # both steps and softens the rim; Lanczos reconstructs it (what the chain, which re-warps its previous output
    # every frame, relies on).
    yy, xx = np.mgrid[0:48, 0:64].astype(np.float32)
    disc = np.clip(12.0 - np.hypot(xx - 30.3, yy - 22.6), 0.0, 1.0)
    image = np.rint(40 + 200 * disc).astype(np.uint8)
    there = np.zeros((48, 64, 2), np.float32)
    there[..., 0], there[..., 1] = 0.37, -0.29
    errors = {}
    for interpolation in ("linear", "lanczos"):
        round_trip = warp_by_flow(warp_by_flow(image, there, interpolation), -there, interpolation)
        errors[interpolation] = _mean_abs(round_trip[4:-4, 4:-4], image[4:-4, 4:-4])
    assert errors["lanczos"] < 0.6 * errors["linear"], errors  # measured 0.96 against 2.09 levels
    with pytest.raises(KeyError):
        warp_by_flow(image, there, "cubic")  # type: ignore[arg-type]


def test_the_fine_preset_refines_the_flow_at_full_resolution() -> None:
    # Thin lines moved by 1.5 px: medium stops at half resolution and leaves a larger error on the lines
    line_now, _ = scene(0, 64, 96)
    shift = np.float32([[1, 0, 1.5], [0, 1, 0]])
    line_later = cv2.warpAffine(line_now, shift, (96, 64), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ink = line_now < 128
    errors = {preset: float(np.abs(dis_flow(line_now, line_later, preset)[ink][:, 0] - 1.5).mean())
              for preset in ("medium", "fine")}
    assert errors["fine"] < 0.75 * errors["medium"], errors  # measured 0.13 against 0.24 px
    assert create_dis("fine").getFinestScale() == 0 and create_dis("medium").getFinestScale() == 1


def test_dis_flow_finds_a_shift_and_rejects_unknown_presets() -> None:
    line_now, _ = scene(0, 64, 96)
    line_later, _ = scene(4, 64, 96)  # the ball moved 8 px right
    flow = dis_flow(line_now, line_later)
    ball_edge = (line_now < 128) & (np.arange(96)[None, :] < 40)
    assert flow.shape == (64, 96, 2) and flow.dtype == np.float32
    assert np.median(flow[ball_edge][:, 0]) == pytest.approx(8.0, abs=1.5)
    with pytest.raises(ValueError, match="unknown DIS preset 'slow'"):
        dis_flow(line_now, line_later, "slow")


def test_align_reference_moves_the_reference_into_the_target_geometry() -> None:
    target_line, target_colour = scene(6, 64, 96)
    reference_line, reference_colour = scene(0, 64, 96)  # the ball is 12 px to the left
    aligned_line, aligned_colour = align_reference(target_line, reference_line, reference_colour)
    assert aligned_colour.shape == reference_colour.shape and aligned_colour.dtype == np.uint8
    assert aligned_line.shape == reference_line.shape and aligned_line.dtype == np.uint8
    before, after = _mean_abs(reference_colour, target_colour), _mean_abs(aligned_colour, target_colour)
    assert after < 0.5 * before
    with pytest.raises(ValueError, match="same height and width"):
        align_reference(target_line, reference_line[:, :90], reference_colour)


def test_fine_alignment_is_closer_for_a_small_move() -> None:
    # The ball moved 4 px: the flow on the sharp lines puts the reference's colour edges on the target's lines; the
    # blurred lines' flow leaves them smeared.
    target_line, target_colour = scene(2, 64, 96)
    reference_line, reference_colour = scene(0, 64, 96)
    (coarse_line, coarse_colour), (_, fine_colour) = align_reference_coarse_and_fine(target_line, reference_line,
                                                                                     reference_colour)
    plain_line, plain_colour = align_reference(target_line, reference_line, reference_colour)
    np.testing.assert_array_equal(coarse_colour, plain_colour)
    np.testing.assert_array_equal(coarse_line, plain_line)
    coarse, fine = _mean_abs(coarse_colour, target_colour), _mean_abs(fine_colour, target_colour)
    assert fine < 0.5 * coarse, (fine, coarse)


def test_colorizer_aligns_references_only_when_the_card_says_so(tmp_path: Path) -> None:
    plain = Colorizer(write_colorize_model(tmp_path, "plain"), device="cpu")
    aligned = Colorizer(write_colorize_model(tmp_path, "aligned", reference_alignment="dis"), device="cpu")
    assert (plain.card.reference_alignment, aligned.card.reference_alignment) == ("none", "dis")
    key_line, key_colour = scene(0, 64, 96)
    line, truth = scene(6, 64, 96)
    out_plain = plain.colorize_frame(line, [Reference(key_line, key_colour)])
    out_aligned = aligned.colorize_frame(line, [Reference(key_line, key_colour)])
    # the fixture model mixes the references' colours as they come, so only alignment moves the ball's colour
    assert _mean_abs(out_aligned, truth) < 0.6 * _mean_abs(out_plain, truth)


def test_unknown_alignment_in_a_card_is_a_model_error(tmp_path: Path) -> None:
    path = write_colorize_model(tmp_path, "odd", reference_alignment="raft")
    with pytest.raises(ModelError, match="'reference_alignment' must be one of none, dis, got 'raft'"):
        Colorizer(path, device="cpu")
