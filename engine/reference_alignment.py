"""Flow alignment of colorization references (our extension beyond LCMFTN).

Before a reference (line art + colour) enters the network it can be warped into the geometry of the frame being
coloured, by DIS optical flow computed between the two line-art frames. The network's correlation matching then only
has to correct the flow's mistakes (occlusions, new content, lines the flow tore) instead of finding every
correspondence itself, which the CPU-scale training could not learn: the trained global attention's best match was
a median 17 of 32 positions away from the true one on held-out pairs (TRAINING.md, "Reference alignment").

A model trained on aligned references says so in its card (`reference_alignment: "dis"`); the engine then aligns
every reference (keyframe and previous output) the same way before each network pass, and by default offers the
first reference (the keyframe) a second time, aligned by the flow on the unblurred line arts
(:data:`FINE_ALIGNMENT_SIGMA`).
"""
from __future__ import annotations

import cv2
import numpy as np

from .optical_flow import dis_flow, warp_by_flow

__all__ = ["LINEART_BLUR_SIGMA", "FINE_ALIGNMENT_SIGMA", "REFERENCE_ALIGNMENTS", "align_reference"]

#: Card values of `reference_alignment`: "none" (references as they are) or "dis" (warped by DIS flow, medium).
REFERENCE_ALIGNMENTS = ("none", "dis")

#: Gaussian sigma (pixels) the line arts are blurred with before the flow. DIS matches patches of intensity; on thin
#: lines over flat paper most patches are blank and moves wider than a line's width are lost. Measured on 48 held-out
#: 256 px pairs, warp PSNR for sigma 0 / 1 / 2 / 3: 26.79 / 27.67 / 28.23 / 28.01 dB (10-frame gaps), 16.91 / 17.14 /
#: 17.14 / 17.48 dB (40-frame gaps): 3 wins where motion is wide, which is where alignment matters.
LINEART_BLUR_SIGMA = 3.0

#: Blur of the second, fine alignment of a keyframe (the engine's ``fine_alignment``): none. The sigma-3 flow is
#: right for wide motion but smears small moves that the unblurred lines pin down; given both, the network's gate
#: takes per pixel whichever agrees with the frame's line art. Measured on the ten held-out sequences (engine chain
#: from one keyframe, mean PSNR lead over the DIS-warped keyframe at gaps 1 / 2 / 6 / 12): without -0.09 / +0.21 /
#: +0.53 / +2.72 dB, with +0.62 / +0.88 / +1.40 / +2.91 (sigma 1 instead of 0: +0.50 / +0.74 / +1.23 / +3.00).
FINE_ALIGNMENT_SIGMA = 0.0


def align_reference(target_lineart: np.ndarray, reference_lineart: np.ndarray, reference_color: np.ndarray,
                    blur_sigma: float = LINEART_BLUR_SIGMA) -> tuple[np.ndarray, np.ndarray]:
    """Warp a reference into the target's geometry.

    Args:
        target_lineart: uint8 gray ``(H, W)``, the frame being coloured.
        reference_lineart: uint8 gray ``(H, W)``.
        reference_color: uint8 RGB ``(H, W, 3)``.
        blur_sigma: Gaussian sigma the line arts are blurred with for the flow (0: not blurred, the finest flow for
            small motion; see :data:`FINE_ALIGNMENT_SIGMA`).

    Returns:
        The reference's line art and colour sampled at ``x + F(x)``, F the DIS (medium) flow from the target's line
        art to the reference's, both blurred by ``blur_sigma`` (same shapes and dtype as given).
    """
    if not (target_lineart.shape == reference_lineart.shape == reference_color.shape[:2]):
        raise ValueError(f"target line art {target_lineart.shape}, reference line art {reference_lineart.shape} and "
                         f"reference colour {reference_color.shape} must have the same height and width")
    target_blurred, reference_blurred = ((cv2.GaussianBlur(line, (0, 0), blur_sigma) if blur_sigma > 0 else line)
                                         for line in (target_lineart, reference_lineart))
    flow = dis_flow(target_blurred, reference_blurred, "medium")
    return warp_by_flow(reference_lineart, flow), warp_by_flow(reference_color, flow)
