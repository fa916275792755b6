"""The ``toonflow`` command line (also ``python -m engine``). See docs/CLI.md.

Exit codes: 0 success, 1 unexpected internal error (with traceback), 2 bad usage or a Toonflow error (one line on
stderr), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import SettingsError, ToonflowError
from .farm.chunks import DEFAULT_CHUNK
from .frame_range import FrameRange
from .lineart import DEFAULT_HOLD_TOLERANCE, VIDEO_HOLD_TOLERANCE
from .media_input import MAX_SEQUENCE_FPS, MIN_SEQUENCE_FPS
from .models import DEFAULT_MODELS, MODEL_PATH_ENV, WEIGHTS_DIR, ModelCard, find_models, is_default_model
from .pipeline import cartoonize_file, colorize_file
from .runtime import DEVICES, PRECISIONS

__all__ = ["main", "build_parser"]

log = logging.getLogger("engine.cli")

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def _number_type(parse: Callable[[str], float], expected: str, valid: Callable[[float], bool], requirement: str
                 ) -> Callable[[str], float]:
    """An argparse `type` that parses a number and checks its range, naming both in its errors."""

    def convert(text: str) -> float:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {value}")
        return value

    return convert


_strength = _number_type(float, "a number between 0 and 1", lambda v: 0.0 <= v <= 1.0, "between 0 and 1")
_non_negative_int = _number_type(int, "a whole number", lambda v: v >= 0, ">= 0")
_positive_int = _number_type(int, "a whole number", lambda v: v >= 1, ">= 1")
_frame_rate = _number_type(float, "a number", lambda v: MIN_SEQUENCE_FPS <= v <= MAX_SEQUENCE_FPS,
                           f"between {MIN_SEQUENCE_FPS:g} and {MAX_SEQUENCE_FPS:g}")
_hold_tolerance = _number_type(float, "a number between 0 and 255", lambda v: 0.0 <= v <= 255.0, "between 0 and 255")


def _frame_range(text: str) -> FrameRange:
    try:
        return FrameRange.parse(text)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_FRAMES_HELP = ("write only frames A to B (counted from 0, like --key; 'A-' runs to the end, 'A' is one frame), "
                "identical to those frames of a whole run: earlier frames the temporal state needs are read but "
                "not written (farm chunks; see docs/CLI.md)")


def _keyframe(text: str) -> tuple[int, Path]:
    index, sep, path = text.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"expected INDEX=IMAGE (e.g. 0=key0.png), got {text!r}")
    try:
        value = int(index)
    except ValueError:
        raise argparse.ArgumentTypeError(f"keyframe index must be a whole number, got {index!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"keyframe index must be >= 0, got {value}")
    return value, Path(path)


def _add_common(p: argparse.ArgumentParser, *, top: bool) -> None:
    """Options accepted before and after the subcommand (``toonflow -v models`` and ``toonflow models -v``)."""
    extra = {} if top else {"default": argparse.SUPPRESS}
    p.add_argument("-v", "--verbose", action="count", help="more logging (-v: info, -vv: debug)",
                   **({"default": 0} if top else extra))
    p.add_argument("--model-dir", action="append", metavar="DIR", type=Path,
                   help=f"extra folder to search for models (repeatable; also ${MODEL_PATH_ENV})",
                   **({"default": []} if top else extra))


def _add_cartoonize_options(c: argparse.ArgumentParser) -> None:
    """Input, output and options of ``toonflow cartoonize`` (also ``toonflow farm cartoonize``)."""
    c.add_argument("input", type=Path, metavar="IN", help="video file, folder of images, or image")
    c.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                   help="output: .mp4/.mov/.mkv (H.264), .png/.jpg/.tif (single image input), "
                        "or a folder for PNG frames")
    c.add_argument("--model", default=None, metavar="NAME|PATH",
                   help="model name (see 'toonflow models') or path to an .onnx file "
                        f"(default: {DEFAULT_MODELS['cartoonize']})")
    c.add_argument("--device", choices=DEVICES, default="auto",
                   help="auto: GPU when available, else CPU (default); cpu; gpu: warn if no GPU")
    c.add_argument("--tile", type=_non_negative_int, default=1024, metavar="N",
                   help="process frames with a side over N pixels in overlapping tiles (0: never; default 1024)")
    c.add_argument("--strength", type=_strength, default=1.0, metavar="F",
                   help="blend with the source: 1 = full cartoon (default), 0 = source")
    c.add_argument("--temporal", action=argparse.BooleanOptionalAction, default=False,
                   help="temporal stabiliser: blend the previous output, warped by optical flow, where "
                        "reliable and off the output's strong edges (default: off)")
    c.add_argument("--temporal-strength", type=_strength, default=0.6, metavar="F",
                   help="stabiliser blend strength in [0, 1] (default 0.6)")
    c.add_argument("--max-memory", type=_positive_int, default=None, metavar="MB",
                   help="keep each frame's estimated peak memory under MB megabytes by using smaller tiles "
                        "(default: tiles of --tile)")
    _add_precision(c)
    _add_output_options(c)


def _add_colorize_options(z: argparse.ArgumentParser) -> None:
    """Input, output and options of ``toonflow colorize`` (also ``toonflow farm colorize``)."""
    z.add_argument("input", type=Path, metavar="LINEART", help="video file or folder of line-art images")
    z.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                   help="output: .mp4/.mov/.mkv (H.264, same fps), or a folder for PNG frames named like the input")
    z.add_argument("--key", action="append", type=_keyframe, required=True, metavar="INDEX=IMAGE",
                   dest="keys", help="coloured keyframe for line-art frame INDEX (from 0); repeatable")
    z.add_argument("--model", default=None, metavar="NAME|PATH",
                   help="model name (see 'toonflow models --task colorize') or path to an .onnx file "
                        f"(default: {DEFAULT_MODELS['colorize']})")
    z.add_argument("--device", choices=DEVICES, default="auto",
                   help="auto: GPU when available, else CPU (default); cpu; gpu: warn if no GPU")
    z.add_argument("--max-side", type=_non_negative_int, default=None, metavar="N",
                   help="colour frames whose longer side exceeds N at that size, then restore full size with the "
                        "full-resolution lines (default: the model card's max_side; 0: never)")
    z.add_argument("--no-reuse-holds", dest="reuse_holds", action="store_false",
                   help="colour every frame anew, even one that holds the previous frame's drawing (by default "
                        "such a frame repeats the previous output exactly)")
    z.add_argument("--hold-tolerance", type=_hold_tolerance, default=None, metavar="0-255",
                   help="largest blurred difference (levels) between two frames of one held drawing (default: "
                        f"{VIDEO_HOLD_TOLERANCE:g} for video input, whose coding noise is larger, "
                        f"{DEFAULT_HOLD_TOLERANCE:g} for image files)")
    z.add_argument("--two-sided", action="store_true",
                   help="colour each frame between two keyframes from both of them (a forward and a backward "
                        "chain blended per pixel by time, tracked flow and how much of the frame each keyframe "
                        "shows); about twice the work between keyframes, and the frames up to the next keyframe "
                        "are read ahead into the temporary folder (default: one-sided, from the nearest keyframe "
                        "and the previous output)")
    z.add_argument("--no-fine-alignment", dest="fine_alignment", action="store_false",
                   help="give the network the keyframe aligned once (by flow on the blurred line arts) instead of "
                        "also by flow on the sharp line arts: about a third faster with lcmftn, less exact colour "
                        "where the motion is small")
    _add_precision(z)
    _add_output_options(z)


def _add_precision(p: argparse.ArgumentParser) -> None:
    p.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="auto: the model's int8 copy on a CPU when its card says it kept the quality and ran faster, "
                        "fp16 on a GPU where the card allows, else fp32 (default); fp32: always full precision; "
                        "int8: the int8 copy (an error when the model has none)")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fps", type=_frame_rate, default=None,
                   help="frame rate for image-sequence input (default 24)")
    p.add_argument("--crf", type=int, choices=range(0, 52), default=18, metavar="0-51",
                   help="H.264 quality: lower is better and larger (default 18)")
    p.add_argument("--no-audio", dest="audio", action="store_false", help="do not copy the input's audio")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands ``cartoonize``, ``colorize``, ``farm`` and ``models``)."""
    parser = argparse.ArgumentParser(
        prog="toonflow", description="Turn video into temporally coherent cartoon video; colour line art.")
    parser.add_argument("--version", action="version", version=f"toonflow {__version__}")
    _add_common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    c = sub.add_parser("cartoonize", help="cartoonize a video, a folder of images or an image",
                       description="Cartoonize a video file, a folder of images or one image.")
    _add_common(c, top=False)
    _add_cartoonize_options(c)
    c.add_argument("--frames", type=_frame_range, default=None, metavar="A-B", help=_FRAMES_HELP)
    c.set_defaults(func=_cmd_cartoonize)

    z = sub.add_parser("colorize", help="colour line-art frames from coloured keyframes",
                       description="Colour a line-art video or folder of line-art images (dark lines on white) "
                                   "from one or more coloured keyframes.")
    _add_common(z, top=False)
    _add_colorize_options(z)
    z.add_argument("--frames", type=_frame_range, default=None, metavar="A-B", help=_FRAMES_HELP)
    z.set_defaults(func=_cmd_colorize)

    f = sub.add_parser("farm", help="cartoonize or colorize on a Dask cluster, in frame chunks",
                       description="Split a cartoonize or colorize job into frame chunks, run them on a Dask "
                                   "cluster (or local worker processes) and assemble the output. Needs "
                                   "'pip install toonflow[farm]'. See docs/FARM.md.")
    farm = f.add_subparsers(dest="farm_task", metavar="TASK")
    farm.required = True
    for task, add_options, helptext in (("cartoonize", _add_cartoonize_options, "cartoonize on the cluster"),
                                        ("colorize", _add_colorize_options, "colorize on the cluster")):
        t = farm.add_parser(task, help=helptext, description=f"{helptext.capitalize()}: the options of "
                                                              f"'toonflow {task}' plus where and how to split.")
        _add_common(t, top=False)
        add_options(t)
        t.add_argument("--scheduler", required=True, metavar="tcp://HOST:8786|local",
                       help="the Dask scheduler's address, or 'local' to start worker processes on this machine")
        t.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="worker processes for --scheduler local (default: one per CPU)")
        t.add_argument("--chunk", type=_positive_int, default=DEFAULT_CHUNK, metavar="N",
                       help=f"frames per chunk (default {DEFAULT_CHUNK}; with --temporal each chunk after the first "
                            "also reads the stabiliser's warm-up frames; colorize chunks end at keyframes)")
        t.add_argument("--work-dir", type=Path, default=None, metavar="DIR",
                       help="folder for the finished chunks, at the same path on every worker (default: "
                            ".toonflow-farm-OUTNAME beside the output; kept until the output is complete)")
        t.add_argument("--keep-chunks", action="store_true", help="keep the chunk folders after the output is "
                                                                  "written")
        t.set_defaults(func=_cmd_farm)

    m = sub.add_parser("models", help="list installed models",
                       description=f"List the models found in --model-dir folders, ${MODEL_PATH_ENV} and "
                                   f"{WEIGHTS_DIR}: one line each (name, task, whether it is the task's default, "
                                   "description).")
    _add_common(m, top=False)
    m.add_argument("--task", default=None, help="only models for this task (cartoonize or colorize)")
    m.add_argument("-l", "--long", action="store_true",
                   help="several lines per model: also recipe, network, training steps, licence and file")
    m.set_defaults(func=_cmd_models)
    return parser


