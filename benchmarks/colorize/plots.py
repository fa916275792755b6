"""PNG plots (matplotlib, Agg): PSNR and SSIM against the reference interval, and engine speed."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.plotting import plt, save_figure

from .paper import PAPER_PSNR, PAPER_SSIM
from .quality import QualityResults
from .speed import PAPER_SECONDS_256, SpeedRow

__all__ = ["plot_quality", "plot_speed"]


def plot_quality(q: QualityResults, path: Path) -> Path:
    """PSNR and SSIM per method against the interval (log x), with the paper's points dashed."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric, paper in ((axes[0], "psnr", PAPER_PSNR), (axes[1], "ssim", PAPER_SSIM)):
        for key, _ in q.methods:
            xs = [d for d in q.intervals if q.pairs(key, d)]
            ax.plot(xs, [q.mean(key, d, metric) for d in xs], marker="o", label=key)
        for key, points in paper.items():
            xs = sorted(points)
            ax.plot(xs, [points[d] for d in xs], linestyle="--", marker="x", alpha=0.6, label=f"paper {key}")
        ax.set_xscale("log")
        ax.set_xticks(q.intervals, [str(d) for d in q.intervals])
        ax.set_xlabel("reference interval (frames)")
        ax.set_ylabel("PSNR (dB)" if metric == "psnr" else "SSIM")
        ax.grid(alpha=0.3)
    axes[0].set_title("PSNR, mean over held-out pairs (higher = closer to the true colour)", fontsize=9)
    axes[1].set_title("SSIM", fontsize=9)
    axes[1].legend(fontsize=7)
    return save_figure(fig, path)


def plot_speed(rows: Sequence[SpeedRow], path: Path) -> Path:
    """Seconds per frame through the engine on the CPU, with the paper's P40 GPU figure as a line."""
    labels = [f"{r.model}\n{r.width}x{r.height}, K={r.references}" for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(rows)), 4))
    ax.bar(range(len(rows)), [r.timing.seconds for r in rows], color="tab:blue")
    for i, r in enumerate(rows):
        ax.text(i, r.timing.seconds, f"{r.timing.seconds:.2f}s", ha="center", va="bottom", fontsize=7)
    ax.axhline(PAPER_SECONDS_256, color="tab:red", linestyle="--", label="paper: 0.90 s @256x256, Tesla P40 GPU")
    ax.set_xticks(range(len(rows)), labels, fontsize=7)
    ax.set_ylabel("seconds per frame (this machine's CPU)")
    ax.set_title("engine.Colorizer.colorize_frame speed (no GPU here)", fontsize=10)
    ax.legend(fontsize=7)
    return save_figure(fig, path)
