"""Contact sheet: one row per interval (first pair of the first sequence): reference colour, target line art, the
true colour, then every method's colour with its PSNR."""
from __future__ import annotations

from pathlib import Path

from benchmarks.plotting import plt, save_figure

from .quality import QualityResults, score

__all__ = ["write_sheet"]

FIXED = ("reference colour", "target line art", "target truth")


def write_sheet(q: QualityResults, path: Path) -> Path:
    intervals = sorted(q.sheet)
    if not intervals:
        raise ValueError("no frames were kept for the sheet")
    columns = list(FIXED) + [k for k, _ in q.methods]
    fig, axes = plt.subplots(len(intervals), len(columns), figsize=(2.2 * len(columns), 2.0 * len(intervals)),
                             squeeze=False)
    for r, d in enumerate(intervals):
        images = q.sheet[d]
        for c, name in enumerate(columns):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            img = images.get(name)
            if img is None:
                ax.text(0.5, 0.5, "n/a", ha="center", va="center", fontsize=8)
            else:
                ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255)
            title = name
            if name not in FIXED and img is not None:
                title = f"{name}\n{score(img, images['target truth'])[0]:.1f} dB"
            ax.set_title(title, fontsize=7)
            if c == 0:
                ax.set_ylabel(f"interval {d}", fontsize=8)
    fig.suptitle(f"sequence {q.sheet_sequence}: reference frame s, target s + interval", fontsize=9)
    return save_figure(fig, path, dpi=100)
