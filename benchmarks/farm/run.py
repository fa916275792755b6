"""Measure scale-out: whole vs chunked agreement (both tasks), 1 vs 2 local Dask workers, overhead per chunk.

    python -m benchmarks.farm.run --out benchmarks/farm

Writes ``REPORT.md`` and ``farm.png`` into ``--out``. Every number comes from this one run; the 14,400-frame
figures are projections from them, labelled as such.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from engine import Cartoonizer, Colorizer, cartoonize_file, colorize_file
from engine.farm import CartoonizeSettings, ColorizeSettings, FarmJob, FarmResult, run_farm
from engine.farm.cluster import LOCAL, connect

from ..cli_options import command_line, setup_logging
from .clips import lineart_clip, scaled_clip
from .report import write_report

log = logging.getLogger("benchmarks.farm")

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Config:
    """What the run measures (defaults: the documented run; ``quick()``: a smoke test)."""

    source: Path = ROOT / "samples" / "cockatoo.mp4"
    width: int = 1280  # the cartoonize clip's size (the sample scaled up)
    height: int = 720
    frames: int = 72  # cartoonize frames
    chunk: int = 18  # frames per chunk in the measured runs (4 chunks: two per worker)
    model: str = "cel"  # the default cartoonize style
    temporal: bool = True  # the stabiliser on: chunks need warm-up frames
    workers: tuple[int, ...] = (1, 2)
    colorize_frames: int = 60
    colorize_keys: tuple[int, ...] = (0, 24, 48)
    colorize_chunk: int = 20
    shot_frames: int = 14_400  # the projected shot: 10 minutes at 24 fps
    shot_chunk: int = 240  # the projection's chunk size (10 s of 24 fps)
    machines: tuple[int, ...] = (1, 10, 100)

    def quick(self) -> None:
        self.width, self.height, self.frames, self.chunk = 160, 96, 12, 4
        self.model = "cel_lite"
        self.colorize_frames, self.colorize_keys, self.colorize_chunk = 12, (0, 6), 4


@dataclass
class Measured:
    """The run's numbers (see report.py for how each is shown)."""

    config: Config
    single_seconds: float = 0.0
    farm: dict[int, FarmResult] = field(default_factory=dict)
    cluster_start_seconds: dict[int, float] = field(default_factory=dict)
    frame_max_diff: list[int] = field(default_factory=list)  # per frame, farm (most workers) vs single
    frame_mean_diff: list[float] = field(default_factory=list)
    colorize_max_diff: int = 0
    colorize_frames_equal: int = 0
    colorize_chunks: int = 0
    warmup_per_chunk: int = 0  # warm-up frames of a chunk that does not start the clip, at the measured chunk size
    stabiliser_reach: int = 0  # warm-up frames a chunk far into a clip needs
    precision: str = ""  # what the cartoonizer ran in on this CPU (the engine's automatic choice)
    command: str = ""
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)  # at the end of the run (1, 5, 15 minutes)
    cpu_count: int = field(default_factory=lambda: os.cpu_count() or 1)


def _png_frames(folder: Path) -> list[np.ndarray]:
    return [cv2.imread(str(p)) for p in sorted(folder.glob("*.png"))]


def measure(config: Config, work: Path) -> Measured:
    m = Measured(config)
    clip = scaled_clip(config.source, work / "clip", (config.width, config.height), config.frames)
    toon = Cartoonizer(config.model, device="cpu", temporal=config.temporal)
    m.warmup_per_chunk = toon.warmup_frames(config.chunk)
    m.stabiliser_reach = toon.warmup_frames(config.shot_frames)
    m.precision = toon.precision
    t0 = time.perf_counter()
    cartoonize_file(clip, work / "single", cartoonizer=toon)
    m.single_seconds = time.perf_counter() - t0
    log.info("single machine: %d frames in %.1f s", config.frames, m.single_seconds)
    job = FarmJob(input=clip, settings=CartoonizeSettings(model=config.model, device="cpu",
                                                          temporal=config.temporal))
    for n in config.workers:
        t0 = time.perf_counter()
        with connect(LOCAL, n):
            pass
        m.cluster_start_seconds[n] = time.perf_counter() - t0
        m.farm[n] = run_farm(job, work / f"farm{n}", scheduler=LOCAL, workers=n, chunk_size=config.chunk)
        log.info("%d worker(s): %.1f s (cluster start %.1f s)", n, m.farm[n].seconds, m.cluster_start_seconds[n])
    single = _png_frames(work / "single")
    chunked = _png_frames(work / f"farm{max(config.workers)}")
    for a, b in zip(single, chunked, strict=True):
        d = np.abs(a.astype(np.int16) - b.astype(np.int16))
        m.frame_max_diff.append(int(d.max()))
        m.frame_mean_diff.append(float(d.mean()))

    lines, keys = lineart_clip(work / "lineart", config.colorize_frames, (config.width // 2, config.height // 2),
                               list(config.colorize_keys))
    colorize_file(lines, work / "colour_single", keys, colorizer=Colorizer(device="cpu"))
    colour_job = FarmJob(input=lines, settings=ColorizeSettings(
        keyframes=tuple((k, str(p)) for k, p in keys.items()), device="cpu"))
    colour = run_farm(colour_job, work / "colour_farm", scheduler=LOCAL, workers=max(config.workers),
                      chunk_size=config.colorize_chunk)
    m.colorize_chunks = len(colour.chunks)
    for a, b in zip(_png_frames(work / "colour_single"), _png_frames(work / "colour_farm"), strict=True):
        diff = int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())
        m.colorize_max_diff = max(m.colorize_max_diff, diff)
        m.colorize_frames_equal += diff == 0
    return m


def projected_seconds(m: Measured, machines: int) -> dict[str, float]:
    """The projected wall time of the ``shot_frames`` shot on ``machines`` single-worker machines like this one.

    Per frame: the single-machine rate of this run. Per chunk: its warm-up frames at that rate, plus the
    scheduling overhead measured on one local worker. Assembly: the measured assembly rate, on the client.
    Assumes chunks spread evenly and storage keeps up; a projection, not a measurement.
    """
    c = m.config
    per_frame = m.single_seconds / c.frames
    one = m.farm[1]
    work_seconds = sum(r.seconds for r in one.reports)
    scheduling = max(0.0, (one.seconds - one.assembly_seconds - m.cluster_start_seconds[1] - work_seconds)
                     / len(one.chunks))
    warmup = min(m.stabiliser_reach, c.shot_chunk)
    chunks = math.ceil(c.shot_frames / c.shot_chunk)
    rounds = math.ceil(chunks / machines)
    compute = rounds * ((c.shot_chunk + warmup) * per_frame + scheduling)
    assembly = c.shot_frames * one.assembly_seconds / one.frames
    return {"compute": compute, "assembly": assembly, "total": compute + assembly, "chunks": chunks,
            "warmup_share": warmup / c.shot_chunk, "scheduling": scheduling, "per_frame": per_frame}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.farm.run", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "farm")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 12 tiny frames, the lite model")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    config = Config()
    if args.quick:
        config.quick()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="toonflow-farm-bench-") as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        m = measure(config, work)
    m.command = command_line("python -m benchmarks.farm.run", argv)
    m.load_average = os.getloadavg()
    projections = {n: projected_seconds(m, n) for n in config.machines}
    args.out.mkdir(parents=True, exist_ok=True)
    path = write_report(m, projections, args.out, time.perf_counter() - t0)
    log.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
