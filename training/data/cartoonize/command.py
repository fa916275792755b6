"""``python -m training bootstrap``: the cartoonize build's command line (its options pass through training/cli.py
unparsed, so they live here beside the build they drive)."""
from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from ..sources import MissingSourcesError
from .build import ALL_SOURCES, build, check_requirements

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m training bootstrap [--out DIR] [--max-cartoons N] [--seed S] [--check]``."""
    parser = argparse.ArgumentParser(prog="python -m training bootstrap",
                                     description="Build photo / cartoon / video folders from offline packages.")
    parser.add_argument("--out", type=Path, default=Path("data/cartoonize"), help="output folder")
    parser.add_argument("--max-cartoons", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--sources", nargs="+", choices=ALL_SOURCES, help="build only these sources")
    parser.add_argument("--allow-missing", action="store_true", help="skip sources whose package is missing")
    parser.add_argument("--check", action="store_true",
                        help="only check the packages; print install commands; exit 1 if any are missing")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.check:
        cmds = check_requirements(args.sources or ALL_SOURCES)
        if cmds:
            print("missing data sources; run:")
            for c in cmds:
                print("  " + c)
            return 1
        print("all bootstrap data sources are installed")
        return 0
    try:
        manifest = build(args.out, max_cartoons=args.max_cartoons, seed=args.seed, progress=not args.no_progress,
                         sources_only=args.sources, test_fraction=args.test_fraction,
                         allow_missing=args.allow_missing)
    except MissingSourcesError as exc:
        print(str(exc))
        return 2
    print(json.dumps(manifest["totals"], indent=1))
    print(f"{manifest['bytes'] / 1e6:.1f} MB in {manifest['build_seconds']} s -> {args.out / 'manifest.json'}")
    return 0