def _span(first: int, count: int, ranged: bool) -> str:
    """``": A-B"`` after the frame count in the end-of-run line of a run given ``--frames``."""
    return f": {first}-{first + count - 1}" if ranged and count else ""


@contextmanager
def _progress_bar(name: str) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr (off when stderr is not a terminal); yields the engine's ``progress(done, total)``."""
    from tqdm import tqdm  # noqa: PLC0415 - only the CLI needs it

    bar = tqdm(total=None, unit="frame", desc=name, disable=None, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()


def _how(providers: Sequence[str], precision: str, frames: int, seconds: float) -> str:
    """The end of a run's summary line: where and in what precision the network ran, and how fast."""
    where = ", ".join(p.replace("ExecutionProvider", "") for p in providers)
    rate = f", {frames / seconds:.2f} frames/s" if seconds > 0 and frames else ""
    return f"{where} {precision}{rate}"


def _keyframes(args: argparse.Namespace) -> dict[int, Path]:
    keys: dict[int, Path] = {}
    for index, path in args.keys:
        if index in keys:
            raise SettingsError(f"keyframe {index} is given twice ({keys[index]} and {path}); give one image per index")
        keys[index] = path
    return keys


def _cmd_cartoonize(args: argparse.Namespace) -> int:
    with _progress_bar(args.input.name) as progress:
        result = cartoonize_file(
            args.input, args.output, model=args.model, device=args.device, tile_size=args.tile,
            strength=args.strength, temporal=args.temporal, temporal_strength=args.temporal_strength,
            extra_model_dirs=args.model_dir, audio=args.audio, crf=args.crf, fps=args.fps,
            frame_range=args.frames, progress=progress, precision=args.precision, max_memory_mb=args.max_memory)
    span = _span(result.first_frame, result.frames, args.frames is not None)
    warmup = f", after {result.warmup} warm-up frames" if result.warmup else ""
    print(f"wrote {result.output} ({result.frames} frames{span}{warmup}, {result.input.fps:.3g} fps, "
          f"{_how(result.providers, result.precision, result.frames + result.warmup, result.seconds)})")
    return EXIT_OK


def _cmd_colorize(args: argparse.Namespace) -> int:
    keys = _keyframes(args)
    with _progress_bar(args.input.name) as progress:
        result = colorize_file(
            args.input, args.output, keys, model=args.model, device=args.device, max_side=args.max_side,
            reuse_holds=args.reuse_holds, hold_tolerance=args.hold_tolerance, extra_model_dirs=args.model_dir,
            audio=args.audio, crf=args.crf, fps=args.fps, frame_range=args.frames, progress=progress,
            precision=args.precision, two_sided=args.two_sided, fine_alignment=args.fine_alignment)
    span = _span(result.first_frame, result.frames, args.frames is not None)
    cuts = f", {len(result.cuts)} shot cut{'s' if len(result.cuts) != 1 else ''}" if result.cuts else ""
    holds = f", {len(result.holds)} held frame{'s' if len(result.holds) != 1 else ''}" if result.holds else ""
    print(f"wrote {result.output} ({result.frames} frames{span}, {len(result.keyframes)} keyframe"
          f"{'s' if len(result.keyframes) != 1 else ''}{cuts}{holds}, {result.input.fps:.3g} fps, "
          f"{_how(result.providers, result.precision, result.frames, result.seconds)})")
    return EXIT_OK


def _cmd_farm(args: argparse.Namespace) -> int:
    from .farm import CartoonizeSettings, ColorizeSettings, FarmJob, run_farm  # noqa: PLC0415 - farm runs only

    settings: CartoonizeSettings | ColorizeSettings
    model = args.model
    if model is not None and Path(model).suffix.lower() == ".onnx":
        model = str(Path(model).resolve())  # workers run in other folders
    if args.farm_task == "cartoonize":
        settings = CartoonizeSettings(model=model, device=args.device, tile_size=args.tile,
                                      strength=args.strength, temporal=args.temporal,
                                      temporal_strength=args.temporal_strength, precision=args.precision,
                                      max_memory_mb=args.max_memory)
    else:
        keys = tuple((index, str(path.resolve())) for index, path in sorted(_keyframes(args).items()))
        settings = ColorizeSettings(keyframes=keys, model=model, device=args.device, max_side=args.max_side,
                                    reuse_holds=args.reuse_holds, hold_tolerance=args.hold_tolerance,
                                    precision=args.precision, two_sided=args.two_sided,
                                    fine_alignment=args.fine_alignment)
    job = FarmJob(input=args.input.resolve(), settings=settings, fps=args.fps,
                  model_dirs=tuple(str(Path(d).resolve()) for d in args.model_dir))
    with _progress_bar(args.input.name) as progress:
        result = run_farm(job, args.output, scheduler=args.scheduler, chunk_size=args.chunk, workers=args.workers,
                          work_dir=args.work_dir, keep_chunks=args.keep_chunks, audio=args.audio, crf=args.crf,
                          progress=progress)
    workers = len({r.worker for r in result.reports})
    reused = f", {len(result.reused)} reused from an earlier run" if result.reused else ""
    print(f"wrote {result.output} ({result.frames} frames in {len(result.chunks)} chunks{reused}, on {workers} "
          f"worker{'s' if workers != 1 else ''}, {result.seconds:.1f} s, {result.frames / result.seconds:.2f} "
          "frames/s)")
    return EXIT_OK


def _model_table(cards: Sequence[ModelCard]) -> list[str]:
    """``toonflow models``: a header, then one line per model: name, task, ``yes`` under DEFAULT for the model a
    task uses when no ``--model`` is given, and the card's description (on one line)."""
    header = ("NAME", "TASK", "DEFAULT")
    rows = [(c.name, c.task, "yes" if is_default_model(c) else "", " ".join(c.description.split()) or "-")
            for c in cards]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + description
            for *row, description in ((*header, "DESCRIPTION"), *rows)]


