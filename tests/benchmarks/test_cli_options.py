"""The benchmark CLIs' shared option parsing: sizes, NAME=PATH values, --speed-sizes/--quick, the recorded command."""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from benchmarks.cli_options import (add_run_switches, add_speed_options, apply_speed_and_quick, command_line,
                                    frame_size, named_paths)


def test_frame_size_is_width_by_height_returned_as_height_width() -> None:
    assert frame_size("1280x720") == (720, 1280)
    assert frame_size("64X48") == (48, 64)
    for bad in ("1280", "12x", "axb", "1280x720x3"):
        with pytest.raises(argparse.ArgumentTypeError, match=f"size must be WIDTHxHEIGHT, got '{bad}'"):
            frame_size(bad)


def test_speed_sizes_option_reports_a_bad_size(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench")
    add_speed_options(parser)
    assert parser.parse_args(["--speed-sizes", "256x256", "1280x720"]).speed_sizes == [(256, 256), (720, 1280)]
    with pytest.raises(SystemExit):
        parser.parse_args(["--speed-sizes", "big"])
    assert "argument --speed-sizes: size must be WIDTHxHEIGHT, got 'big'" in capsys.readouterr().err


def test_named_paths(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    assert named_paths([f"pmc={model}"], "--models") == {"pmc": model}
    for value in ("pmc", f"={model}", "pmc="):
        with pytest.raises(SystemExit, match=f"--models expects NAME=PATH, got '{value}'"):
            named_paths([value], "--models")
    with pytest.raises(SystemExit, match="--torch-checkpoint g: file not found: .*nope.safetensors"):
        named_paths([f"g={tmp_path / 'nope.safetensors'}"], "--torch-checkpoint")


@dataclass
class _Config:
    speed_sizes: list[tuple[int, int]] = field(default_factory=lambda: [(256, 256)])

    def quick(self) -> "_Config":
        self.speed_sizes = [(64, 64)]
        return self


def test_quick_wins_over_speed_sizes() -> None:
    parser = argparse.ArgumentParser()
    add_speed_options(parser)
    add_run_switches(parser, quick_help="smoke test")
    assert apply_speed_and_quick(_Config(), parser.parse_args([])).speed_sizes == [(256, 256)]
    assert apply_speed_and_quick(_Config(), parser.parse_args(["--speed-sizes", "8x4"])).speed_sizes == [(4, 8)]
    args = parser.parse_args(["--speed-sizes", "8x4", "--quick", "-v"])
    assert args.verbose and not args.skip_speed
    assert apply_speed_and_quick(_Config(), args).speed_sizes == [(64, 64)]


def test_command_line_quotes_arguments() -> None:
    assert command_line("python -m bench", ["--out", "a b", "--quick"]) == "python -m bench --out 'a b' --quick"
