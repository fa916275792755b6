"""Line-art extractors for the colorization data: colour frame -> dark lines on white.

Every extractor maps H x W x 3 uint8 RGB to H x W uint8 line art (255 = paper, 0 = ink):

- :func:`xdog`: extended difference of Gaussians (docs/METHODS.md, "XDoG line art"), a classical filter with
  randomisable parameters.
- :class:`HEDLines`: the HED edge network (:mod:`training.data.colorize.hed`), thinned to 1-px strokes (ridge NMS).
- :func:`alpha_lines`: "true" line art from a render of outline layers only (ink = the layer's coverage).

:func:`vary_style` perturbs any line art (stroke width, threshold, blur) so that a colorizer trained on it does not
depend on one extractor's look.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass

import cv2
import numpy as np

__all__ = ["XDoGParams", "xdog", "HEDLines", "ridge_maxima", "alpha_lines", "StyleParams", "vary_style",
           "luminance"]


def luminance(rgb: np.ndarray) -> np.ndarray:
    """H x W float32 luminance in [0, 1] (Rec. 601 weights) of H x W x 3 uint8 RGB."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected H x W x 3 uint8 RGB, got {rgb.shape} {rgb.dtype}")
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0


@dataclass(frozen=True)
class XDoGParams:
    """Parameters of :func:`xdog` (Winnemoeller et al. 2012, the thresholded DoG form)."""

    sigma: float = 0.9  # inner Gaussian sigma in pixels: larger = coarser, thicker lines
    k: float = 1.6  # outer sigma = k * sigma
    tau: float = 0.98  # weight of the outer blur: closer to 1 = fewer, stronger edges only
    phi: float = 120.0  # steepness of the soft threshold: larger = harder black/white lines
    epsilon: float = 0.0  # threshold on D: positive values turn weak edges dark too

    @classmethod
    def random(cls, rng: random.Random) -> "XDoGParams":
        """A random style around the defaults (sigma 0.6-1.4, tau 0.965-0.99, phi 40-250, epsilon -0.01-0.01)."""
        return cls(sigma=rng.uniform(0.6, 1.4), k=rng.uniform(1.5, 1.7), tau=rng.uniform(0.965, 0.99),
                   phi=rng.uniform(40.0, 250.0), epsilon=rng.uniform(-0.01, 0.01))

    def to_json(self) -> dict[str, float]:
        """JSON-ready dict, rounded."""
        return {k: round(v, 4) for k, v in asdict(self).items()}


