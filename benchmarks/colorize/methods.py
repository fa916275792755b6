"""The rows of the benchmark: each colours target line art from one reference (line art + colour).

* `copy`: the reference colour itself (what you get without any model).
* `warp`: the reference colour warped to the target by OpenCV DIS flow computed between the two line-art frames
  (flow from the target to the reference, bilinear sampling; `training.metrics.flow`).
* `warp_aligned`: the reference colour as the engine's reference alignment warps it (`engine.reference_alignment`:
  the same DIS flow computed on the line arts blurred with sigma 3), the input a model with
  `reference_alignment: "dis"` starts from.
* models: `engine.Colorizer.colorize_frame(target, [reference])` with an ONNX colorize model (the paper's
  protocol: one reference, the interval's first frame).
* `<model>+chain` (optional): the engine's own sequence path, `Colorizer.colorize` over every frame after the
  reference (references: the keyframe and the previous output; a frame that holds the drawing of the last coloured
  frame repeats its colour, as the engine does by default); one run from the sequence's first frame serves every
  interval, the output at frame d is scored at interval d.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import Colorizer, Reference
from engine.optical_flow import dis_flow, warp_by_flow
from engine.reference_alignment import LINEART_BLUR_SIGMA, SHARP_FLOW_PRESET, WARP_INTERPOLATION, align_reference
from training.metrics.flow import estimate_flow, sample_bilinear

__all__ = ["Method", "BASELINE_KEYS", "copy_method", "warp_method", "sharp_warp_method", "aligned_warp_method",
           "model_method", "chain_method"]

#: keys of the model-free rows (copy_method, warp_method, aligned_warp_method)
BASELINE_KEYS = ("copy", "warp", "warp_aligned")

#: (reference line art, reference colour, target line art) -> colour of the target
PredictFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
#: (reference line art, reference colour, line art of every following frame) -> colour of every following frame
ChainFn = Callable[[np.ndarray, np.ndarray, Sequence[np.ndarray]], Iterator[np.ndarray]]


@dataclass(frozen=True)
class Method:
    """One row: `key` (short id), `label` (for the report) and either `predict` (one pair at a time) or `chain`
    (every frame after the reference, in order)."""

    key: str
    label: str
    predict: PredictFn | None = None
    chain: ChainFn | None = None


def copy_method() -> Method:
    return Method("copy", "copy the reference colour", predict=lambda line, colour, target: colour)


def warp_method(preset: str = "medium") -> Method:
    def predict(line: np.ndarray, colour: np.ndarray, target: np.ndarray) -> np.ndarray:
        flow = estimate_flow(target, line, preset=preset)  # target(x) ~ reference(x + F(x))
        return np.clip(np.rint(sample_bilinear(colour, flow)), 0, 255).astype(np.uint8)

    return Method("warp", f"reference colour warped by DIS flow ({preset}) between the line arts", predict=predict)


def sharp_warp_method() -> Method:
    """The keyframe as the engine's fine alignment warps it (without the agreement rule): DIS refined at full
    resolution between the unblurred line arts, Lanczos resampling. Not one of issue 25's baselines; it shows what
    the network adds over its own sharpest input."""
    def predict(line: np.ndarray, colour: np.ndarray, target: np.ndarray) -> np.ndarray:
        return warp_by_flow(colour, dis_flow(target, line, SHARP_FLOW_PRESET), WARP_INTERPOLATION)

    label = (f"reference colour warped by DIS ({SHARP_FLOW_PRESET}) between the unblurred line arts, "
             f"{WARP_INTERPOLATION} resampling (the engine's fine alignment alone)")
    return Method("warp_sharp", label, predict=predict)


def aligned_warp_method() -> Method:
    def predict(line: np.ndarray, colour: np.ndarray, target: np.ndarray) -> np.ndarray:
        return align_reference(target, line, colour)[1]

    return Method("warp_aligned", f"reference colour warped by the engine's reference alignment (DIS medium between "
                                  f"the line arts blurred with sigma {LINEART_BLUR_SIGMA:g})", predict=predict)


def make_colorizer(path: Path) -> Colorizer:
    """The engine's colorizer for an ONNX file, on the CPU (the benchmark machine has no GPU)."""
    return Colorizer(path, device="cpu")


def model_method(key: str, path: Path, colorizer: Colorizer | None = None) -> Method:
    col = colorizer or make_colorizer(path)

    def predict(line: np.ndarray, colour: np.ndarray, target: np.ndarray) -> np.ndarray:
        return col.colorize_frame(target, [Reference(line, colour)])

    return Method(key, f"{key}: {path} (engine, one reference)", predict=predict)


def chain_method(key: str, path: Path, colorizer: Colorizer | None = None) -> Method:
    col = colorizer or make_colorizer(path)

    def chain(line: np.ndarray, colour: np.ndarray, following: Sequence[np.ndarray]) -> Iterator[np.ndarray]:
        outputs = col.colorize([line, *following], {0: colour})
        next(outputs)  # the keyframe itself
        return outputs

    return Method(f"{key}+chain", f"{key}: engine sequence path from frame 0 (keyframe + previous output, every "
                                  "frame; held drawings repeat the previous output)", chain=chain)