def _model_details(card: ModelCard) -> list[str]:
    """``toonflow models --long``: a block of lines per model."""
    steps = "?" if card.training_steps is None else str(card.training_steps)
    default = f"  (default {card.task} model)" if is_default_model(card) else ""
    return [f"{card.name}{default}",
            f"  task:        {card.task}",
            f"  recipe:      {card.recipe or '?'}",
            f"  network:     {card.architecture or '?'} (tiling {'yes' if card.supports_tiling else 'no'})",
            f"  description: {card.description or '-'}",
            f"  steps:       {steps}",
            f"  licence:     {card.licence or '?'}",
            f"  file:        {card.onnx_path}"]


def _cmd_models(args: argparse.Namespace) -> int:
    cards = find_models(args.model_dir, task=args.task)
    if not cards:
        print(f"no models installed (searched {WEIGHTS_DIR} and ${MODEL_PATH_ENV})")
        return EXIT_OK
    lines = [line for card in cards for line in _model_details(card)] if args.long else _model_table(cards)
    print("\n".join(lines))
    return EXIT_OK


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="toonflow: %(levelname)s: %(message)s", stream=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return int(args.func(args))
    except ToonflowError as exc:
        log.debug("error details", exc_info=True)
        print(f"toonflow: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("toonflow: interrupted; no output written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
