"""Matplotlib for the benchmarks' PNGs: pyplot on the Agg backend, and saving a finished figure.

The plot and sheet modules take `plt` from here, so the backend is chosen before pyplot is first imported (the
benchmarks run on machines without a display).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["plt", "save_figure"]


def save_figure(fig: "plt.Figure", path: Path, *, dpi: int = 110) -> Path:
    """Lay `fig` out tightly, write it to `path` as PNG and free it; returns `path`."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
