from __future__ import annotations

import numpy as np
import pytest

from engine.errors import SettingsError
from engine.temporal import EDGE_CONTRAST, TemporalStabilizer, edge_keep, histogram_distance, reliability_mask


def textured(h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    """Smooth random texture (DIS needs texture to track)."""
    import cv2

    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (h // 4, w // 4, 3)).astype(np.float32)
    return np.clip(cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC), 0, 255).astype(np.uint8)


def flicker(img: np.ndarray, t: int, amp: float = 20.0) -> np.ndarray:
    rng = np.random.default_rng(100 + t)
    return np.clip(img.astype(np.float32) + rng.uniform(-amp, amp, img.shape), 0, 255).astype(np.uint8)


def test_static_scene_flicker_is_reduced() -> None:
    src = textured()
    stab = TemporalStabilizer(0.6)
    raw = [flicker(src, t) for t in range(8)]
    out = [stab(src, r) for r in raw]
    raw_d = np.mean([np.abs(raw[t].astype(float) - raw[t - 1]).mean() for t in range(1, 8)])
    out_d = np.mean([np.abs(out[t].astype(float) - out[t - 1]).mean() for t in range(1, 8)])
    assert out_d < 0.6 * raw_d
    np.testing.assert_array_equal(out[0], raw[0])  # first frame passes through


def test_moving_scene_follows_motion_without_ghosting() -> None:
    base = textured(96, 160)
    stab = TemporalStabilizer(0.6)
    errs_raw, errs_out, errs_nowarp = [], [], []
    prev_clean = None
    for t in range(6):
        src = np.roll(base, 3 * t, axis=1)
        clean = src  # "cartoon" = the frame itself, so the ideal output is known
        noisy = flicker(clean, t, 15)
        out = stab(src, noisy)
        inner = (slice(8, -8), slice(24, -24))
        if t > 0:
            errs_raw.append(np.abs(noisy.astype(float) - clean)[inner].mean())
            errs_out.append(np.abs(out.astype(float) - clean)[inner].mean())
            # what blending without motion compensation would give
            assert prev_clean is not None
            errs_nowarp.append(np.abs(0.4 * noisy.astype(float) + 0.6 * prev_clean - clean)[inner].mean())
        prev_clean = clean
    assert np.mean(errs_out) < 0.8 * np.mean(errs_raw)
    assert np.mean(errs_out) < 0.5 * np.mean(errs_nowarp)


def test_shot_cut_resets_state() -> None:
    a = textured(seed=1)
    b = np.zeros_like(a)
    b[..., 2] = 220  # a completely different (blue) shot
    stab = TemporalStabilizer(1.0)
    stab(a, a)
    out_b = flicker(b, 3)
    np.testing.assert_array_equal(stab(b, out_b), out_b)
    assert stab.cuts == 1
    assert histogram_distance(a, b) > 0.5 > histogram_distance(a, flicker(a, 1, 5))


def test_strength_zero_is_identity_and_reset_forgets() -> None:
    src = textured()
    s0 = TemporalStabilizer(0.0)
    for t in range(3):
        o = flicker(src, t)
        np.testing.assert_array_equal(s0(src, o), o)
    s1 = TemporalStabilizer(1.0)
    s1(src, flicker(src, 0))
    s1.reset()
    o = flicker(src, 1)
    np.testing.assert_array_equal(s1(src, o), o)


def test_size_change_and_tiny_frames_do_not_fail() -> None:
    stab = TemporalStabilizer(0.6)
    stab(textured(), textured())
    small = np.full((1, 1, 3), 7, np.uint8)
    np.testing.assert_array_equal(stab(small, small), small)
    odd = textured(33, 47)
    assert stab(odd, odd).shape == (33, 47, 3)


def test_reliability_mask_occlusion_test() -> None:
    h, w = 20, 30
    fwd = np.zeros((h, w, 2), np.float32)
    fwd[..., 0] = 3.0
    back = -fwd
    assert reliability_mask(fwd, back)[:, 5:-5].all()  # consistent: reliable
    assert not reliability_mask(fwd, fwd).any()        # both point the same way: occluded


def test_reliability_mask_of_rows_is_the_whole_frame_test() -> None:
    from engine.optical_flow import motion_boundary_mask, occlusion_mask

    fwd = np.zeros((24, 32, 2), np.float32)
    fwd[..., 0] = 3.0
    fwd[12:, 16:, 1] = 6.0  # a moving block: its edges are motion boundaries
    back = -fwd
    back[3:8, 4:12] = (4.0, 0.0)  # flows that do not cancel there: occluded
    whole = reliability_mask(fwd, back)
    assert 0 < whole.sum() < whole.size
    np.testing.assert_array_equal(whole, ~(occlusion_mask(fwd, back) | motion_boundary_mask(fwd)))
    for rows in (slice(0, 7), slice(7, 19), slice(19, 24)):
        np.testing.assert_array_equal(reliability_mask(fwd, back, rows), whole[rows])


def test_bad_strength_and_edge_ramp() -> None:
    with pytest.raises(SettingsError):
        TemporalStabilizer(1.5)
    for ramp in ((96.0, 32.0), (-1.0, 10.0), (40.0, 40.0)):
        with pytest.raises(SettingsError, match="edge contrast"):
            TemporalStabilizer(0.6, edge_contrast=ramp)


def _lined(h: int = 64, w: int = 96) -> np.ndarray:
    """A flat mid-grey cartoon frame with a 2 px black ink line down its middle and a soft 20-level ramp."""
    frame = np.full((h, w, 3), 150, np.uint8)
    frame[:, w // 2 : w // 2 + 2] = 0
    frame[:, : w // 4] += np.linspace(0, 20, w // 4, dtype=np.uint8)[None, :, None]
    return frame


def test_edge_keep_is_zero_on_strong_edges_and_one_on_flat_and_soft_parts() -> None:
    gray = _lined()[..., 0]
    keep = edge_keep(gray, *EDGE_CONTRAST)
    w = gray.shape[1]
    assert keep.dtype == np.float32 and keep.shape == gray.shape
    assert (keep[:, w // 2 - 2 : w // 2 + 4] == 0).all()  # the line and one pixel either side of its edges
    assert (keep[:, 2 : w // 4 - 2] == 1).all() and (keep[:, w // 2 + 6 :] == 1).all()  # ramp and flat colour
    for rows in (slice(0, 5), slice(5, 40), slice(40, 64)):
        np.testing.assert_array_equal(edge_keep(gray, *EDGE_CONTRAST, rows=rows), keep[rows])


def test_stabiliser_leaves_the_outputs_strong_edges_to_the_current_frame() -> None:
    """A static scene whose cartoon flickers in tone: the flat parts are blended, the ink line is the current
    frame's own (unguarded, the previous frames' line would bleed into it wherever the flow is a little off)."""
    src = textured()
    cartoon = _lined(*src.shape[:2])
    line = (slice(None), slice(src.shape[1] // 2, src.shape[1] // 2 + 2))
    edges = (slice(None), slice(src.shape[1] // 2 - 2, src.shape[1] // 2 + 4))  # the line and the tone beside it
    guarded, unguarded = TemporalStabilizer(0.6), TemporalStabilizer(0.6, edge_contrast=None)
    for t in range(4):
        out = cartoon.copy()
        out[..., :] = np.clip(out.astype(int) + (12 if t % 2 else -12), 0, 255).astype(np.uint8)  # tone flicker
        out[line] = 0
        g, u = guarded(src, out), unguarded(src, out)
        if t:
            np.testing.assert_array_equal(g[edges], out[edges])  # the line and its edges are this frame's
            assert not np.array_equal(u[edges], out[edges])  # unguarded, the previous tone bleeds into them
            flat = (slice(8, -8), slice(src.shape[1] // 2 + 8, -8))
            assert np.abs(g[flat].astype(int) - 150).mean() < 0.7 * 12  # the tone flicker is damped there
            np.testing.assert_array_equal(g[flat], u[flat])  # as much as without the guard


def test_bands_give_the_whole_frame_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stabiliser works in bands of rows to bound its memory on 4K frames; the bands must not show."""
    import engine.temporal as temporal

    rng = np.random.default_rng(3)
    frames = [np.roll(np.tile(np.linspace(0, 255, 96, dtype=np.uint8)[None, :, None], (64, 1, 3)), 2 * i, 1)
              for i in range(4)]
    outputs = [np.clip(f.astype(int) + rng.integers(-30, 30, f.shape), 0, 255).astype(np.uint8) for f in frames]
    whole = TemporalStabilizer(0.6)
    expected = [whole(f, o) for f, o in zip(frames, outputs)]
    monkeypatch.setattr(temporal, "_BAND_PIXELS", 96 * 5)  # bands of 5 rows
    banded = TemporalStabilizer(0.6)
    for f, o, e in zip(frames, outputs, expected):
        assert np.array_equal(banded(f, o), e)
    assert whole.last_mask is not None and whole.last_mask.max() > 0.5  # the blend was active
