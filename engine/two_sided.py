"""Two-sided colouring: how much to trust the chain from each keyframe, pixel by pixel, and the blend.

Between two keyframes A < B the colorizer runs two chains (engine/colorize.py): forward from A (A's colour carried
frame by frame) and backward from B. Each frame's output is a per-pixel blend of the two, weighted by

    w = (1 - motion_time)**TIME_POWER * coverage_share**COVERAGE_POWER * (reliability * covered + FLOOR)
        * exp(-stray_edges / STRAY_SCALE)

for each side. The terms:

- ``motion_time``: how far the pixel is from this side's keyframe, counted in how much its drawing changed rather
  than in frames. Each chain carries, per pixel along its flow, the sum of the line-art change that the flow does not
  explain (the absolute difference between the line art and the previous one warped onto it, dilated by
  CHANGE_RADIUS); a chain makes its mistakes where the drawing changes. With C that sum from the first keyframe
  and D from the second, the pixel's motion time from the first is C / (C + D), from the second D / (C + D); where
  the whole path changed by less than STILL_PATH levels, the frame distance over the keyframes' distance stands in.
  A still stretch near one keyframe is then near it whatever the frame count, and a steep power keeps pixels near a
  keyframe almost one-sided.
- ``reliability``: per pixel, carried along the chain's consecutive-frame flow (DIS on the blurred line arts, as
  the reference alignment uses): 1 at the keyframe; each step samples the previous map where the flow points,
  multiplies by OCCLUDED_KEEP where the forward and backward flows disagree (occlusion, torn flow) and by 0 where the
  flow leaves the frame. It says where a chain's colour came from a tracked pixel rather than a guess.
- ``coverage``: a global homography per step (RANSAC on the flow at ink pixels), composed along the chain, maps the
  frame into the keyframe's view; ``covered`` is 1 where that lands inside the keyframe, and ``coverage_share`` the
  covered share of the frame. Line-art flow cannot see motion on blank paper, so a camera that zooms out of a
  keyframe's view leaves the reliability high where the content is new; the homography, fitted on the lines, does
  see it, and a chain whose keyframe shows only half of the frame is trusted much less everywhere.
- ``stray_edges``: the chain's own output read against the frame's line art. In a drawing, colour regions end at
  lines; a chain that carried a colour to the wrong place paints a colour edge where the frame has none. The
  colour gradient (Sobel) away from the lines (LINE_BAND pixels around them excluded), pooled by a Gaussian of
  STRAY_SIGMA pixels, is near zero for a right chain and large where it went wrong, whatever its tracked trust
  says. Shading drawn without a line gives both chains the same edges, so it does not tip the choice.

A shot cut stops a chain's trust (weight 0: the cut frame and everything after it on that side take the other
side's colour); where both sides are cut off, the blend falls back to the time weights. The weights are smoothed
(Gaussian, BLEND_SIGMA network pixels) so no seam follows a mask's edge.

Measured (benchmarks/colorize/BETWEEN_REPORT.md, ten held-out sequences, keyframes 40 frames apart, mean over the
sequences): +2.78 dB over the one-sided chain at the midpoint, +1.71 dB on average over positions 1-39, at least
+2.56 dB over the DIS-warped nearer keyframe at every position, and never under the one-sided chain (equal at
position 1, at least +0.08 dB elsewhere). The stray-edge term and its settings were chosen on cached chains of
twelve training sequences; the variants tried are in docs/TRAINING.md, "Two-sided colouring" and "Sharper
references".
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .frames import resize_image
from .optical_flow import dis_flow, occlusion_mask, sample_positions, warp_by_flow
from .reference_alignment import LINEART_BLUR_SIGMA

__all__ = ["ChainTrust", "start_trust", "follow", "cut_off", "motion_time", "line_band", "stray_edges",
           "blend_weight", "blend"]

#: exponent of the time weight (1 - motion_time)**p
TIME_POWER = 4.0
#: half side (pixels) of the dilation of a step's unexplained line-art change (a line moved by a pixel or two counts
#: around it, where the colour it bounds was re-made)
CHANGE_RADIUS = 2
#: total unexplained change (levels, summed over the path from one keyframe to the other) below which a pixel's path
#: counts as still and the frame distance gives its motion time
STILL_PATH = 50.0
#: exponent of the covered share of the frame in the weight
COVERAGE_POWER = 2.0
#: what a pixel keeps of its reliability where the forward and backward flows disagree
OCCLUDED_KEEP = 0.3
#: weight of a tracked pixel with reliability 0 (so the time weight decides where both sides lost track)
FLOOR = 1e-3
#: Gaussian sigma (network-size pixels) of the blend weights
BLEND_SIGMA = 2.0
#: gray level below which a line-art pixel is ink (the homography is fitted there, where the flow is measured)
INK_LEVEL = 160
#: most ink pixels one homography fit uses (a regular subsample beyond that)
MAX_FIT_POINTS = 2000
#: RANSAC reprojection threshold of the homography fit (pixels)
RANSAC_THRESHOLD = 2.0
#: gray level below which a line-art pixel is part of a line (its anti-aliased rim included) for the stray edges
LINE_LEVEL = 200
#: half side (pixels) of the band around the lines where colour edges belong
LINE_BAND = 2
#: Gaussian sigma (working pixels) over which stray colour edges are pooled
STRAY_SIGMA = 8.0
#: pooled stray-edge strength (Sobel magnitude of colours in [0, 1]) that divides a side's weight by e
STRAY_SCALE = 0.1


@dataclass(frozen=True)
class ChainTrust:
    """How far one chain's colour can be trusted at one frame (all maps at the chain's working size).

    Attributes:
        reliability: float32 ``(h, w)`` in [0, 1], carried along the flow (module docstring).
        to_keyframe: 3 x 3 homography from this frame's pixel grid to the keyframe's.
        change: float32 ``(h, w)``: the line-art change the flow did not explain, summed along the chain from the
            keyframe to this frame (levels; module docstring, ``motion_time``).
        cut: True once a shot cut lies between this frame and the keyframe: the chain is not trusted at all.
    """

    reliability: np.ndarray
    to_keyframe: np.ndarray
    change: np.ndarray
    cut: bool = False

    def covered(self) -> np.ndarray:
        """float32 ``(h, w)``: 1 where the homography lands inside the keyframe's frame, else 0."""
        h, w = self.reliability.shape
        grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
        points = np.stack([grid_x, grid_y, np.ones_like(grid_x)], axis=-1) @ self.to_keyframe.T
        depth = points[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            key_x, key_y = points[..., 0] / depth, points[..., 1] / depth
        inside = (depth > 0) & (key_x >= -0.5) & (key_x <= w - 0.5) & (key_y >= -0.5) & (key_y <= h - 0.5)
        return inside.astype(np.float32)


def start_trust(shape: tuple[int, int]) -> ChainTrust:
    """A keyframe's own trust: reliable everywhere, identity homography."""
    return ChainTrust(np.ones(shape, np.float32), np.eye(3), np.zeros(shape, np.float32))


def cut_off(trust: ChainTrust) -> ChainTrust:
    """The trust after a shot cut: none, for this frame and every later one of the chain."""
    return ChainTrust(np.zeros_like(trust.reliability), trust.to_keyframe, trust.change, cut=True)


def _blurred(gray: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(gray, (0, 0), LINEART_BLUR_SIGMA)


def follow(trust: ChainTrust, previous_gray: np.ndarray, current_gray: np.ndarray) -> ChainTrust:
    """The trust of the chain's next frame (``current_gray``, coloured from ``previous_gray``'s frame).

    Both gray line arts uint8 at the trust's working size.
    """
    if trust.cut:
        return trust
    h, w = current_gray.shape
    current, previous = _blurred(current_gray), _blurred(previous_gray)
    flow = dis_flow(current, previous, "medium")
    back = dis_flow(previous, current, "medium")
    occluded = occlusion_mask(flow, back)
    map_x, map_y = sample_positions(flow)
    inside = (map_x >= -0.5) & (map_x <= w - 0.5) & (map_y >= -0.5) & (map_y <= h - 0.5)
    carried = warp_by_flow(trust.reliability, flow)
    reliability = carried * inside * np.where(occluded, OCCLUDED_KEEP, 1.0).astype(np.float32)
    step = _fit_homography(flow, (current_gray < INK_LEVEL) & ~occluded)
    unexplained = np.abs(current_gray.astype(np.float32) - warp_by_flow(previous_gray, flow).astype(np.float32))
    side = 2 * CHANGE_RADIUS + 1
    change = warp_by_flow(trust.change, flow) + cv2.dilate(unexplained, np.ones((side, side), np.uint8))
    return ChainTrust(reliability.astype(np.float32), trust.to_keyframe @ step, change.astype(np.float32))


def _fit_homography(flow: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The homography from the frame to the one the flow points into, fitted on ``x -> x + flow(x)`` at ``where``
    (identity when there are too few points or RANSAC finds none)."""
    ys, xs = np.nonzero(where)
    if len(xs) > MAX_FIT_POINTS:
        keep = np.linspace(0, len(xs) - 1, MAX_FIT_POINTS).astype(np.int64)
        ys, xs = ys[keep], xs[keep]
    if len(xs) < 8:
        return np.eye(3)
    source = np.stack([xs, ys], axis=1).astype(np.float32)
    target = source + flow[ys, xs]
    homography, _ = cv2.findHomography(source, target, cv2.RANSAC, RANSAC_THRESHOLD)
    return np.eye(3) if homography is None else homography


def motion_time(forward: ChainTrust, backward: ChainTrust, tau: float) -> np.ndarray:
    """float32 ``(h, w)`` in [0, 1]: each pixel's motion time from the forward chain's keyframe (module docstring);
    ``tau``: the frame's distance to that keyframe over the keyframes' distance."""
    total = forward.change + backward.change
    return np.where(total > STILL_PATH, forward.change / np.maximum(total, 1e-6), tau).astype(np.float32)


def line_band(lineart: np.ndarray) -> np.ndarray:
    """bool ``(h, w)``: the lines of ``lineart`` (uint8 gray ``(h, w)``) and LINE_BAND pixels around them, where
    colour edges belong."""
    side = 2 * LINE_BAND + 1
    return cv2.dilate((lineart < LINE_LEVEL).astype(np.uint8), np.ones((side, side), np.uint8)) > 0


def stray_edges(rgb: np.ndarray, band: np.ndarray) -> np.ndarray:
    """float32 ``(h, w)``: the colour edges of ``rgb`` (uint8 ``(h, w, 3)``) outside the frame's :func:`line_band`
    ``band``, pooled (module docstring)."""
    colour = rgb.astype(np.float32) / 255.0
    dx = cv2.Sobel(colour, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(colour, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.sqrt((dx * dx + dy * dy).sum(axis=2))
    magnitude[band] = 0.0
    return cv2.GaussianBlur(magnitude, (0, 0), STRAY_SIGMA)


def blend_weight(trust: ChainTrust, time_from_keyframe: np.ndarray | float, stray: np.ndarray) -> np.ndarray:
    """float32 ``(h, w)``: one side's blend weight (module docstring) given the pixels' motion time from this
    side's keyframe (in [0, 1]) and the side's :func:`stray_edges`."""
    if trust.cut:
        return np.zeros_like(trust.reliability)
    covered = trust.covered()
    time = (1.0 - np.asarray(time_from_keyframe, np.float32)) ** TIME_POWER
    share = float(covered.mean()) ** COVERAGE_POWER
    agreement = np.exp(-np.asarray(stray, np.float32) / STRAY_SCALE)
    return (time * share * (trust.reliability * covered + FLOOR) * agreement).astype(np.float32)


def blend(forward: np.ndarray, backward: np.ndarray, forward_trust: ChainTrust, backward_trust: ChainTrust,
          tau: float, lineart_small: np.ndarray) -> np.ndarray:
    """The two chains' outputs (uint8 RGB ``(H, W, 3)``, any size) blended per pixel.

    ``tau`` is the frame's distance to the forward chain's keyframe over the keyframes' distance. The trusts are at
    the working size (no larger than the outputs), and so is ``lineart_small``, the frame's line art (uint8 gray
    ``(h, w)``, as the chain followed it): the outputs are read there for their stray edges, and the weights are
    resized to the outputs' size.
    """
    working = forward_trust.reliability.shape
    band = line_band(lineart_small)
    time_forward = motion_time(forward_trust, backward_trust, tau)
    w_forward = blend_weight(forward_trust, time_forward, stray_edges(resize_image(forward, *working), band))
    w_backward = blend_weight(backward_trust, 1.0 - time_forward, stray_edges(resize_image(backward, *working), band))
    if not (w_forward.any() or w_backward.any()):
        w_forward = np.full_like(w_forward, (1.0 - tau) ** TIME_POWER)
        w_backward = np.full_like(w_backward, tau ** TIME_POWER)
    w_forward = cv2.GaussianBlur(w_forward, (0, 0), BLEND_SIGMA)
    w_backward = cv2.GaussianBlur(w_backward, (0, 0), BLEND_SIGMA)
    share = w_forward / np.maximum(w_forward + w_backward, 1e-30)
    height, width = forward.shape[:2]
    if share.shape != (height, width):
        share = cv2.resize(share, (width, height), interpolation=cv2.INTER_LINEAR)
    mixed = share[..., None] * forward.astype(np.float32) + (1.0 - share[..., None]) * backward.astype(np.float32)
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)

