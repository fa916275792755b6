"""REPORT.md and speed.png of the file-to-file speed benchmark, with the issue's targets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..plotting import plt, save_figure

if TYPE_CHECKING:
    from .run import Row

__all__ = ["write_report"]


def _find(rows: list[Row], model: str, size: tuple[int, int], precision: str | None = None,
          overlapped: bool = True) -> Row | None:
    for r in rows:
        if (r.model, (r.width, r.height), r.overlapped) == (model, size, overlapped) and \
                (precision is None or r.precision == precision):
            return r
    return None


def _best(rows: list[Row], model: str, size: tuple[int, int]) -> Row | None:
    """The fastest overlapped row of ``model`` at ``size`` among the precisions the engine would choose from."""
    found = [r for r in rows if (r.model, (r.width, r.height)) == (model, size) and r.overlapped]
    return min(found, key=lambda r: r.per_frame) if found else None


def _targets(rows: list[Row], baseline: float) -> list[str]:
    out = []
    lite = _best(rows, "cel_lite", (1280, 720))
    if lite:
        fps = 1 / lite.per_frame
        out.append(f"| `cel_lite` at 1280x720, file to file | >= 2 frames/s | {fps:.2f} frames/s "
                   f"({lite.precision}) | **{'PASS' if fps >= 2 else 'FAIL'}** |")
    default = _best(rows, "cel", (1280, 720))
    if default:
        ratio = baseline / default.per_frame
        out.append(f"| `cel` (default) at 1280x720 vs the issue's {baseline} s/frame | >= 2.5x faster | "
                   f"{default.per_frame:.2f} s/frame ({default.precision}): {ratio:.2f}x | "
                   f"**{'PASS' if ratio >= 2.5 else 'FAIL'}** |")
    four_k = _best(rows, "cel", (3840, 2160))
    if four_k:
        ok = four_k.per_frame <= 15 and four_k.peak_mb <= 1536
        out.append(f"| `cel` at 3840x2160 | <= 15 s and <= 1.5 GB | {four_k.per_frame:.1f} s, "
                   f"{four_k.peak_mb:.0f} MB ({four_k.precision}) | **{'PASS' if ok else 'FAIL'}** |")
    return out


def _plot(rows: list[Row], out: Path) -> Path:
    sizes = sorted({(r.width, r.height) for r in rows}, key=lambda s: s[0] * s[1])
    fig, axes = plt.subplots(1, len(sizes), figsize=(4 * len(sizes), 3.4), squeeze=False)
    for ax, size in zip(axes[0], sizes):
        here = [r for r in rows if (r.width, r.height) == size]
        labels = [f"{r.model}\n{r.precision}{'' if r.overlapped else ' serial'}" for r in here]
        ax.bar(range(len(here)), [r.per_frame for r in here],
               color=["#3a7" if r.overlapped else "#999" for r in here])
        ax.set_xticks(range(len(here)), labels, rotation=70, fontsize=7)
        ax.set_title(f"{size[0]}x{size[1]}")
        ax.set_ylabel("seconds per frame (file to file)")
    return save_figure(fig, out / "speed.png")


def write_report(rows: list[Row], out: Path, command: str, wall: float, machine: dict, baseline: float) -> Path:
    table = ["| model | size | precision | stages | s/frame | frames/s | peak MB |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append(f"| `{r.model}` | {r.width}x{r.height} | {r.precision} | "
                     f"{'overlapped' if r.overlapped else 'serial'} | {r.per_frame:.3f} | {1 / r.per_frame:.2f} | "
                     f"{r.peak_mb:.0f} |")
    pairs = []
    for r in rows:
        if r.overlapped:
            continue
        o = _find(rows, r.model, (r.width, r.height), r.precision, True)
        if o:
            pairs.append(f"| `{r.model}` {r.precision} at {r.width}x{r.height} | {r.per_frame:.3f} | "
                         f"{o.per_frame:.3f} | {r.per_frame / o.per_frame:.2f}x |")
    quant = []
    for r in rows:
        if r.precision != "int8" or not r.overlapped:
            continue
        f = _find(rows, r.model, (r.width, r.height), "fp32", True)
        if f:
            quant.append(f"| `{r.model}` at {r.width}x{r.height} | {f.per_frame:.3f} | {r.per_frame:.3f} | "
                         f"{f.per_frame / r.per_frame:.2f}x |")
    load = " / ".join(f"{v:.2f}" for v in machine["load_average"])
    text = f"""# File-to-file speed and memory on a CPU

Command: `{command}` ({wall:.0f} s wall; {machine['cpu']}, no GPU; load average at the end
{load}). Each row is one fresh process reading an H.264 clip (the sample clip scaled to the size) and writing one,
as `toonflow cartoonize` does, without the stabiliser; seconds exclude opening the model; peak MB is that process's
peak resident memory. `overlapped` decodes ahead and encodes behind the network on threads (the CLI's default);
`serial` runs them one after another. Every number comes from this one run.

![seconds per frame](speed.png)

## Targets (issue: fast where most users are, on a CPU)

| target | wanted | measured | status |
|---|---|---|---|
{chr(10).join(_targets(rows, baseline))}

## All runs

{chr(10).join(table)}

## Overlapped vs serial (same model, precision and size, back to back)

| run | serial s/frame | overlapped s/frame | speed-up |
|---|---|---|---|
{chr(10).join(pairs) or '| - | - | - | - |'}

## int8 vs fp32 (overlapped)

| run | fp32 s/frame | int8 s/frame | speed-up |
|---|---|---|---|
{chr(10).join(quant) or '| no model has an int8 copy | - | - | - |'}

The int8 copies' quality (PSNR against the fp32 output on held-out frames) and the network-only timings are in
`benchmarks/precision/`; `--precision auto` picks int8 on a CPU only where its card records both.
"""
    _plot(rows, out)
    path = out / "REPORT.md"
    path.write_text(text, encoding="utf-8")
    return path
