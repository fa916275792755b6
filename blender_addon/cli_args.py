# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument parsing for ``blender -b file.blend --command toonflow ...`` (no bpy)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

__all__ = ["build_parser", "parse_args", "parse_frames"]

EPILOG = """\
examples:
  blender -b film.blend --command toonflow strips --marked --save film_toon.blend
  blender -b film.blend --command toonflow strips --strip Shot1 --strip Shot2 --model comic
  blender -b shots.blend --command toonflow render --frames 1-48
  blender -b film.blend --command toonflow colorize --strip Lines --key 1=key_0001.png --key 48=key_0048.png
  blender -b film.blend --command toonflow colorize --marked --device gpu
  blender -b --command toonflow file input.mp4 --output /tmp/toon_frames
  blender -b --command toonflow gpu
"""


def parse_frames(text: str) -> list[int]:
    """``"1-5,8,10-12"`` -> ``[1, 2, 3, 4, 5, 8, 10, 11, 12]`` (inclusive ranges, sorted, unique)."""
    frames: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            if sep and lo:
                a, b = int(lo), int(hi)
                if b < a:
                    raise argparse.ArgumentTypeError(f"frame range {part!r} ends before it starts")
                frames.update(range(a, b + 1))
            else:
                frames.add(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad frame list {text!r}; use e.g. 1-24 or 1,5,9-12") from None
    if not frames:
        raise argparse.ArgumentTypeError("empty frame list")
    return sorted(frames)


def _key(text: str):  # noqa: ANN202 - keyframes.Keyframe
    from .keyframes import parse_key_arg

    try:
        return parse_key_arg(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_strip_choice(p: argparse.ArgumentParser, what: str) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--strip", action="append", default=[], metavar="NAME", help="a strip by name (repeatable)")
    which.add_argument("--marked", action="store_true", help=f"all strips marked for Toonflow {what} (the default)")
    which.add_argument("--all", action="store_true", help="every movie and image strip")
    which.add_argument("--selected", action="store_true", help="the selected strips")
    p.add_argument("--scene", default=None, help="scene name (default: the file's active scene)")
    p.add_argument("--save", default=None, metavar="NEW.blend",
                   help="save the result to this new .blend (never overwrites an existing file)")


def _add_processing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None,
                   help="model name or .onnx path (default: the strip's own Model, else the default cartoonize "
                        "model; 'models' lists them)")
    p.add_argument("--strength", type=float, default=None, help="0 = source, 1 = full cartoon")
    p.add_argument("--temporal", action=argparse.BooleanOptionalAction, default=None,
                   help="temporal stabiliser on/off")
    _add_device(p)


def _add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", choices=("auto", "gpu", "cpu"), default=None,
                   help="where the model runs (default: the preferences' device)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blender -b [file.blend] --command toonflow",
        description="Toonflow: cartoonize or colorize sequencer strips, files, and compositor renders from the command "
                    "line.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = sub.add_parser("strips", help="cartoonize sequencer strips and add the results above them")
    _add_strip_choice(p, "cartoonize")
    _add_processing(p)

    p = sub.add_parser("colorize", help="colour line-art strips from their keyframes and add the results above them")
    _add_strip_choice(p, "colorize")
    p.add_argument("--key", action="append", type=_key, default=[], metavar="FRAME=IMAGE",
                   help="a coloured keyframe: timeline frame and image (repeatable; replaces the strips' own "
                        "keyframes for this run)")
    p.add_argument("--model", default=None, help="colorize model name or .onnx path (default: the strip's / lcmftn)")
    p.add_argument("--temporal", action=argparse.BooleanOptionalAction, default=None,
                   help="also colour each frame from the previous coloured frame (default: the strip's setting)")
    p.add_argument("--two-sided", action=argparse.BooleanOptionalAction, default=None,
                   help="colour each frame between two keyframes from both of them (needs --temporal; default: the "
                        "strip's setting)")
    _add_device(p)

    p = sub.add_parser("file", help="cartoonize a movie or image file into a PNG sequence")
    p.add_argument("input")
    p.add_argument("--output", "-o", required=True, metavar="DIR",
                   help="folder for the frames (created; existing frames are never overwritten)")
    p.add_argument("--frames", type=parse_frames, default=None, help="frame numbers (1-based), e.g. 1-48")
    _add_processing(p)

    p = sub.add_parser("render", help="render the compositor with Toonflow nodes (like -a); Render Layers sources "
                                      "are rendered first into the cache (two passes)")
    p.add_argument("--scene", default=None)
    p.add_argument("--frames", type=parse_frames, default=None, help="default: the scene's frame range")
    p.add_argument("--output", default=None, metavar="PATH",
                   help="render output path (default: the scene's own output path)")

    p = sub.add_parser("prerender", help="only the first pass for Render Layers sources: raw renders into the cache")
    p.add_argument("--scene", default=None)
    p.add_argument("--frames", type=parse_frames, default=None)

    sub.add_parser("models", help="list the installed models")
    sub.add_parser("gpu", help="check the GPU (ONNX Runtime CUDA) and name missing libraries")
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse ``argv``; raises ``SystemExit`` like argparse on bad input (the caller turns it into a return code)."""
    return build_parser().parse_args(list(argv))
