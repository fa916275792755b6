"""Flow alignment of colorization references (our extension beyond LCMFTN).

Before a reference (line art + colour) enters the network it can be warped into the geometry of the frame being
coloured, by DIS optical flow computed between the two line-art frames. The network's correlation matching then only
has to correct the flow's mistakes (occlusions, new content, lines the flow tore) instead of finding every
correspondence itself, which the CPU-scale training could not learn: the trained global attention's best match was
a median 17 of 32 positions away from the true one on held-out pairs (TRAINING.md, "Reference alignment").

A model trained on aligned references says so in its card (`reference_alignment: "dis"`); the engine then aligns
every reference (keyframe and previous output) the same way before each network pass, and by default offers the
first reference (the keyframe) a second time, aligned by the flow on the unblurred line arts where that agrees with
the blurred one (:data:`FINE_FLOW_AGREEMENT`). References are resampled with Lanczos interpolation
(:data:`WARP_INTERPOLATION`), which keeps flat colour edges sharp along a chain of warps.
"""
from __future__ import annotations

import cv2
import numpy as np

from .optical_flow import dis_flow, warp_by_flow

__all__ = ["LINEART_BLUR_SIGMA", "FINE_FLOW_AGREEMENT", "SHARP_FLOW_PRESET", "WARP_INTERPOLATION",
           "REFERENCE_ALIGNMENTS", "align_reference", "align_reference_coarse_and_fine"]

#: Card values of `reference_alignment`: "none" (references as they are) or "dis" (warped by DIS flow, medium).
REFERENCE_ALIGNMENTS = ("none", "dis")

#: Gaussian sigma (pixels) the line arts are blurred with before the flow. DIS matches patches of intensity; on thin
#: lines over flat paper most patches are blank and moves wider than a line's width are lost. Measured on 48 held-out
#: 256 px pairs, warp PSNR for sigma 0 / 1 / 2 / 3: 26.79 / 27.67 / 28.23 / 28.01 dB (10-frame gaps), 16.91 / 17.14 /
#: 17.14 / 17.48 dB (40-frame gaps): 3 wins where motion is wide, which is where alignment matters.
LINEART_BLUR_SIGMA = 3.0

#: The keyframe's second, fine alignment (the engine's ``fine_alignment``) follows the flow between the unblurred
#: line arts wherever it agrees with the sigma-3 flow within this many pixels, and the sigma-3 flow elsewhere. The
#: sigma-3 flow is right for wide motion but smears small moves that the sharp lines pin down; the sharp flow fails
#: on wide motion over blank paper, where the two disagree. Given both candidates, the network's gate takes per pixel
#: whichever agrees with the frame's line art. Measured on the ten held-out sequences (the engine's chain from one
#: keyframe, mean PSNR at gaps 1 / 5 / 10 / 20 / 40): without 44.87 / 36.43 / 32.34 / 26.78 / 19.23 dB; with the
#: sharp flow alone 45.58 / 37.46 / 32.84 / 26.65 / 18.74; within 3 px 45.58 / 37.32 / 32.79 / 27.04 / 18.81 (1 px:
#: 45.58 / 37.17 / 32.67 / 26.95 / 18.79); all with the medium preset and bilinear warps (session 19). With the
#: "fine" preset and Lanczos warps (session 30) the sharp flow is right more often, and the threshold was chosen
#: again on twelve training sequences (mean over gaps 1-40: 1.5 / 3 / 6 / 12 px / sharp flow everywhere 27.03 /
#: 27.17 / 27.30 / 27.40 / 27.38 dB); on the held-out ones 12 px against 3 px: 47.52 / 39.53 / 34.63 / 28.28 / 19.14
#: against 47.50 / 39.28 / 34.54 / 28.19 / 19.16 dB.
FINE_FLOW_AGREEMENT = 12.0

