"""Contact sheet: the same frames through every method, one row per method.

Columns: each clip's middle frame, the first clip's masked temporal difference |W(O_t+1) - O_t| (brighter = more
flicker; grey = excluded by the flow masks), then a few held-out photos.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.plotting import plt, save_figure

from .results import BenchmarkResults

__all__ = ["write_sheet"]


def write_sheet(results: BenchmarkResults, path: Path, *, diff_scale: float = 0.25) -> Path:
    """Write the sheet PNG; difference maps are shown on [0, `diff_scale`]."""
    keys = [k for k, _ in results.methods]
    clips = list(results.temporal.clip_info)
    photo_count = 0
    if results.quality is not None and results.quality.sheet_images:
        photo_count = max(len(v) for v in results.quality.sheet_images.values())
    columns = [("clip", c) for c in clips] + [("diff", clips[0])] + [("photo", str(i)) for i in range(photo_count)]
    fig, axes = plt.subplots(len(keys), len(columns), figsize=(2.6 * len(columns), 2.0 * len(keys)), squeeze=False)
    cmap = plt.get_cmap("magma").with_extremes(bad="0.5")
    for r, key in enumerate(keys):
        for c, (kind, name) in enumerate(columns):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            image: np.ndarray | None = None
            if kind == "clip":
                image = results.temporal.sheet_frames[key][name]
                ax.imshow(image)
            elif kind == "diff":
                ax.imshow(np.ma.masked_invalid(results.temporal.sheet_diffs[key][name]), cmap=cmap, vmin=0,
                          vmax=diff_scale)
            else:
                images = results.quality.sheet_images.get(key) if results.quality else None
                if images:
                    ax.imshow(images[int(name)])
                else:
                    ax.text(0.5, 0.5, "n/a on stills", ha="center", va="center", fontsize=8)
            if r == 0:
                title = {"clip": f"clip {name}", "diff": f"|W(O_t+1)-O_t| {name}", "photo": f"test photo {name}"}
                ax.set_title(title[kind], fontsize=8)
            if c == 0:
                ax.set_ylabel(key, fontsize=8)
    return save_figure(fig, path, dpi=100)
