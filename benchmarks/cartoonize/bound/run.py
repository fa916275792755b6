"""Bound benchmark CLI: the teacher's flattening at lower resolution and with a limited view, beside the shipped
students, each scored against the teacher's flat and finished frames (see `benchmarks/cartoonize/bound/__init__.py`).

    python -m benchmarks.cartoonize.bound --data data/cartoonize --out benchmarks/cartoonize \\
        [--style comic] [--students comic=engine/weights/comic.onnx ...] [--quick]
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from pathlib import Path
from typing import Sequence

from benchmarks.cli_options import command_line, named_paths, setup_logging
from training.teacher import TEACHER_STYLES, get_style

from ..data import load_clips
from ..methods import make_cartoonizer
from ..speed import machine_description
from .measure import score_views, student_view, teacher_views
from .report import BoundRun, plot_bound, write_report

__all__ = ["REPORT_NAME", "FIGURE_NAME", "build_parser", "main"]

log = logging.getLogger(__name__)

REPORT_NAME, FIGURE_NAME = "BOUND_REPORT.md", "bound.png"
DEFAULT_STUDENTS = ["comic=engine/weights/comic.onnx", "comic_lite=engine/weights/comic_lite.onnx"]


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.cartoonize.bound", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("data/cartoonize"), help="bootstrap data folder")
    p.add_argument("--out", type=Path, default=Path("benchmarks/cartoonize"),
                   help=f"where {REPORT_NAME} and {FIGURE_NAME} go")
    p.add_argument("--style", choices=sorted(TEACHER_STYLES), default="comic", help="the teacher style")
    p.add_argument("--students", nargs="*", default=DEFAULT_STUDENTS, metavar="NAME=PATH.onnx",
                   help="distilled models of the style that leave its tone steps to the engine (default: the "
                        "shipped comic pair; give the option without values for none)")
    p.add_argument("--clips", type=int, default=3, help="held-out clips (first N by name)")
    p.add_argument("--frames", type=int, default=32, help="frames per clip considered (from the first)")
    p.add_argument("--stride", type=int, default=4, help="score every N-th of those frames")
    p.add_argument("--window-stride", type=int, default=8, help="the same for the tiled rows")
    p.add_argument("--width", type=int, default=640, help="evaluation width (every clip resized to it)")
    p.add_argument("--scales", type=float, nargs="+", default=[0.35, 0.5, 0.7, 0.85],
                   help="fractions of the frame's size the teacher flattens at")
    p.add_argument("--tile", type=int, default=64, help="tile side of the tiled rows (px)")
    p.add_argument("--margins", type=int, nargs="+", default=[16, 32, 64, 128],
                   help="context around each tile (px)")
    p.add_argument("--targets", type=float, nargs="+", default=[26.0, 24.0],
                   help="finished-frame PSNR targets (dB) to read the needed flat PSNR for")
    p.add_argument("--quick", action="store_true", help="smoke test: 4 frames of each clip at 96 px, one scale "
                                                        "and one margin")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    if args.quick:
        args.frames, args.stride, args.window_stride, args.width = 4, 2, 2, 96
        args.scales, args.tile, args.margins = args.scales[:1], 32, args.margins[:1]
    for name, value in (("--stride", args.stride), ("--window-stride", args.window_stride), ("--tile", args.tile)):
        if value < 1:
            raise SystemExit(f"{name} must be at least 1, got {value}")
    start = time.perf_counter()
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    style = get_style(args.style)
    clips = load_clips(args.data / "videos" / "test", max_clips=args.clips, max_frames=args.frames,
                       width=args.width, upscale=True)
    views = teacher_views(style, args.scales, args.tile, args.margins, args.stride, args.window_stride)
    views += [student_view(name, make_cartoonizer(path), args.stride)
              for name, path in named_paths(args.students, "--students").items()]
    scores = score_views(clips, style, views)
    settings = {"width": args.width, "frames": args.frames, "stride": args.stride,
                "window_stride": args.window_stride}
    run = BoundRun(command=command_line(parser.prog, argv), started=started, style=style.name, settings=settings,
                   machine=machine_description(), clips=[c.name for c in clips], views=views, scores=scores,
                   targets_db=args.targets, total_seconds=time.perf_counter() - start)
    args.out.mkdir(parents=True, exist_ok=True)
    plot_bound(run, args.out / FIGURE_NAME)
    report = write_report(run, args.out / REPORT_NAME, FIGURE_NAME)
    print(f"wrote {report}")
    return 0
