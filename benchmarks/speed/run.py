"""File-to-file seconds per frame and peak memory of the shipped cartoonizers on this CPU: fp32 and int8, serial
and overlapped, at 256x256, 1280x720, 1920x1080 and 3840x2160.

    python -m benchmarks.speed.run --out benchmarks/speed

Each measurement is one fresh process (``benchmarks.speed.one_run``: its peak memory is its own) that reads an
H.264 clip and writes one, the way ``toonflow cartoonize`` does; the time excludes opening the model. Pairs that
are compared (serial / overlapped, fp32 / int8) run back to back, so the machine's drift hits both alike.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

from engine import open_frames
from engine.media_input import probe
from engine.models import resolve_model
from engine.video_writer import VideoWriter
from training.quantize import cpu_description

from ..cli_options import command_line, setup_logging
from .report import write_report

log = logging.getLogger("benchmarks.speed")

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "cockatoo.mp4"
#: (width, height, frames per clip): enough frames that per-frame times settle, few enough at 4K
SIZES = [(256, 256, 24), (1280, 720, 12), (1920, 1080, 6), (3840, 2160, 3)]
MODELS = ["cel", "cel_lite", "comic", "comic_lite"]
#: where serial and overlapped are both measured (elsewhere: overlapped, what the CLI does)
SERIAL_SIZES = {(1280, 720), (3840, 2160)}
#: 4K for the default style and its lite model only (minutes per run otherwise)
FOUR_K_MODELS = {"cel", "cel_lite"}
#: the issue's baseline: the CLI's seconds per 1280x720 frame with the default model before this work
BASELINE_720P = 2.6


@dataclass
class Row:
    model: str
    width: int
    height: int
    precision: str
    overlapped: bool
    frames: int
    seconds: float
    peak_mb: float

    @property
    def per_frame(self) -> float:
        return self.seconds / self.frames


def make_clip(folder: Path, width: int, height: int, frames: int) -> Path:
    """``frames`` frames of the sample clip scaled to ``width`` x ``height``, as near-lossless H.264."""
    path = folder / f"clip_{width}x{height}.mp4"
    source, info = open_frames(SAMPLE)
    with VideoWriter(path, rate=info.rate, width=width, height=height, crf=10) as writer:
        for _, frame in zip(range(frames), source):
            writer.write(cv2.resize(frame, (width, height), interpolation=cv2.INTER_CUBIC))
    source.close()
    return path


def measure(clip: Path, out: Path, model: str, precision: str, overlapped: bool) -> Row:
    cmd = [sys.executable, "-m", "benchmarks.speed.one_run", str(clip), str(out), "--model", model,
           "--precision", precision]
    if not overlapped:
        cmd.append("--serial")
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    info = probe(clip)
    out.unlink(missing_ok=True)
    row = Row(model, info.width, info.height, got["precision"], overlapped, got["frames"], got["seconds"],
              got["peak_mb"])
    log.info("%s %dx%d %s %s: %.3f s/frame, %.0f MB", model, row.width, row.height, row.precision,
             "overlapped" if overlapped else "serial", row.per_frame, row.peak_mb)
    return row


def has_int8(model: str) -> bool:
    variant = resolve_model(model, "cartoonize").int8
    return variant is not None and variant.path is not None  # a card can record a copy that was not kept


def run(work: Path, sizes: list[tuple[int, int, int]], models: list[str]) -> list[Row]:
    rows: list[Row] = []
    for width, height, frames in sizes:
        clip = make_clip(work, width, height, frames)
        for model in models:
            if (width, height) == (3840, 2160) and model not in FOUR_K_MODELS:
                continue
            precisions = ["fp32", "int8"] if has_int8(model) else ["fp32"]
            for precision in precisions:
                modes = [False, True] if (width, height) in SERIAL_SIZES else [True]
                for overlapped in modes:
                    rows.append(measure(clip, work / "out.mp4", model, precision, overlapped))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed.run", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "speed")
    parser.add_argument("--quick", action="store_true", help="a smoke test: one small size, the lite model")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    sizes, models = (([(160, 96, 3)], ["cel_lite"]) if args.quick else (SIZES, MODELS))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="toonflow-speed-") as scratch:
        rows = run(Path(scratch), sizes, models)
    machine = {"cpu": cpu_description(), "load_average": os.getloadavg()}
    args.out.mkdir(parents=True, exist_ok=True)
    path = write_report(rows, args.out, command_line("python -m benchmarks.speed.run", argv),
                        time.perf_counter() - t0, machine, BASELINE_720P)
    log.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
