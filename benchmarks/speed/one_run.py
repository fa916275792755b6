"""One measured file-to-file run in a fresh process, so its peak memory is its own.

    python -m benchmarks.speed.one_run IN OUT --model cel --precision fp32 [--serial] [--temporal]

Prints one JSON line: frames, seconds (decode to encode, the model already open), precision, peak_mb
(the process's own peak resident memory: engine.memory_budget.peak_resident_bytes).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine import Cartoonizer, cartoonize_file
from engine.memory_budget import peak_resident_bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed.one_run")
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--serial", action="store_true", help="decode, network and encode one after another")
    parser.add_argument("--temporal", action="store_true")
    args = parser.parse_args(argv)
    toon = Cartoonizer(args.model, device="cpu", precision=args.precision, temporal=args.temporal)
    result = cartoonize_file(args.input, args.output, cartoonizer=toon, overlap=not args.serial, audio=False)
    peak_mb = peak_resident_bytes() / 2**20
    print(json.dumps({"frames": result.frames, "seconds": result.seconds, "precision": result.precision,
                      "peak_mb": peak_mb}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
