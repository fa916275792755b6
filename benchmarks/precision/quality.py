"""What int8 costs in quality, measured through the engine on held-out data (never calibrated on).

* cartoonize: PSNR of the engine's int8 output against its fp32 output (``Cartoonizer.process``, default
  settings) on every held-out photo (``photos/test``);
* colorize: the colorize benchmark's rows (``benchmarks.colorize.quality.evaluate``: PSNR and SSIM against the
  true colour, one reference, per reference interval) for the fp32 and the int8 engine on the same pairs, and the
  PSNR of int8 against fp32 on those pairs.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.colorize.data import choose_style, load_sequences
from benchmarks.colorize.methods import Method
from benchmarks.colorize.quality import evaluate
from engine import Cartoonizer, Colorizer, Reference
from engine.models import ModelCard
from training.metrics.psnr import psnr_uint8 as psnr
from training.quantize_data import split_files

__all__ = ["CartoonizeQuality", "ColorizeQuality", "cartoonize_quality", "colorize_quality"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CartoonizeQuality:
    model: str
    frames: int
    psnr_mean: float
    psnr_min: float


@dataclass(frozen=True)
class ColorizeQuality:
    """Per interval: pairs and mean PSNR against the truth for fp32 and int8; int8 against fp32 over all pairs."""

    model: str
    style: str
    pairs: dict[int, int]
    fp32: dict[int, float]
    int8: dict[int, float]
    int8_vs_fp32: float


def cartoonize_quality(card: ModelCard, data: Path) -> CartoonizeQuality:
    """int8 against fp32 through ``Cartoonizer.process`` on every held-out photo of ``data``."""
    engines = {p: Cartoonizer(card.onnx_path, device="cpu", precision=p) for p in ("fp32", "int8")}
    scores = []
    for path in split_files(data, "cartoonize", "test"):
        rgb = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        scores.append(psnr(engines["fp32"].process(rgb), engines["int8"].process(rgb)))
    log.info("%s: int8 vs fp32 %.2f dB mean over %d held-out photos", card.name, np.mean(scores), len(scores))
    return CartoonizeQuality(card.name, len(scores), float(np.mean(scores)), float(np.min(scores)))


def colorize_quality(card: ModelCard, data: Path, intervals: Sequence[int], max_pairs: int, max_side: int
                     ) -> ColorizeQuality:
    """The colorize benchmark's pairs, coloured by the fp32 and the int8 engine (same pairs, one reference)."""
    engines = {p: Colorizer(card.onnx_path, device="cpu", precision=p) for p in ("fp32", "int8")}
    fp32_out: list[np.ndarray] = []
    versus: list[float] = []

    def fp32(line: np.ndarray, colour: np.ndarray, target: np.ndarray) -> np.ndarray:
        fp32_out[:] = [engines["fp32"].colorize_frame(target, [Reference(line, colour)])]
        return fp32_out[0]

    def int8(line: np.ndarray, colour: np.ndarray, target: np.ndarray) -> np.ndarray:
        out = engines["int8"].colorize_frame(target, [Reference(line, colour)])
        versus.append(psnr(fp32_out[0], out))  # evaluate() runs the rows in order on each pair: fp32 came first
        return out

    style = choose_style(data, None)
    sequences = load_sequences(data, style, max_side=max_side)
    results = evaluate(sequences, [Method("fp32", "fp32", predict=fp32), Method("int8", "int8", predict=int8)],
                       list(intervals), max_pairs=max_pairs)
    out = ColorizeQuality(
        card.name, style,
        pairs={d: len(results.pairs("fp32", d)) for d in intervals},
        fp32={d: results.mean("fp32", d, "psnr") for d in intervals},
        int8={d: results.mean("int8", d, "psnr") for d in intervals},
        int8_vs_fp32=float(np.mean(versus)) if versus else float("nan"))
    log.info("%s: %s", card.name, ", ".join(f"interval {d}: fp32 {out.fp32[d]:.2f} int8 {out.int8[d]:.2f} dB"
                                           for d in intervals))
    return out
