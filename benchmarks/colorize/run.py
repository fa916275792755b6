"""Line-art colorization benchmark: PSNR / SSIM against the reference interval and engine speed, every row side by
side in one run.

    python -m benchmarks.colorize.run --models lcmftn=engine/weights/lcmftn.onnx \
        lcmftn_nocmft=engine/weights/lcmftn_nocmft.onnx --data data/colorize --out benchmarks/colorize

Rows: `copy` (the reference colour), `warp` (reference colour warped by DIS flow between the line arts),
`warp_aligned` (the same through the engine's reference alignment: the line arts blurred before the flow), each
`--models` ONNX colorize model through `engine.Colorizer` (one reference, the paper's protocol) and, for the
`--chain` models, the engine's own sequence path. Writes OUT/REPORT.md, OUT/quality.png, OUT/speed.png and
OUT/sheet.png. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.cartoonize.speed import machine_description
from benchmarks.cli_options import (add_run_switches, add_speed_options, apply_speed_and_quick, command_line,
                                    named_paths, setup_logging)
from training.metrics.flow import DIS_PRESETS

from .data import choose_style, load_sequences, read_manifest
from .methods import (BASELINE_KEYS, Method, aligned_warp_method, chain_method, copy_method, make_colorizer,
                      model_method, warp_method)
from .plots import plot_quality, plot_speed
from .quality import evaluate
from .report import RunInfo, write_report
from .sheet import write_sheet
from .speed import measure_speed
from .targets import ABLATION, FULL, evaluate_targets

__all__ = ["BenchmarkConfig", "run_benchmark", "main"]

log = logging.getLogger(__name__)

DEFAULT_MODELS = {FULL: Path("engine/weights/lcmftn.onnx"),
                  ABLATION: Path("engine/weights/lcmftn_nocmft.onnx")}


@dataclass
class BenchmarkConfig:
    """Everything a run needs; `quick()` shrinks it to a smoke test."""

    data: Path
    out: Path
    models: dict[str, Path] = field(default_factory=dict)
    chain: list[str] = field(default_factory=lambda: [FULL])
    style: str | None = None
    max_side: int = 256
    sequences: int = 0
    intervals: list[int] = field(default_factory=lambda: [1, 5, 10, 20, 40])
    pairs: int = 6
    chain_sequences: int = 0
    sheet_intervals: list[int] = field(default_factory=lambda: [1, 10, 40])
    flow_preset: str = "medium"
    speed_sizes: list[tuple[int, int]] = field(default_factory=lambda: [(256, 256), (720, 1280)])
    speed_repeats: int = 3
    skip_speed: bool = False

    def quick(self) -> "BenchmarkConfig":
        """Tiny sizes for a smoke test (seconds)."""
        self.max_side, self.sequences, self.pairs = 64, 2, 2
        self.intervals, self.sheet_intervals = [1, 2, 4], [1, 4]
        self.speed_sizes, self.speed_repeats = [(64, 64), (72, 128)], 1
        return self


def _methods(config: BenchmarkConfig) -> tuple[list[Method], dict]:
    order = sorted(config.models, key=lambda k: {ABLATION: 0, FULL: 1}.get(k, 2))
    colorizers = {k: make_colorizer(config.models[k]) for k in order}
    methods = [copy_method(), warp_method(config.flow_preset), aligned_warp_method()]
    methods += [model_method(k, config.models[k], colorizers[k]) for k in order]
    methods += [chain_method(k, config.models[k], colorizers[k]) for k in config.chain if k in colorizers]
    return methods, colorizers


def run_benchmark(config: BenchmarkConfig, *, command: str = "") -> Path:
    """Run both sections and write the report and PNGs under `config.out`; returns the REPORT.md path."""
    start = time.perf_counter()
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    config.out.mkdir(parents=True, exist_ok=True)
    style = choose_style(config.data, config.style)
    sequences = load_sequences(config.data, style, max_side=config.max_side, max_sequences=config.sequences)
    if not sequences:
        raise SystemExit(f"{config.data}/test: no usable sequences")
    methods, colorizers = _methods(config)
    sections: dict[str, float] = {}

    t0 = time.perf_counter()
    quality = evaluate(sequences, methods, config.intervals, max_pairs=config.pairs,
                       chain_sequences=config.chain_sequences, sheet_intervals=config.sheet_intervals)
    sections["quality"] = time.perf_counter() - t0

    speed_rows = []
    if not config.skip_speed and colorizers:
        t0 = time.perf_counter()
        seq = sequences[0]
        frames = [(seq.lineart(i), seq.color(i)) for i in (0, 1, 2)]
        speed_rows = measure_speed(colorizers, frames, config.speed_sizes, config.speed_repeats)
        sections["speed"] = time.perf_counter() - t0

    plots = {"quality": plot_quality(quality, config.out / "quality.png").name,
             "sheet": write_sheet(quality, config.out / "sheet.png").name}
    if speed_rows:
        plots["speed"] = plot_speed(speed_rows, config.out / "speed.png").name
    manifest = read_manifest(config.data)
    notes = []
    if not config.models:
        notes.append("**No colorize model was available to this run** (neither "
                     f"{' nor '.join(str(path) for path in DEFAULT_MODELS.values())} existed): only the baseline rows "
                     f"{', '.join(f'`{k}`' for k in BASELINE_KEYS)} are measured and the targets are not evaluated. "
                     "Re-run the command once the weights exist.")
    if manifest:
        notes.append("data manifest: " + ", ".join(f"{k}={manifest[k]}" for k in ("version", "split_rule", "counts")
                                                    if k in manifest))
    info = RunInfo(
        command=command or "run_benchmark()", started=started, total_seconds=time.perf_counter() - start,
        section_seconds=sections, machine=machine_description(), models=dict(config.models), data=str(config.data),
        style=style, settings={"max_side": config.max_side, "pairs": config.pairs,
                               "chain_sequences": config.chain_sequences,
                               "intervals": config.intervals, "flow_preset": config.flow_preset,
                               "speed_sizes": [f"{w}x{h}" for h, w in config.speed_sizes],
                               "speed_repeats": config.speed_repeats},
        notes=notes)
    return write_report(config.out / "REPORT.md", info, quality, evaluate_targets(quality), speed_rows, plots)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.colorize.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="*", default=None, metavar="NAME=PATH.onnx",
                   help=f"colorize models (ONNX + card); names {FULL} / {ABLATION} get the targets "
                        "(default: both from their usual places)")
    p.add_argument("--chain", nargs="*", default=[FULL], help="models also run through the engine's sequence path")
    p.add_argument("--data", type=Path, default=Path("data/colorize"))
    p.add_argument("--out", type=Path, default=Path("benchmarks/colorize"))
    p.add_argument("--style", default=None, help="line-art style (default: true, else xdog, else hed)")
    p.add_argument("--max-side", type=int, default=256, help="shrink frames to this longer side (0: as stored)")
    p.add_argument("--sequences", type=int, default=0, help="use the first N test sequences (0: all)")
    p.add_argument("--intervals", type=int, nargs="*", default=[1, 5, 10, 20, 40])
    p.add_argument("--pairs", type=int, default=6, help="reference frames per sequence and interval")
    p.add_argument("--chain-sequences", type=int, default=0,
                   help="run chain rows on the first N sequences only (0: all)")
    p.add_argument("--flow-preset", choices=sorted(DIS_PRESETS), default="medium")
    add_speed_options(p)
    add_run_switches(p, quick_help="smoke test: 2 sequences at 64 px, intervals 1 2 4")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    models = named_paths(args.models, "--models") if args.models is not None else \
        {k: v for k, v in DEFAULT_MODELS.items() if v.is_file()}
    config = BenchmarkConfig(
        data=args.data, out=args.out, models=models, chain=args.chain, style=args.style, max_side=args.max_side,
        sequences=args.sequences, intervals=args.intervals, pairs=args.pairs, chain_sequences=args.chain_sequences,
        flow_preset=args.flow_preset, speed_repeats=args.speed_repeats, skip_speed=args.skip_speed)
    report = run_benchmark(apply_speed_and_quick(config, args), command=command_line(parser.prog, argv))
    print(f"wrote {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
