"""Numbers quoted from the LCMFTN paper (Zhang et al., WACV 2021) for reference; never mixed with our measurements.

Tables 1-3 give PSNR / SSIM at reference intervals 1, 10 and 40 (their anime test set, 256x256); Table 4 the speed.
"""
from __future__ import annotations

__all__ = ["PAPER_PSNR", "PAPER_SSIM"]

#: method -> {interval: PSNR dB}
PAPER_PSNR: dict[str, dict[int, float]] = {
    "lcmftn": {1: 30.24, 10: 26.84, 40: 24.18},
    "lcmftn_nocmft": {1: 29.44, 10: 25.02, 40: 21.88},
}
#: method -> {interval: SSIM}
PAPER_SSIM: dict[str, dict[int, float]] = {
    "lcmftn": {1: 0.979, 10: 0.960, 40: 0.940},
}
