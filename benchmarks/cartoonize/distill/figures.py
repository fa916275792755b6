"""PNG figures of the distillation benchmark: plots with their numbers and the contact sheet (matplotlib via
`benchmarks.plotting`), and the README's before/after image (OpenCV, pixel for pixel)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.plotting import plt, save_figure

from .measure import DistillResults
from .rows import Row
from .targets import MIN_SMOOTH_GAIN

__all__ = ["plot_flatness_gain", "plot_e_short", "plot_speed", "write_contact_sheet", "write_before_after"]

log = logging.getLogger(__name__)


def _colours(rows: list[Row]) -> dict[str, Any]:
    """A colour per row: grey for the source, one tab20 pair per teacher or model (the light shade for its
    stabilised row)."""
    cmap = plt.get_cmap("tab20")
    colours: dict[str, Any] = {"source": "0.55"}
    pairs: dict[str, int] = {}
    for row in rows:
        if row.kind == "source":
            continue
        name = row.model or row.key
        pair = pairs.setdefault(name, len(pairs) % 10)
        colours[row.key] = cmap(2 * pair + (1 if row.stabilised else 0))
    return colours


def plot_flatness_gain(results: DistillResults, path: Path) -> Path:
    """Flatness gain over the source per clip (groups) and row (bars), with the +0.10 line of smooth clips."""
    rows = [r for r in results.rows if r.kind != "source"]
    clips = results.clips
    width = 0.8 / len(rows)
    fig, ax = plt.subplots(figsize=(max(7.0, 0.35 * len(rows) * len(clips) + 2), 4.2))
    colours = _colours(results.rows)
    for i, row in enumerate(rows):
        x = np.arange(len(clips)) - 0.4 + (i + 0.5) * width
        gains = [results.flatness_gain(row.key, c) for c in clips]
        ax.bar(x, gains, width, label=row.key, color=colours[row.key])
        for xi, gain in zip(x, gains):
            ax.text(xi, gain, f"{gain:+.3f}", ha="center", va="bottom" if gain >= 0 else "top", fontsize=6,
                    rotation=90)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.axhline(MIN_SMOOTH_GAIN, color="tab:red", linestyle=":", linewidth=1,
               label=f"{MIN_SMOOTH_GAIN:+.2f} (target on smooth clips)")
    ax.set_xticks(range(len(clips)),
                  [f"{c}\nsource flatness {results.look[('source', c)].flatness:.3f}" for c in clips], fontsize=8)
    ax.set_ylabel("flatness(row) - flatness(source)")
    ax.set_title("Flatness gain: share of pixels with 5x5 luminance std < 0.02, minus the source's", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return save_figure(fig, path)


def plot_e_short(results: DistillResults, path: Path) -> Path:
    """E_short per row (mean over clips; bars with their values) with the per-clip values as dots."""
    rows = results.rows
    fig, ax = plt.subplots(figsize=(max(7.0, 0.7 * len(rows) + 2), 4.0))
    means = [results.e_short(r.key) for r in rows]
    colours = _colours(rows)
    ax.bar(range(len(rows)), means, color=[colours[r.key] for r in rows])
    for i, (row, mean) in enumerate(zip(rows, means)):
        ax.text(i, mean, f"{mean:.4f}", ha="center", va="bottom", fontsize=7)
        for j, clip in enumerate(results.clips):
            ax.plot(i, results.e_short(row.key, clip), marker="os^vD"[j % 5], color="black", markersize=3,
                    linestyle="none", label=clip if i == 0 else None)
    ax.set_xticks(range(len(rows)), [r.key for r in rows], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("E_short (mean over clips)")
    ax.set_title("Short-term warping error (lower = steadier); dots: per clip", fontsize=10)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_speed(results: DistillResults, path: Path) -> Path:
    """Seconds per frame of every timed row (teachers included), per measured size."""
    entries = results.speed
    labels = [f"{e.key}\n{e.width}x{e.height}" for e in entries]
    seconds = [e.timing.seconds for e in entries]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(entries) + 2), 3.8))
    colours = _colours(results.rows)
    ax.bar(range(len(entries)), seconds, color=[colours[e.key] for e in entries])
    for i, value in enumerate(seconds):
        ax.text(i, value, f"{value:.3f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(entries)), labels, fontsize=8)
    ax.set_ylabel("seconds per frame (CPU)")
    ax.set_title("Speed on this machine's CPU (median of repeats, all rows taking turns)", fontsize=10)
    return save_figure(fig, path)


def write_contact_sheet(results: DistillResults, path: Path) -> Path:
    """One row per method (stabiliser off), one column per clip: the frame near each clip's middle that the temporal
    section keeps."""
    rows, clips = [r for r in results.rows if not r.stabilised], results.clips
    h, w = results.temporal.sheet_frames["source"][clips[0]].shape[:2]
    cell = 3.2
    fig, axes = plt.subplots(len(rows), len(clips), figsize=(cell * len(clips), cell * h / w * len(rows) + 0.4),
                             squeeze=False)
    for r, row in enumerate(rows):
        for c, clip in enumerate(clips):
            ax = axes[r][c]
            ax.imshow(results.temporal.sheet_frames[row.key][clip])
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(clip, fontsize=8)
            if c == 0:
                ax.set_ylabel(row.key, fontsize=8)
    return save_figure(fig, path, dpi=100)


def write_before_after(results: DistillResults, path: Path, *, model: str, clip: str, gap: int = 8,
                       caption: int = 28) -> Path:
    """`source | model` on one clip's sheet frame, pixel for pixel, with a caption band above each half."""
    frames = results.temporal.sheet_frames
    before, after = frames["source"][clip], frames[model][clip]
    h, w = before.shape[:2]
    canvas = np.full((caption + h, 2 * w + gap, 3), 255, np.uint8)
    for x0, image, title in ((0, before, "source"), (w + gap, after, model)):
        canvas[caption:, x0:x0 + w] = image
        cv2.putText(canvas, title, (x0 + 4, caption - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{path}: could not write the before/after image")
    log.info("before/after: %s on %s -> %s", model, clip, path)
    return path
