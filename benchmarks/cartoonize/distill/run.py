"""Distillation benchmark CLI: the distilled students against their teacher styles, the source and the old model,
side by side in one run.

    python -m benchmarks.cartoonize.distill --data data/cartoonize --out benchmarks/cartoonize \\
        [--students cel=engine/weights/cel.onnx:cel cel_lite=engine/weights/cel_lite.onnx:cel ...] \\
        [--references pmc=benchmarks/cartoonize/models/pmc.onnx] [--quick]

Writes OUT/DISTILL_REPORT.md, OUT/distill_sheet.png and the plots, and docs/images/before_after.png (source | the
default `cel` model). See benchmarks/README.md for what each number means.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from benchmarks.cli_options import (add_run_switches, add_speed_options, apply_speed_and_quick, command_line,
                                    named_paths, setup_logging)
from training.metrics.flow import DIS_PRESETS

from ..data import IMAGE_SUFFIXES, Clip, load_clips, read_rgb
from ..methods import make_cartoonizer
from ..speed import machine_description
from ..temporal import measure_temporal
from .figures import plot_e_short, plot_flatness_gain, plot_speed, write_before_after, write_contact_sheet
from .measure import DistillResults, LookObserver, measure_speed
from .report import FIGURES, write_report
from .rows import DEFAULT_REFERENCES, Student, build_rows, default_students, parse_students
from .targets import evaluate_targets

__all__ = ["REPORT_NAME", "BEFORE_AFTER", "DistillConfig", "run_distill", "build_parser", "main"]

log = logging.getLogger(__name__)

REPORT_NAME = "DISTILL_REPORT.md"
BEFORE_AFTER = Path("docs/images/before_after.png")
_BEFORE_AFTER_MODEL, _BEFORE_AFTER_CLIP = "cel", "cockatoo"


@dataclass
class DistillConfig:
    """Everything a run needs; `quick()` shrinks it to a smoke test."""

    data: Path
    out: Path
    students: dict[str, Student]
    references: dict[str, Path] = field(default_factory=dict)
    before_after: Path | None = None
    clips: int = 3
    frames: int = 32
    width: int = 640
    speed_sizes: list[tuple[int, int]] = field(default_factory=lambda: [(720, 1280)])
    speed_repeats: int = 3
    flow_preset: str = "medium"
    skip_speed: bool = False

    def quick(self) -> "DistillConfig":
        """Tiny sizes for a smoke test (seconds, not minutes)."""
        self.frames, self.width = 4, 64
        self.speed_sizes, self.speed_repeats = [(72, 128)], 1
        return self

    def settings(self) -> dict[str, Any]:
        """The run's settings as the report prints them."""
        return {"clips": self.clips, "frames": self.frames, "width": self.width,
                "speed_sizes": [f"{w}x{h}" for h, w in self.speed_sizes], "speed_repeats": self.speed_repeats,
                "flow_preset": self.flow_preset, "skip_speed": self.skip_speed, "data": str(self.data)}


