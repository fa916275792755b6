"""The paper's reference numbers (Liu et al., "Unsupervised Coherent Video Cartoonization with Perceptual Motion
Consistency", AAAI 2022; docs/METHODS.md, "White-box and PMC"). Printed beside our measurements for reference only:
the paper used RAFT flow on DAVIS and Inception FID, we use DIS flow on our held-out clips and a VGG19 Frechet
distance, so only ratios and orderings compare."""
from __future__ import annotations

__all__ = ["PAPER_WARPING", "PAPER_FID"]

#: Table 2, warping error (E_short, E_long), DAVIS, RAFT flow.
PAPER_WARPING: dict[str, tuple[float, float]] = {
    "source video": (0.0532, 0.262),
    "White-box (released)": (0.0670, 0.266),
    "Baseline (= our whitebox recipe)": (0.0746, 0.273),
    "Baseline + SSA": (0.0643, 0.262),
    "Baseline + PMC": (0.0667, 0.258),
    "full (= our pmc recipe)": (0.0526, 0.237),
}

#: Table 1, FID to cartoon / FID to photo (Inception-v3).
PAPER_FID: dict[str, tuple[float, float]] = {
    "full (= our pmc recipe)": (87.96, 41.11),
    "White-box (released)": (90.98, 50.69),
}
