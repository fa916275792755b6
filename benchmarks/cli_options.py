"""Command-line plumbing the benchmark CLIs share: the option parsers and options they have in common, logging
set-up, and the config and command line each run records.

Flags, defaults and messages here are the ones benchmarks/README.md documents for every benchmark.
"""
from __future__ import annotations

import argparse
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TypeVar

__all__ = ["SpeedConfig", "frame_size", "named_paths", "add_speed_options", "add_run_switches", "setup_logging",
           "apply_speed_and_quick", "command_line"]


class SpeedConfig(Protocol):
    """A benchmark config with a speed section and a smoke-test mode."""

    speed_sizes: list[tuple[int, int]]

    def quick(self) -> "SpeedConfig": ...


Config = TypeVar("Config", bound=SpeedConfig)


def frame_size(value: str) -> tuple[int, int]:
    """argparse type for `WIDTHxHEIGHT` (e.g. 1280x720); returns (height, width)."""
    w, _, h = value.lower().partition("x")
    try:
        return int(h), int(w)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, got {value!r}") from exc


def named_paths(values: Sequence[str], option: str) -> dict[str, Path]:
    """`NAME=PATH` values of `option` as {name: path}; exits naming the option on a malformed value or missing file."""
    out: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"{option} expects NAME=PATH, got {value!r}")
        if not Path(path).is_file():
            raise SystemExit(f"{option} {name}: file not found: {path}")
        out[name] = Path(path)
    return out


def add_speed_options(parser: argparse.ArgumentParser, *, default_sizes: str = "256x256 1280x720") -> None:
    """--speed-sizes and --speed-repeats (the speed section's frame sizes and repeats); `default_sizes` is what
    the benchmark's config uses when --speed-sizes is not given, for the help text."""
    parser.add_argument("--speed-sizes", nargs="*", type=frame_size, default=None, metavar="WxH",
                        help=f"frame sizes for the speed section (default {default_sizes})")
    parser.add_argument("--speed-repeats", type=int, default=3)


def add_run_switches(parser: argparse.ArgumentParser, *, quick_help: str) -> None:
    """--skip-speed, --quick (a smoke test; `quick_help` says what it shrinks) and -v/--verbose."""
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("-v", "--verbose", action="store_true")


def setup_logging(verbose: bool) -> None:
    """Timestamped log lines on stderr; debug ones too with --verbose."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def apply_speed_and_quick(config: Config, args: argparse.Namespace) -> Config:
    """`config` with --speed-sizes (when given) and then --quick applied; --quick wins over --speed-sizes."""
    if args.speed_sizes:
        config.speed_sizes = args.speed_sizes
    if args.quick:
        config.quick()
    return config


def command_line(prog: str, argv: Sequence[str] | None) -> str:
    """The command a report records: `prog` followed by the arguments (`argv`, else this process's), shell-quoted."""
    return prog + " " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