def _source_sizes(folder: Path, clips: list[Clip]) -> dict[str, tuple[int, int]]:
    """(width, height) of each clip's first frame file on disk."""
    sizes = {}
    for clip in clips:
        first = min(p for p in (folder / clip.name).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        h, w = read_rgb(first).shape[:2]
        sizes[clip.name] = (w, h)
    return sizes


def _before_after(results: DistillResults, students: dict[str, Student], path: Path) -> None:
    model = _BEFORE_AFTER_MODEL if _BEFORE_AFTER_MODEL in students else next(iter(students))
    clip = _BEFORE_AFTER_CLIP if _BEFORE_AFTER_CLIP in results.clips else results.clips[0]
    if (model, clip) != (_BEFORE_AFTER_MODEL, _BEFORE_AFTER_CLIP):
        log.warning("before/after image: %s on %s (no %s model or %s clip in this run)", model, clip,
                    _BEFORE_AFTER_MODEL, _BEFORE_AFTER_CLIP)
    write_before_after(results, path, model=model, clip=clip)


def run_distill(config: DistillConfig, *, command: str = "", factory: Callable[..., Any] = make_cartoonizer) -> Path:
    """Run the section, write the report, plots and sheet under `config.out` (and the before/after image where
    configured); returns the report's path."""
    if not config.students:
        raise ValueError("no student model to benchmark")
    start = time.perf_counter()
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    config.out.mkdir(parents=True, exist_ok=True)
    folder = config.data / "videos" / "test"
    clips = load_clips(folder, max_clips=config.clips, max_frames=config.frames, width=config.width, upscale=True)
    rows = build_rows(config.students, config.references, factory=factory)
    observer = LookObserver([row for row, _ in rows])
    temporal = measure_temporal(clips, [method for _, method in rows], preset=config.flow_preset, observe=observer)
    sections = {"clips (look + temporal)": time.perf_counter() - start}
    results = DistillResults(
        command=command or "run_distill()", settings=config.settings(), machine=machine_description(),
        rows=[row for row, _ in rows],
        models={**{s.name: str(s.path) for s in config.students.values()},
                **{k: str(v) for k, v in config.references.items()}},
        source_sizes=_source_sizes(folder, clips), temporal=temporal, look=observer.scores, started=started)
    if not config.skip_speed:
        t0 = time.perf_counter()
        results.speed = measure_speed(clips[0].frames[0], list(config.students.values()), config.references,
                                      config.speed_sizes, config.speed_repeats, factory)
        sections["speed"] = time.perf_counter() - t0
    results.section_seconds = sections
    results.total_seconds = time.perf_counter() - start

    write_contact_sheet(results, config.out / FIGURES["sheet"])
    plot_flatness_gain(results, config.out / FIGURES["flatness"])
    plot_e_short(results, config.out / FIGURES["warping"])
    if results.speed:
        plot_speed(results, config.out / FIGURES["speed"])
    if config.before_after is not None:
        _before_after(results, config.students, config.before_after)
    return write_report(results, evaluate_targets(results), config.out / REPORT_NAME)


def _references(values: Sequence[str] | None) -> dict[str, Path]:
    if values is not None:
        return named_paths(values, "--references")
    present = [v for v in DEFAULT_REFERENCES if Path(v.partition("=")[2]).is_file()]
    for value in sorted(set(DEFAULT_REFERENCES) - set(present)):
        log.warning("default reference %s not found; its row is left out", value)
    return named_paths(present, "--references")


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.cartoonize.distill", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", nargs="*", default=None, metavar="NAME=PATH.onnx[:STYLE]",
                   help="distilled models and the teacher style each learned (default: the card's "
                        "training.config.style); NAME_lite is the lite twin of NAME. Default: the four shipped "
                        "models in engine/weights/ that exist")
    p.add_argument("--references", nargs="*", default=None, metavar="NAME=PATH.onnx",
                   help="models shown for reference, without targets (default: pmc=benchmarks/cartoonize/models/"
                        "pmc.onnx; give the option without values for none)")
    p.add_argument("--data", type=Path, default=Path("data/cartoonize"), help="bootstrap data folder")
    p.add_argument("--out", type=Path, default=Path("benchmarks/cartoonize"),
                   help=f"where {REPORT_NAME} and its PNGs go")
    p.add_argument("--before-after", type=Path, default=None,
                   help=f"where the source | cel image goes (default {BEFORE_AFTER}; not written with --quick "
                        "unless given)")
    p.add_argument("--skip-before-after", action="store_true", help="do not write the before/after image")
    p.add_argument("--clips", type=int, default=3, help="held-out clips (first N by name)")
    p.add_argument("--frames", type=int, default=32, help="frames per clip (from the first)")
    p.add_argument("--width", type=int, default=640, help="evaluation width (every clip resized to it, aspect kept)")
    add_speed_options(p, default_sizes="1280x720")
    p.add_argument("--flow-preset", choices=sorted(DIS_PRESETS), default="medium")
    add_run_switches(p, quick_help="smoke test: 4 frames per clip at 64 px wide, speed at 128x72")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    students = default_students() if args.students is None else parse_students(args.students)
    if not students:
        raise SystemExit("no student model: pass --students NAME=PATH.onnx[:STYLE] ...")
    before_after = args.before_after or (None if args.quick else BEFORE_AFTER)
    config = DistillConfig(
        data=args.data, out=args.out, students=students, references=_references(args.references),
        before_after=None if args.skip_before_after else before_after, clips=args.clips, frames=args.frames,
        width=args.width, speed_repeats=args.speed_repeats, flow_preset=args.flow_preset, skip_speed=args.skip_speed,
    )
    report = run_distill(apply_speed_and_quick(config, args), command=command_line(parser.prog, argv))
    print(f"wrote {report}")
    print(report.read_text(encoding="utf-8").split("## 1.")[0])
    return 0
