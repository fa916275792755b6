"""Soft tone steps and a chroma lift: the pointwise colour stage of the cartoon teacher (training/teacher).

Lightness is soft-quantized into tone steps (Winnemoller, Olsen, Gooch 2006) and CIELAB chroma is scaled. The
teacher applies this stage to its flattened frame; a distilled model whose card names ``postprocess.tone_steps``
leaves it to the engine: its network learned the teacher's flattened frame only (a smooth map a small network
regresses well), and the engine places the tone steps exactly where the network's lightness crosses them, instead
of the network blurring a steep step it cannot place. The steps amplify the network's small frame-to-frame changes
into flicker, so such a network is trained through them (``train --temporal-on-finish``): the shipped `comic` and
`comic_lite` (docs/TRAINING.md, "Tone steps drawn by the engine" and "Training through the finish").
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["ToneStepsParams", "soft_quantize", "apply_tone_steps", "tone_steps_and_lightness", "cielab_lightness"]

LIGHTNESS_RANGE = 100.0  # CIELAB L* of float images spans 0..100


@dataclass(frozen=True)
class ToneStepsParams:
    """The colour stage's parameters."""

    levels: int  # tone steps over lightness 0..100 (0: lightness left as it is)
    sharpness: float  # tanh slope of each step, per lightness unit (larger: harder steps)
    saturation: float  # CIELAB chroma gain (1: unchanged)

    def validate(self) -> None:
        """ValueError naming the first parameter out of range."""
        checks = (("levels", self.levels >= 0), ("sharpness", self.sharpness > 0), ("saturation", self.saturation >= 0))
        for name, ok in checks:
            if not ok:
                raise ValueError(f"tone steps: {name} out of range (levels >= 0, sharpness > 0, saturation >= 0): "
                                 f"got {self}")


def soft_quantize(lightness: np.ndarray, levels: int, sharpness: float) -> np.ndarray:
    """Lightness (float32, 0..100) in `levels` soft tone steps (Winnemoller et al. 2006, eq. 6).

    Each value moves towards the plateau half-way between its two nearest step values; the transition at a step
    value is a tanh of slope `sharpness` per lightness unit, so a pixel drifting across it changes tone gradually.
    """
    step = LIGHTNESS_RANGE / levels
    nearest = np.round(lightness / step) * step
    return nearest + 0.5 * step * np.tanh(sharpness * (lightness - nearest))


def cielab_lightness(image: np.ndarray) -> np.ndarray:
    """float32 ``(H, W)`` CIELAB lightness in [0, 1] of float RGB ``(H, W, 3)`` in [0, 1]."""
    image = np.ascontiguousarray(image, dtype=np.float32)
    return cv2.cvtColor(image, cv2.COLOR_RGB2LAB)[..., 0] / LIGHTNESS_RANGE


def apply_tone_steps(image: np.ndarray, params: ToneStepsParams) -> np.ndarray:
    """float32 ``(H, W, 3)`` RGB in [0, 1]: `image` (float RGB in [0, 1]) with its lightness in soft tone steps and
    its chroma scaled."""
    return tone_steps_and_lightness(image, params)[0]


def tone_steps_and_lightness(image: np.ndarray, params: ToneStepsParams) -> tuple[np.ndarray, np.ndarray]:
    """:func:`apply_tone_steps` of `image`, and the float32 ``(H, W)`` CIELAB lightness in [0, 1] of `image` before
    the steps (what the ink lines are found on), from one colour conversion: the engine runs this per frame."""
    lab = cv2.cvtColor(np.ascontiguousarray(image, dtype=np.float32), cv2.COLOR_RGB2LAB)
    lightness, a, b = cv2.split(lab)
    stepped = soft_quantize(lightness, params.levels, params.sharpness) if params.levels > 0 else lightness
    # Scaled as separate planes: numpy's strided `lab[..., 1:] *=` costs 5x as much on a 720p frame.
    gain = np.float32(params.saturation)
    lab = cv2.merge((stepped, np.multiply(a, gain, out=a), np.multiply(b, gain, out=b)))
    rgb = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    return np.clip(rgb, 0.0, 1.0, out=rgb), lightness / LIGHTNESS_RANGE
