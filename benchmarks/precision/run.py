"""`python -m benchmarks.precision.run`: fp32 against int8 on the CPU for every shipped model, in one run.

Writes REPORT.md beside this file (or into --out): which precision the engine picks per model and why (the card's
int8 section), seconds per frame side by side (speed.py), the quality cost on held-out data (quality.py) and the
ONNX Runtime thread settings (threads.py). Every number in the report comes from the run that wrote it; the cards'
own numbers (measured by `python -m training quantize`) are quoted as such.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import onnxruntime as ort

from benchmarks.cli_options import add_speed_options, command_line, setup_logging
from engine import Cartoonizer, Colorizer
from engine.models import MIN_INT8_SPEEDUP, WEIGHTS_DIR, ModelCard, find_models
from training.quantize import cpu_description

from .quality import CartoonizeQuality, ColorizeQuality, cartoonize_quality, colorize_quality
from .speed import SpeedRow, measure_model
from .threads import ThreadRow, measure_threads

__all__ = ["PrecisionConfig", "run_benchmark", "main"]

log = logging.getLogger(__name__)


@dataclass
class PrecisionConfig:
    """Everything one run measures (defaults: the committed report)."""

    out: Path = Path("benchmarks/precision")
    cartoonize_data: Path = Path("data/cartoonize")
    colorize_data: Path = Path("data/colorize")
    speed_sizes: list[tuple[int, int]] = field(default_factory=lambda: [(256, 256), (720, 1280), (1080, 1920)])
    speed_repeats: int = 3
    thread_model: str = "cel"
    thread_size: tuple[int, int] = (720, 1280)
    intervals: list[int] = field(default_factory=lambda: [1, 5, 10, 20, 40])
    pairs: int = 6
    colorize_max_side: int = 256
    skip_speed: bool = False

    def quick(self) -> "PrecisionConfig":
        """A smoke test: tiny sizes, few repeats and pairs."""
        self.speed_sizes, self.speed_repeats, self.thread_size = [(64, 96)], 1, (64, 96)
        self.intervals, self.pairs = [1], 1
        return self


def _auto_choice(card: ModelCard) -> str:
    make = Cartoonizer if card.task == "cartoonize" else Colorizer
    return make(card.onnx_path, device="cpu").precision


def _selection_rows(cards: Sequence[ModelCard]) -> list[str]:
    rows = ["| model | int8 file | quality held (card) | CPU speed-up (card) | `precision=\"auto\"` on the CPU runs |",
            "|---|---|---|---|---|"]
    for card in cards:
        v = card.int8
        if v is None:
            rows.append(f"| `{card.name}` | none (no int8 section) | - | - | {_auto_choice(card)} |")
            continue
        section = card.raw["int8"]
        rule = section.get("quality", {}).get("rule", "")
        file_text = f"`{v.path.name}`" if v.path else f"none: {section.get('why_not_shipped', '')}"
        rows.append(f"| `{card.name}` | {file_text} | {'yes' if v.quality_held else 'no'}: {rule} | "
                    f"x{v.cpu_speedup:.2f} | {_auto_choice(card)} |")
    return rows


def _speed_table(rows: Sequence[SpeedRow]) -> list[str]:
    out = ["| model | frame | network input | frame fp32 (best / median) | frame int8 | frame speed-up | "
           "network fp32 | network int8 | network speed-up |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        def pair(t: tuple[float, float]) -> str:
            return f"{t[0]:.3f} / {t[1]:.3f} s"
        out.append(f"| `{r.model}` | {r.size[1]}x{r.size[0]} | {r.network_size[1]}x{r.network_size[0]} | "
                   f"{pair(r.frame['fp32'])} | {pair(r.frame['int8'])} | x{r.ratio('frame'):.2f} | "
                   f"{pair(r.network['fp32'])} | {pair(r.network['int8'])} | x{r.ratio('network'):.2f} |")
    return out


def _card_quality_rows(cards: Sequence[ModelCard]) -> list[str]:
    out = ["| model | measured by `training quantize` (card) | held-out frames | calibration |", "|---|---|---|---|"]
    for card in cards:
        if card.int8 is None:
            continue
        s = card.raw["int8"]
        q = s["quality"]
        out.append(f"| `{card.name}` | {q['rule']}; int8 vs fp32 mean {q['psnr_vs_fp32_db']['mean']:.2f} dB, "
                   f"min {q['psnr_vs_fp32_db']['min']:.2f} dB | {q['frames']} of `{q['split']}` | "
                   f"{s['calibration']['samples']} of `{s['calibration']['source']}` |")
    return out


def _cartoonize_quality_rows(rows: Sequence[CartoonizeQuality]) -> list[str]:
    out = ["| model | held-out photos | PSNR int8 vs fp32, mean | min | target >= 40 dB |", "|---|---|---|---|---|"]
    out += [f"| `{r.model}` | {r.frames} | {r.psnr_mean:.2f} dB | {r.psnr_min:.2f} dB | "
            f"{'**PASS**' if r.psnr_mean >= 40.0 else '**FAIL**'} |" for r in rows]
    return out


def _colorize_quality_rows(rows: Sequence[ColorizeQuality]) -> list[str]:
    out = []
    for r in rows:
        ds = list(r.fp32)
        out += [f"`{r.model}` (line art `{r.style}`; int8 against fp32 over all pairs: {r.int8_vs_fp32:.2f} dB):", "",
                "| row | " + " | ".join(f"interval {d}" for d in ds) + " |", "|---" * (len(ds) + 1) + "|",
                "| fp32 | " + " | ".join(f"{r.fp32[d]:.2f}" for d in ds) + " |",
                "| int8 | " + " | ".join(f"{r.int8[d]:.2f}" for d in ds) + " |",
                "| int8 - fp32 | " + " | ".join(f"{r.int8[d] - r.fp32[d]:+.3f}" for d in ds) + " |",
                "| within 0.2 dB | " + " | ".join("**PASS**" if abs(r.int8[d] - r.fp32[d]) <= 0.2 else "**FAIL**"
                                                  for d in ds) + " |",
                "| pairs | " + " | ".join(str(r.pairs[d]) for d in ds) + " |", ""]
    return out


def _thread_rows(rows: Sequence[ThreadRow]) -> list[str]:
    out = ["| setting | alone: best / median s per frame | beside the neighbour: median s | neighbour frames/s |",
           "|---|---|---|---|"]
    out += [f"| {r.label} | {r.alone[0]:.3f} / {r.alone[1]:.3f} | {r.beside:.3f} | {r.neighbour_fps:.1f} |"
            for r in rows]
    return out


def _load() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def run_benchmark(config: PrecisionConfig, *, command: str = "") -> Path:
    """Measure everything and write ``config.out / REPORT.md``; returns its path."""
    started, t0, load_before = datetime.datetime.now(datetime.timezone.utc), time.perf_counter(), _load()
    cards = [c for c in find_models() if c.onnx_path.parent == WEIGHTS_DIR]
    with_int8 = [c for c in cards if c.int8 is not None and c.int8.path is not None]
    speed: list[SpeedRow] = []
    threads: list[ThreadRow] = []
    if not config.skip_speed:
        for card in with_int8:
            sizes = config.speed_sizes if card.task == "cartoonize" else \
                sorted({(h, w) for h, w in config.speed_sizes if max(h, w) <= 1280})
            speed += measure_model(card, sizes, config.speed_repeats)
        thread_card = next(c for c in cards if c.name == config.thread_model)
        threads = measure_threads(thread_card.onnx_path, config.thread_size, config.speed_repeats)
        if thread_card.int8 is not None and thread_card.int8.path is not None:
            threads += [ThreadRow(f"{r.label} (int8)", r.alone, r.beside, r.neighbour_fps)
                        for r in measure_threads(thread_card.int8.path, config.thread_size, config.speed_repeats)]
    cartoon_q = [cartoonize_quality(c, config.cartoonize_data) for c in with_int8 if c.task == "cartoonize"]
    colorize_here = (config.colorize_data / "test").is_dir()  # a 65-minute build; quality is skipped without it
    colour_q = [colorize_quality(c, config.colorize_data, config.intervals, config.pairs, config.colorize_max_side)
                for c in with_int8 if c.task == "colorize" and colorize_here]
    wall = time.perf_counter() - t0
    lines = [
        "# fp32 against int8 on the CPU", "",
        f"Generated by `{command}` on {started.isoformat(timespec='seconds')}; total wall time {wall:.0f} s. "
        "Every number below was measured in this one run, except the columns marked (card), which "
        "`python -m training quantize` measured and wrote into the model cards.", "",
        f"- machine: {cpu_description()}; onnxruntime {ort.__version__}; load average (1 / 5 / 15 min) "
        f"{load_before} at the start, {_load()} at the end (the machine is shared: best times are the closest to "
        "its own speed, medians include the neighbours)",
        f"- engine rule: `precision=\"auto\"` runs a model's int8 copy on the CPU when its card lists the file, "
        f"its quality held and its measured speed-up is at least x{MIN_INT8_SPEEDUP:g}; `fp32` and `int8` force "
        "one (engine/runtime.py)", "",
        "## What the engine runs on the CPU", "", *_selection_rows(cards), "",
    ]
    if speed:
        lines += ["## Seconds per frame, fp32 and int8 side by side", "",
                  "Frame: the engine's whole call (`Cartoonizer.process`, default tiling; `Colorizer.colorize_frame` "
                  "with two references, including their alignment and the return to full size). Network: the "
                  "engine's ONNX Runtime session alone on the padded input. Colorize frames are coloured at the "
                  "card's `max_side` (384), so larger frames cost the network the same. Best / median of "
                  f"{config.speed_repeats} interleaved runs after a warm-up; speed-up = fp32 best / int8 best.", "",
                  *_speed_table(speed), ""]
    lines += ["## Quality cost on held-out data", "", "### Measured when quantizing (card)", "",
              *_card_quality_rows(cards), "", "### Through the engine, this run", ""]
    if cartoon_q:
        lines += ["Cartoonize: `Cartoonizer.process` in int8 against fp32 on every held-out photo "
                  f"(`{config.cartoonize_data}/photos/test`).", "", *_cartoonize_quality_rows(cartoon_q), ""]
    if colour_q:
        lines += ["Colorize: the colorize benchmark's protocol (benchmarks/colorize: held-out test shots, reference "
                  f"frame s, target s + interval, at most {config.pairs} pairs per shot and interval, frames shrunk "
                  f"to {config.colorize_max_side} px, one reference), PSNR (dB) against the true colour; target: "
                  "int8 within 0.2 dB of fp32.", "", *_colorize_quality_rows(colour_q)]
    elif not colorize_here and any(c.task == "colorize" for c in with_int8):
        lines += [f"Colorize: not measured in this run: `{config.colorize_data}/test` is missing (build it with "
                  "`make bootstrap-colorize`); the cards' numbers above stand.", ""]
    if threads:
        lines += ["## ONNX Runtime thread settings", "",
                  f"`{config.thread_model}` at {config.thread_size[1]}x{config.thread_size[0]}, the network alone "
                  f"(best / median of {config.speed_repeats} interleaved runs), then each setting beside one "
                  "neighbour thread that blurs 1280x720 frames with OpenCV on one thread (a stand-in for decoding, "
                  "flow and encoding running beside the network).", "", *_thread_rows(threads), ""]
    config.out.mkdir(parents=True, exist_ok=True)
    report = config.out / "REPORT.md"
    report.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    log.info("wrote %s (%.0f s)", report, wall)
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.precision.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=PrecisionConfig.out)
    parser.add_argument("--cartoonize-data", type=Path, default=PrecisionConfig.cartoonize_data)
    parser.add_argument("--colorize-data", type=Path, default=PrecisionConfig.colorize_data)
    parser.add_argument("--pairs", type=int, default=PrecisionConfig.pairs,
                        help="colorize pairs per held-out shot and interval")
    add_speed_options(parser, default_sizes="256x256 1280x720 1920x1080")
    parser.add_argument("--skip-speed", action="store_true", help="quality only (no timings, no thread settings)")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny sizes, one repeat, one pair")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    config = PrecisionConfig(out=args.out, cartoonize_data=args.cartoonize_data, colorize_data=args.colorize_data,
                             pairs=args.pairs, skip_speed=args.skip_speed)
    if args.speed_sizes:
        config.speed_sizes = args.speed_sizes
    config.speed_repeats = args.speed_repeats
    if args.quick:
        config.quick()
    run_benchmark(config, command=command_line("python -m benchmarks.precision.run", argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
