"""Optional inference-time temporal stabiliser (docs/ARCHITECTURE.md, "Stabiliser").

For each new frame the previous *output* is warped to the current frame with optical flow computed on the *input*
frames (OpenCV DIS, on gray images), and blended into the current output where the flow is reliable:

* flow consistency: backward flow ``B`` (current -> previous) and forward flow ``F`` (previous -> current) sampled
  at ``x + B(x)`` must cancel: occluded where ``|B + F~|^2 > 0.01 (|B|^2 + |F~|^2) + 0.5`` (docs/METHODS.md,
  "Warping error");
* motion boundaries: ``|grad B_u|^2 + |grad B_v|^2 > 0.01 |B|^2 + 0.002`` are unreliable too (docs/METHODS.md,
  "Warping error");
* photometric check: where the warped previous input differs from the current input, the flow is wrong there
  (lighting change, fast motion), so the weight falls off linearly with that difference;
* edge guard: on the current output's own strong edges (a cartoon's ink lines, tone steps and region borders) the
  weight falls to 0 as the local contrast rises from 32 to 96 levels: there a warped frame that is a little off
  doubles or softens the edge, and the cartoon loses its crisp lines (docs/ARCHITECTURE.md, "Stabiliser").

The blend weight is ``strength * mask`` (the flow tests softened by a small blur, times the edge guard). A shot cut
(colour histogram distance over ``cut_threshold``) or a change of frame size resets the state. The previous output
kept for the next frame is the blended one, so the smoothing is recursive.
"""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np

from .errors import SettingsError
from .optical_flow import DIS_PRESETS, create_dis, flows_disagree, motion_boundary_mask, sample_positions

__all__ = [
    "EDGE_CONTRAST", "TemporalStabilizer", "edge_keep", "histogram_distance", "reliability_mask",
]

log = logging.getLogger(__name__)