#: DIS preset of the flow between the unblurred line arts (:data:`engine.optical_flow.DIS_PRESETS`). "fine" refines
#: OpenCV's medium down to full resolution, where a thin line's sub-pixel move is measured.
SHARP_FLOW_PRESET = "fine"

#: How references are resampled along the flow (:func:`engine.optical_flow.warp_by_flow`). Lanczos keeps the colour
#: edges of a flat-coloured drawing sharp; bilinear sampling averages both sides of an edge at every sub-pixel
#: position, and the chain, which warps its previous output every frame, compounds that blur.
#: Measured with the shipped ``lcmftn`` on the ten held-out sequences (the chain from one keyframe, mean PSNR at gaps
#: 1 / 5 / 10 / 20 / 40, agreement 3 px): medium flow, bilinear 45.58 / 37.32 / 32.79 / 27.04 / 18.81 dB; fine flow,
#: bilinear 45.95 / 37.69 / 33.30 / 27.34 / 18.86; medium flow, Lanczos 47.25 / 38.83 / 33.91 / 27.81 / 19.08; fine
#: flow, Lanczos 47.50 / 39.28 / 34.54 / 28.19 / 19.16 (docs/TRAINING.md, "Sharper references").
WARP_INTERPOLATION = "lanczos"


def align_reference(target_lineart: np.ndarray, reference_lineart: np.ndarray, reference_color: np.ndarray,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Warp a reference into the target's geometry.

    Args:
        target_lineart: uint8 gray ``(H, W)``, the frame being coloured.
        reference_lineart: uint8 gray ``(H, W)``.
        reference_color: uint8 RGB ``(H, W, 3)``.

    Returns:
        The reference's line art and colour sampled at ``x + F(x)`` (:data:`WARP_INTERPOLATION`), F the DIS (medium)
        flow from the target's line art to the reference's, both blurred by :data:`LINEART_BLUR_SIGMA` (same shapes
        and dtype as given).
    """
    flow = _blurred_flow(target_lineart, reference_lineart, reference_color)
    return _warp(reference_lineart, reference_color, flow)


def align_reference_coarse_and_fine(target_lineart: np.ndarray, reference_lineart: np.ndarray,
                                    reference_color: np.ndarray
                                    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """:func:`align_reference`'s (line art, colour), and the fine alignment's: the flow between the unblurred line
    arts wherever it agrees with the blurred one within :data:`FINE_FLOW_AGREEMENT` pixels (the sharper alignment
    for small motion), the blurred one elsewhere. Arguments as for :func:`align_reference`."""
    coarse = _blurred_flow(target_lineart, reference_lineart, reference_color)
    sharp = dis_flow(target_lineart, reference_lineart, SHARP_FLOW_PRESET)
    agree = np.linalg.norm(sharp - coarse, axis=-1) <= FINE_FLOW_AGREEMENT
    fine = np.where(agree[..., None], sharp, coarse)
    return _warp(reference_lineart, reference_color, coarse), _warp(reference_lineart, reference_color, fine)


def _warp(lineart: np.ndarray, color: np.ndarray, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return warp_by_flow(lineart, flow, WARP_INTERPOLATION), warp_by_flow(color, flow, WARP_INTERPOLATION)


def _blurred_flow(target_lineart: np.ndarray, reference_lineart: np.ndarray, reference_color: np.ndarray
                  ) -> np.ndarray:
    """The DIS (medium) flow from the target's line art to the reference's, both blurred by
    :data:`LINEART_BLUR_SIGMA`, after checking the three images' sizes agree."""
    if not (target_lineart.shape == reference_lineart.shape == reference_color.shape[:2]):
        raise ValueError(f"target line art {target_lineart.shape}, reference line art {reference_lineart.shape} and "
                         f"reference colour {reference_color.shape} must have the same height and width")
    target_blurred, reference_blurred = (cv2.GaussianBlur(line, (0, 0), LINEART_BLUR_SIGMA)
                                         for line in (target_lineart, reference_lineart))
    return dis_flow(target_blurred, reference_blurred, "medium")
