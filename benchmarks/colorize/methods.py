"""The rows of the benchmark: each colours target line art from one reference (line art + colour).

* `copy`: the reference colour itself (what you get without any model).
* `warp`: the reference colour warped to the target by OpenCV DIS flow computed between the two line-art frames
  (flow from the target to the reference, bilinear sampling; `training.metrics.flow`).
* models: `engine.Colorizer.colorize_frame(target, [reference])` with an ONNX colorize model (the paper's
  protocol: one reference, the interval's first frame).
* `<model>+chain` (optional): the engine's own sequence path, `Colorizer.colorize` over every frame from the
  reference to the target (references: the keyframe and the previous output); the target's output is scored.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import Colorizer, Reference
from training.metrics.flow import estimate_flow, sample_bilinear

__all__ = ["Method", "copy_method", "warp_method", "model_method", "chain_method"]

#: (reference line art, reference colour, line art of every frame from the reference to the target) -> colour
PredictFn = Callable[[np.ndarray, np.ndarray, Sequence[np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Method:
    """One row: `key` (short id), `label` (for the report) and its prediction function.

    `needs_all_frames`: the method reads every line-art frame between reference and target (the chain), not just
    the target's.
    """

    key: str
    label: str
    predict: PredictFn
    needs_all_frames: bool = False


def copy_method() -> Method:
    return Method("copy", "copy the reference colour", lambda line, colour, targets: colour)


def warp_method(preset: str = "medium") -> Method:
    def predict(line: np.ndarray, colour: np.ndarray, targets: Sequence[np.ndarray]) -> np.ndarray:
        flow = estimate_flow(targets[-1], line, preset=preset)  # target(x) ~ reference(x + F(x))
        return np.clip(np.rint(sample_bilinear(colour, flow)), 0, 255).astype(np.uint8)

    return Method("warp", f"reference colour warped by DIS flow ({preset}) between the line arts", predict)


def make_colorizer(path: Path) -> Colorizer:
    """The engine's colorizer for an ONNX file, on the CPU (the benchmark machine has no GPU)."""
    return Colorizer(path, device="cpu")


def model_method(key: str, path: Path, colorizer: Colorizer | None = None) -> Method:
    col = colorizer or make_colorizer(path)

    def predict(line: np.ndarray, colour: np.ndarray, targets: Sequence[np.ndarray]) -> np.ndarray:
        return col.colorize_frame(targets[-1], [Reference(line, colour)])

    return Method(key, f"{key}: {path} (engine, one reference)", predict)


def chain_method(key: str, path: Path, colorizer: Colorizer | None = None) -> Method:
    col = colorizer or make_colorizer(path)

    def predict(line: np.ndarray, colour: np.ndarray, targets: Sequence[np.ndarray]) -> np.ndarray:
        out = colour
        for out in col.colorize([line, *targets], {0: colour}):
            pass
        return out

    return Method(f"{key}+chain", f"{key}: engine sequence path (keyframe + previous output, every frame)",
                  predict, needs_all_frames=True)