def _histogram(rgb: np.ndarray) -> np.ndarray:
    hist = cv2.calcHist([rgb], [0, 1, 2], None, [8, 8, 8], [0, 256, 0, 256, 0, 256])
    return cv2.normalize(hist, hist).flatten()


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya distance in [0, 1] between the 8x8x8 RGB histograms of two uint8 RGB frames."""
    return float(cv2.compareHist(_histogram(a), _histogram(b), cv2.HISTCMP_BHATTACHARYYA))


#: pixels per band of rows the stabiliser works on at a time: its temporaries stay small on 4K frames
_BAND_PIXELS = 2**19
#: the edge guard's ramp: output contrast (levels, the Sobel gradient scaled so that a sharp step of d levels reads d)
#: at which the blend weight starts to fall, and at which it is 0
EDGE_CONTRAST = (32.0, 96.0)
#: rows of context each band's edge guard reads above and below it (Sobel, then a 3 x 3 dilation): the banded values
#: equal the whole frame's
_EDGE_HALO = 2


def _bands(height: int, width: int) -> list[slice]:
    rows = max(1, _BAND_PIXELS // max(1, width))
    return [slice(a, min(a + rows, height)) for a in range(0, height, rows)]


def edge_keep(gray: np.ndarray, low: float, high: float, rows: slice | None = None) -> np.ndarray:
    """float32 weight in [0, 1] for the frame's ``rows`` (default all) of a uint8 gray output: 1 where its contrast
    (the larger Sobel gradient of the 3 x 3 neighbourhood) is below ``low`` levels, 0 above ``high``, linear between."""
    rows = slice(0, gray.shape[0]) if rows is None else rows
    top, bottom = max(0, rows.start - _EDGE_HALO), min(gray.shape[0], rows.stop + _EDGE_HALO)
    window = gray[top:bottom].astype(np.float32)
    contrast = cv2.magnitude(cv2.Sobel(window, cv2.CV_32F, 1, 0, scale=0.25),
                             cv2.Sobel(window, cv2.CV_32F, 0, 1, scale=0.25))
    contrast = cv2.dilate(contrast, np.ones((3, 3), np.uint8))[rows.start - top : rows.stop - top]
    return np.clip((high - contrast) / (high - low), 0.0, 1.0)


def reliability_mask(flow: np.ndarray, flow_back: np.ndarray, rows: slice | None = None) -> np.ndarray:
    """Boolean: True where ``flow`` (current -> reference) passes the occlusion and motion-boundary tests against
    ``flow_back`` (reference -> current), both ``(H, W, 2)``; for the frame's ``rows`` (default all), pixel for pixel
    the values of the whole-frame test."""
    rows = slice(0, flow.shape[0]) if rows is None else rows
    a, b = rows.start, rows.stop
    map_x, map_y = sample_positions(flow[rows], a)
    back_at = cv2.remap(flow_back, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    unreliable = flows_disagree(flow[rows], back_at)
    unreliable |= motion_boundary_mask(flow[a:b + 1])[:b - a]  # forward differences need the next row
    return ~unreliable


class TemporalStabilizer:
    """Blend the previous output, warped by input flow, into the current output where the flow is reliable and the
    output has no strong edge.

    Args:
        strength: 0 (off) .. 1 (keep as much of the warped previous output as the mask allows).
        preset: DIS preset (:data:`engine.optical_flow.DIS_PRESETS`), e.g. ``"fast"``.
        cut_threshold: histogram distance (0..1) above which two frames are a shot cut.
        photometric_tolerance: mean absolute input difference (0..1) at which the weight reaches 0.
        flow_max_side: flow is computed on frames downscaled so their longer side is at most this.
        edge_contrast: the edge guard's ramp (:data:`EDGE_CONTRAST`), ``(low, high)`` levels; None: no guard.
    """

    def __init__(self, strength: float = 0.6, *, preset: str = "fast", cut_threshold: float = 0.5,
                 photometric_tolerance: float = 0.08, flow_max_side: int = 1024,
                 edge_contrast: tuple[float, float] | None = EDGE_CONTRAST) -> None:
        if not 0.0 <= strength <= 1.0:
            raise SettingsError(f"temporal strength must be in [0, 1], got {strength}")
        if preset not in DIS_PRESETS:
            raise SettingsError(f"unknown DIS preset {preset!r}; use one of {', '.join(DIS_PRESETS)}")
        if edge_contrast is not None and not 0.0 <= edge_contrast[0] < edge_contrast[1]:
            raise SettingsError(f"edge contrast ramp must be 0 <= low < high levels, got {edge_contrast}")
        self.edge_contrast = edge_contrast
        self.strength = float(strength)
        self.cut_threshold = float(cut_threshold)
        self.photometric_tolerance = float(photometric_tolerance)
        self.flow_max_side = int(flow_max_side)
        self._dis = create_dis(preset)
        self.cuts = 0
        self.reset()

    def warmup_frames(self, tolerance: float = 0.5) -> int | None:
        """Frames to run before frame A so that A's output is within ``tolerance`` levels of a whole run's.

        The state is recursive, but its reach decays: two runs that differ only in their previous output differ by
        ``alpha * warp(difference)`` after the next frame, where ``alpha <= strength`` (the mask depends on the
        input frames and the network's current output only, the same in both runs) and bilinear warping never
        enlarges the largest difference. A run started ``n`` frames before A (no previous output there, so at most
        ``255 * strength`` apart at its first frame) is therefore within ``255 * strength ** (n + 1)`` levels of the
        whole run at A; rounding to 8 bits then keeps it within one level. ``None`` when the reach never decays
        (``strength == 1``): start from the first frame.
        """
        if not 0.0 < tolerance < 255.0:
            raise SettingsError(f"tolerance must be between 0 and 255 levels, got {tolerance}")
        if self.strength <= 0.0:
            return 0
        if self.strength >= 1.0:
            return None
        return max(0, math.ceil(math.log(tolerance / 255.0) / math.log(self.strength)) - 1)

    def reset(self) -> None:
        """Forget the previous frame (call between unrelated clips; shot cuts do it automatically)."""
        self._prev_source: np.ndarray | None = None
        self._prev_gray: np.ndarray | None = None
        self._prev_output: np.ndarray | None = None
        self.last_mask: np.ndarray | None = None

    def _flow(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Flow from gray frame ``a`` to gray frame ``b``, at full resolution."""
        h, w = a.shape
        scale = min(1.0, self.flow_max_side / max(h, w))
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            fa = cv2.resize(a, size, interpolation=cv2.INTER_AREA)
            fb = cv2.resize(b, size, interpolation=cv2.INTER_AREA)
            flow = self._dis.calc(fa, fb, None)
            flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) / scale
            return flow.astype(np.float32)
        return self._dis.calc(a, b, None)

    def __call__(self, source: np.ndarray, output: np.ndarray) -> np.ndarray:
        """Stabilise ``output`` (uint8 RGB ``(H, W, 3)``) of the input frame ``source`` (same size, uint8 RGB)."""
        if source.shape[:2] != output.shape[:2]:
            raise SettingsError(f"source {source.shape} and output {output.shape} frames differ in size")
        gray = cv2.cvtColor(source, cv2.COLOR_RGB2GRAY)
        out_f = output.astype(np.float32)
        prev_ok = (self._prev_gray is not None and self._prev_gray.shape == gray.shape
                   and self._prev_output is not None and self._prev_source is not None)
        h, w = gray.shape
        if prev_ok and self.strength > 0.0 and min(h, w) >= 8:
            assert self._prev_gray is not None and self._prev_output is not None and self._prev_source is not None
            dist = histogram_distance(self._prev_source, source)
            if dist > self.cut_threshold:
                log.debug("shot cut detected (histogram distance %.3f); temporal state reset", dist)
                self.cuts += 1
                self.last_mask = None
            else:
                back = self._flow(gray, self._prev_gray)       # current -> previous
                fwd = self._flow(self._prev_gray, gray)        # previous -> current
                prev_source = self._prev_source.astype(np.float32)
                mask = np.empty((h, w), np.float32)
                for rows in _bands(h, w):
                    mask[rows] = self._band_weight(back, fwd, prev_source, source, rows)
                del fwd, prev_source
                mask = cv2.GaussianBlur(mask, (5, 5), 0)
                if self.edge_contrast is not None:
                    gray_out = cv2.cvtColor(output, cv2.COLOR_RGB2GRAY)
                    for rows in _bands(h, w):
                        mask[rows] *= edge_keep(gray_out, *self.edge_contrast, rows=rows)
                self.last_mask = mask
                for rows in _bands(h, w):
                    map_x, map_y = sample_positions(back[rows], rows.start)
                    warped_out = cv2.remap(self._prev_output, map_x, map_y, interpolation=cv2.INTER_LINEAR,
                                           borderMode=cv2.BORDER_REPLICATE)
                    alpha = (self.strength * mask[rows])[..., None]
                    out_f[rows] = out_f[rows] * (1.0 - alpha) + warped_out * alpha
        self._prev_gray = gray
        self._prev_source = source.copy()
        self._prev_output = out_f
        result = np.empty(output.shape, np.uint8)
        for rows in _bands(h, w):
            result[rows] = np.clip(np.rint(out_f[rows]), 0, 255)
        return result

    def _band_weight(self, back: np.ndarray, fwd: np.ndarray, prev_source: np.ndarray, source: np.ndarray,
                     rows: slice) -> np.ndarray:
        """Blend weight (before smoothing) of the frame's ``rows``: reliable flow times the photometric check.

        The same values, pixel for pixel, as computing it on the whole frame; only the band's temporaries exist.
        """
        weight = reliability_mask(back, fwd, rows).astype(np.float32)
        map_x, map_y = sample_positions(back[rows], rows.start)
        warped_src = cv2.remap(prev_source, map_x, map_y, interpolation=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        diff = np.abs(warped_src - source[rows].astype(np.float32)).mean(-1) / 255.0
        weight *= np.clip(1.0 - diff / self.photometric_tolerance, 0.0, 1.0)
        return weight