def xdog(rgb: np.ndarray, params: XDoGParams = XDoGParams()) -> np.ndarray:
    """XDoG line art of an RGB frame.

    D = G_sigma(L) - tau * G_{k sigma}(L) on the luminance L in [0, 1]; the output is white where D >= epsilon and
    1 + tanh(phi * (D - epsilon)) below it (dark lines on the dark side of each edge). A flat image gives
    D = (1 - tau) L >= 0, i.e. no lines.

    Returns:
        H x W uint8, 255 = white paper, 0 = black line.
    """
    lum = luminance(rgb)
    inner = cv2.GaussianBlur(lum, (0, 0), params.sigma, borderType=cv2.BORDER_REPLICATE)
    outer = cv2.GaussianBlur(lum, (0, 0), params.sigma * params.k, borderType=cv2.BORDER_REPLICATE)
    d = inner - params.tau * outer - params.epsilon
    out = np.where(d >= 0, 1.0, 1.0 + np.tanh(params.phi * d))
    return (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


class HEDLines:
    """HED edges as thin dark-on-white strokes.

    The edge probability is thinned by non-maximum suppression across each ridge (the ridge normal is the Hessian
    eigenvector of the most negative eigenvalue), kept where the probability is at least ``threshold``, and
    components shorter than ``min_pixels`` are dropped. Strokes keep a little of the probability as grey level,
    so strong edges are darker. HED fires on the frame border (zero padding), so a ``border``-px margin is
    cleared. ``device`` is a torch device.
    """

    def __init__(self, *, threshold: float = 0.3, min_pixels: int = 8, border: int = 3, device: str = "cpu") -> None:
        import torch

        from .hed import HED

        self.threshold = threshold
        self.min_pixels = min_pixels
        self.border = border
        self.device = torch.device(device)
        self.model = HED.pretrained().to(self.device)

    def probability(self, rgb: np.ndarray) -> np.ndarray:
        """H x W float32 edge probability in [0, 1]."""
        import torch

        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected H x W x 3 uint8 RGB, got {rgb.shape} {rgb.dtype}")
        x = torch.from_numpy(np.ascontiguousarray(rgb)).to(self.device).permute(2, 0, 1)[None].float() / 255.0
        with torch.no_grad():
            return self.model(x)[0, 0].float().cpu().numpy()

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        return self.lines(self.probability(rgb))

    def lines(self, prob: np.ndarray) -> np.ndarray:
        """Thin dark-on-white strokes (H x W uint8) from an edge probability map."""
        keep = ridge_maxima(prob) & (prob >= self.threshold)
        if self.border > 0:
            b = self.border
            keep[:b], keep[-b:], keep[:, :b], keep[:, -b:] = False, False, False, False
        count, labels, stats, _ = cv2.connectedComponentsWithStats(keep.astype(np.uint8), connectivity=8)
        large = stats[:, cv2.CC_STAT_AREA] >= self.min_pixels
        large[0] = False  # background label
        ink = np.where(large[labels], np.clip(0.6 + 0.4 * prob, 0.0, 1.0), 0.0)
        return (255.0 - ink * 255.0 + 0.5).astype(np.uint8)


def ridge_maxima(values: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """H x W bool: pixels of a (lightly smoothed) map that are maxima across the ridge through them."""
    smooth = cv2.GaussianBlur(values.astype(np.float32), (0, 0), sigma)
    dx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    dxx = cv2.Sobel(dx, cv2.CV_32F, 1, 0, ksize=3)
    dyy = cv2.Sobel(dy, cv2.CV_32F, 0, 1, ksize=3)
    dxy = cv2.Sobel(dx, cv2.CV_32F, 0, 1, ksize=3)
    theta = 0.5 * np.arctan2(2 * dxy, dxx - dyy)  # one Hessian eigenvector; the other is at +90 degrees
    cos, sin = np.cos(theta), np.sin(theta)
    curvature = dxx * cos**2 + 2 * dxy * sin * cos + dyy * sin**2
    across = dxx * sin**2 - 2 * dxy * sin * cos + dyy * cos**2
    theta = np.where(curvature <= across, theta, theta + np.pi / 2)  # the direction of strongest downward bend
    nx, ny = np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)
    height, width = values.shape
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    ahead = cv2.remap(smooth, gx + nx, gy + ny, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    behind = cv2.remap(smooth, gx - nx, gy - ny, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return (smooth >= ahead) & (smooth >= behind)


def alpha_lines(rgba: np.ndarray) -> np.ndarray:
    """Line art from a render of the outline layers alone over transparency (ink = alpha), or over white
    (H x W x 3: ink = darkness). Returns H x W uint8, 255 = white."""
    if rgba.ndim == 3 and rgba.shape[2] == 4:
        return (255 - rgba[:, :, 3]).astype(np.uint8)
    if rgba.ndim == 3 and rgba.shape[2] == 3:
        return cv2.cvtColor(rgba, cv2.COLOR_RGB2GRAY)
    raise ValueError(f"expected H x W x 4 RGBA or H x W x 3 RGB, got {rgba.shape}")


@dataclass(frozen=True)
class StyleParams:
    """A random perturbation of line art, applied identically to every frame of one training pair."""

    thickness: int  # 0: as extracted; 1: strokes grow by a 2x2 min filter; 2: by a 3x3 one
    gamma: float  # ink darkness curve (when not binarised): > 1 lightens grey ink, < 1 darkens it
    threshold: float | None  # binarise: ink (1 - grey / 255) >= threshold is black, the rest white; None: keep grey
    blur: float  # Gaussian sigma of a final soft blur (0 = none)

    @classmethod
    def random(cls, rng: random.Random) -> "StyleParams":
        """Mostly gentle changes; a third of draws binarise, a third blur slightly."""
        thickness = rng.choices([0, 1, 2], weights=[5, 3, 1])[0]
        threshold = rng.uniform(0.15, 0.5) if rng.random() < 0.33 else None
        blur = rng.uniform(0.3, 0.9) if rng.random() < 0.33 else 0.0
        return cls(thickness=thickness, gamma=rng.uniform(0.7, 1.4), threshold=threshold, blur=blur)


def vary_style(lines: np.ndarray, style: StyleParams) -> np.ndarray:
    """Apply a :class:`StyleParams` to H x W uint8 line art (dark on white); returns the same shape and dtype."""
    out = lines
    if style.thickness > 0:  # a min filter on white paper widens the dark strokes
        size = style.thickness + 1
        out = cv2.erode(out, np.ones((size, size), np.uint8))
    ink = 1.0 - out.astype(np.float32) / 255.0
    if style.threshold is not None:
        ink = (ink >= style.threshold).astype(np.float32)
    else:
        ink = np.power(ink, style.gamma)
    if style.blur > 0:
        ink = cv2.GaussianBlur(ink, (0, 0), style.blur)
    return (255.0 - np.clip(ink, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
