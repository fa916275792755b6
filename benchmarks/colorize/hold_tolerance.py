"""How many held drawings the engine's hold rule still finds after H.264, per tolerance (engine.lineart).

Each held-out line-art sequence is put on twos (every drawing shown twice: exact holds), encoded with the engine's
own H.264 writer at several CRFs and decoded again. For every consecutive pair, the rule's statistic (the largest
3 x 3 blurred difference) is taken before encoding (the truth: a hold when it is within the default tolerance) and
after. The table gives, per CRF and tolerance, the share of holds still found and the pairs that changed but are
taken for holds, with the largest such change before encoding. libx264's threaded encoding is not bit-exact
between runs: the counts of holds found vary by about 1 %.

    python -m benchmarks.colorize.hold_tolerance --data data/colorize [--crf 18 23 28] [--tolerance 12 16 20 24]
"""
from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.image_files import read_image
from engine.lineart import DEFAULT_HOLD_TOLERANCE, held_drawing_difference, to_lineart_gray
from engine.media_input import open_frames
from engine.video_writer import VideoWriter

__all__ = ["pair_statistics", "main"]


def _round_trip(frames: list[np.ndarray], crf: int, folder: Path) -> list[np.ndarray]:
    height, width = frames[0].shape[:2]
    with VideoWriter(folder / f"crf{crf}.mp4", rate=Fraction(24), width=width, height=height, crf=crf) as writer:
        for frame in frames:
            writer.write(frame)
    decoded, _ = open_frames(folder / f"crf{crf}.mp4")
    return [to_lineart_gray(frame) for frame in decoded]


def pair_statistics(sequence: Path, crfs: Sequence[int]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """(statistic per consecutive pair before encoding, {crf: the same after encoding}) for one line-art folder
    put on twos, cropped to even sizes (4:2:0)."""
    frames = [read_image(path) for path in sorted(sequence.glob("*.png"))]
    height, width = (side - side % 2 for side in frames[0].shape[:2])
    frames = [frame[:height, :width] for frame in frames for _ in range(2)]
    gray = [to_lineart_gray(frame) for frame in frames]
    truth = np.array([held_drawing_difference(a, b) for a, b in zip(gray, gray[1:])])
    coded = {}
    with tempfile.TemporaryDirectory() as tmp:
        for crf in crfs:
            decoded = _round_trip(frames, crf, Path(tmp))
            coded[crf] = np.array([held_drawing_difference(a, b) for a, b in zip(decoded, decoded[1:])])
    return truth, coded


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data/colorize"), help="colorize bootstrap folder")
    parser.add_argument("--crf", type=int, nargs="+", default=[18, 23, 28])
    parser.add_argument("--tolerance", type=float, nargs="+", default=[12, 16, 20, 24])
    args = parser.parse_args(argv)
    sequences = sorted(p for p in (args.data / "test").glob("*/lineart/*") if p.is_dir() and any(p.glob("*.png")))
    if not sequences:
        parser.error(f"no line-art folders under {args.data / 'test'}")
    truth_parts, coded_parts = [], {crf: [] for crf in args.crf}
    for sequence in sequences:
        truth, coded = pair_statistics(sequence, args.crf)
        truth_parts.append(truth)
        for crf in args.crf:
            coded_parts[crf].append(coded[crf])
        held = int((truth <= DEFAULT_HOLD_TOLERANCE).sum())
        print(f"{sequence.parent.parent.name}/{sequence.name}: {len(truth)} pairs, {held} holds")
    truth = np.concatenate(truth_parts)
    holds = truth <= DEFAULT_HOLD_TOLERANCE
    print(f"\n{len(sequences)} sequences, {len(truth)} pairs, {int(holds.sum())} holds, "
          f"{int((~holds).sum())} changes\n")
    print("| CRF | tolerance | holds still found | changes taken for holds | largest such change before encoding |")
    print("|---|---|---|---|---|")
    for crf in args.crf:
        coded = np.concatenate(coded_parts[crf])
        for tolerance in args.tolerance:
            found = coded <= tolerance
            taken = truth[found & ~holds]
            largest = f"{taken.max():.1f}" if taken.size else "-"
            print(f"| {crf} | {tolerance:g} | {int((found & holds).sum())} / {int(holds.sum())} "
                  f"({(found & holds).sum() / holds.sum():.0%}) | {taken.size} / {int((~holds).sum())} | {largest} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
