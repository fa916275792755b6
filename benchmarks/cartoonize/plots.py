"""PNG plots of the benchmark (matplotlib, Agg backend): warping errors, per-pair errors, Frechet, speed."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.plotting import plt, save_figure

from .results import BenchmarkResults

__all__ = ["plot_warping", "plot_per_pair", "plot_frechet", "plot_speed"]


def _bars(ax: "plt.Axes", labels: list[str], values: list[float], title: str, color: str) -> None:
    ax.bar(range(len(values)), values, color=color)
    ax.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:.4g}", ha="center", va="bottom", fontsize=7)


def plot_warping(results: BenchmarkResults, path: Path) -> Path:
    """E_short and E_long per method (mean over clips)."""
    keys = [k for k, _ in results.methods]
    means = [results.temporal.mean(k) for k in keys]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    _bars(axes[0], keys, [m[0] for m in means], "E_short (lower = steadier)", "tab:blue")
    _bars(axes[1], keys, [m[1] for m in means], "E_long (frame 1 vs every later frame)", "tab:orange")
    fig.suptitle("Warping error, DIS flow on the source frames, mean over held-out clips", fontsize=10)
    return save_figure(fig, path)


def plot_per_pair(results: BenchmarkResults, path: Path) -> Path:
    """Per-pair short-range error over time for each clip and method."""
    clips = list(results.temporal.clip_info)
    fig, axes = plt.subplots(1, len(clips), figsize=(5 * len(clips), 3.5), squeeze=False)
    for ax, clip in zip(axes[0], clips):
        for key, _ in results.methods:
            score = results.temporal.scores[(key, clip)]
            ax.plot(score.short_pairs, label=key, linewidth=1)
        ax.set_title(f"{clip}: E_t per consecutive pair", fontsize=9)
        ax.set_xlabel("t")
        ax.set_ylabel("E_t")
    axes[0][0].legend(fontsize=7)
    return save_figure(fig, path)


def plot_frechet(results: BenchmarkResults, path: Path) -> Path:
    """Frechet distance to the cartoon set and to the photo set per method."""
    q = results.quality
    if q is None:
        raise ValueError("no Frechet results to plot (the section was skipped)")
    keys = list(q.rows)
    x = np.arange(len(keys))
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.bar(x - 0.2, [q.rows[k].to_cartoon for k in keys], 0.4, label="to held-out cartoons")
    ax.bar(x + 0.2, [q.rows[k].to_photo for k in keys], 0.4, label="to the photos")
    ax.axhline(q.split_half_cartoon, color="tab:blue", linestyle=":", linewidth=1, label="cartoon split-half floor")
    ax.axhline(q.split_half_photo, color="tab:orange", linestyle=":", linewidth=1, label="photo split-half floor")
    ax.set_xticks(x, keys, rotation=20, ha="right", fontsize=8)
    ax.set_title(f"Frechet distance, VGG19 {q.layer} pooled, {q.size}x{q.size} (lower = nearer)", fontsize=10)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_speed(results: BenchmarkResults, path: Path) -> Path:
    """Frames per second per model, size and backend (log scale)."""
    rows = results.speed_rows
    labels = [f"{r.model}\n{r.width}x{r.height}" for r in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(rows)), 3.8))
    for offset, name, attr in ((-0.25, "engine", "engine"), (0.0, "onnxruntime bare", "onnxruntime"),
                               (0.25, "pytorch eager", "torch")):
        values = [getattr(r, attr).fps if getattr(r, attr) is not None else 0.0 for r in rows]
        ax.bar(x + offset, values, 0.25, label=name)
    ax.set_yscale("log")
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("frames / s (CPU)")
    ax.set_title("Inference speed on this machine's CPU", fontsize=10)
    ax.legend(fontsize=7)
    return save_figure(fig, path)
