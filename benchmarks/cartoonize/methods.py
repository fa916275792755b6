"""The rows of the benchmark: what turns a clip (or a still) into output frames.

- `source`: the input itself (the temporal floor of a method that copies its input);
- `stylization`: OpenCV's edge-preserving `cv2.stylization` per frame (a classical, flow-free cartoon filter);
- one row per trained model, run through `engine.Cartoonizer(model=PATH, device='cpu')`;
- `<model>+stabiliser`: the same model with the engine's temporal stabiliser (`temporal=True`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import cv2
import numpy as np

__all__ = ["Method", "source_method", "stylization_method", "model_method", "make_cartoonizer"]

log = logging.getLogger(__name__)


def make_cartoonizer(model: Path, *, temporal: bool = False, device: str = "cpu", **kwargs: Any) -> Any:
    """`engine.Cartoonizer` (CPU unless told; imported here so the rest of the benchmark loads without the engine)."""
    from engine import Cartoonizer

    return Cartoonizer(model=model, device=device, temporal=temporal, **kwargs)


@dataclass
class Method:
    """One benchmark row. `run_image` is None where a method means nothing on single stills (the stabiliser)."""

    key: str
    label: str
    run_clip: Callable[[list[np.ndarray]], list[np.ndarray]]
    run_image: Callable[[np.ndarray], np.ndarray] | None
    model_path: Path | None = None
    notes: list[str] = field(default_factory=list)


def source_method() -> Method:
    """The input frames unchanged."""
    return Method("source", "source video", lambda frames: [f.copy() for f in frames], lambda image: image.copy())


def _stylize(frame: np.ndarray, sigma_s: float, sigma_r: float) -> np.ndarray:
    bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
    return cv2.cvtColor(cv2.stylization(bgr, sigma_s=sigma_s, sigma_r=sigma_r), cv2.COLOR_BGR2RGB)


def stylization_method(sigma_s: float = 60.0, sigma_r: float = 0.45) -> Method:
    """cv2.stylization per frame (OpenCV defaults sigma_s=60, sigma_r=0.45)."""
    return Method(
        "stylization",
        f"cv2.stylization (sigma_s={sigma_s:g}, sigma_r={sigma_r:g})",
        lambda frames: [_stylize(f, sigma_s, sigma_r) for f in frames],
        lambda image: _stylize(image, sigma_s, sigma_r),
    )


def model_method(
    name: str,
    path: Path,
    *,
    temporal: bool = False,
    factory: Callable[..., Any] = make_cartoonizer,
) -> Method:
    """A trained model through the engine; with `temporal`, the engine's stabiliser is on (clips only)."""
    holder: dict[str, Any] = {}

    def cartoonizer() -> Any:
        if "instance" not in holder:
            holder["instance"] = factory(path, temporal=temporal)
        return holder["instance"]

    def run_clip(frames: list[np.ndarray]) -> list[np.ndarray]:
        engine = cartoonizer()
        engine.reset()
        out: Iterable[np.ndarray] = engine.stream(iter(frames))
        return [np.asarray(f) for f in out]

    def run_image(image: np.ndarray) -> np.ndarray:
        engine = cartoonizer()
        engine.reset()
        return np.asarray(engine.process(image))

    if temporal:
        return Method(f"{name}+stabiliser", f"{name} + temporal stabiliser (engine)", run_clip, None, path)
    return Method(name, f"{name} (engine, ONNX Runtime CPU)", run_clip, run_image, path)
