"""`python -m training {bootstrap,bootstrap-colorize,bootstrap-distill,train,export,train-colorize,export-colorize,
quantize}`: build the datasets, train a recipe, export it to ONNX, make its int8 copy."""
from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from pathlib import Path

__all__ = ["main"]

#: Commands that own their options (parsed by their own modules).
_PASS_THROUGH = ("bootstrap", "bootstrap-colorize", "bootstrap-distill")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options every training command shares: where the run goes, the device, and a time limit per invocation."""
    parser.add_argument("--out", type=Path, required=True, help="run folder: checkpoints, losses.jsonl, samples/")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this long")


def _add_size_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch-size", type=int, default=None, help="override the per-process batch size")
    parser.add_argument("--crop-size", type=int, default=None, help="override the training crop size")


def _add_card_options(parser: argparse.ArgumentParser) -> None:
    """Options every export command shares: the output file and what its model card says."""
    parser.add_argument("-o", "--out", type=Path, required=True, help="output .onnx path (card written beside it)")
    parser.add_argument("--name", default=None, help="model name (default: the recipe name)")
    parser.add_argument("--description", default="",
                        help="one line shown by `toonflow models` (distilled styles: the style's own by default)")
    # dest differs from "command": that one names the subcommand.
    parser.add_argument("--command", dest="training_command", default="",
                        help="the training command to record in the card")


def _add_train(commands: argparse._SubParsersAction) -> None:
    from .recipes import RECIPES, SCALES

    parser = commands.add_parser("train", help="train (or resume) a recipe; re-run the same command to resume")
    parser.add_argument("--recipe", required=True, choices=sorted(RECIPES))
    parser.add_argument("--scale", default="paper", choices=sorted(SCALES),
                        help="paper: the papers' settings (GPU); cpu: fits 2 CPU cores in about an hour; "
                             "smoke: seconds")
    parser.add_argument("--data", type=Path, default=Path("data/cartoonize"), help="folder written by `bootstrap`")
    _add_run_options(parser)
    parser.add_argument("--stop-at-step", type=int, default=None,
                        help="stop (with a checkpoint) at this step, keeping the full schedule: to match another "
                             "run's step budget")
    parser.add_argument("--init-steps", type=int, default=None, help="override the scale's reconstruction steps")
    parser.add_argument("--gan-steps", type=int, default=None, help="override the scale's GAN steps")
    parser.add_argument("--steps", type=int, default=None,
                        help="override the scale's steps (distillation recipes: cel, comic and their lite twins)")
    parser.add_argument("--temporal-weight", type=float, default=None,
                        help="distillation recipes: override the flow-warped temporal loss weight")
    parser.add_argument("--gradient-weight", type=float, default=None,
                        help="distillation recipes: override the image-gradient L1 weight (flat regions, lines)")
    parser.add_argument("--finish-weight", type=float, default=None,
                        help="with --tones-in-engine: weight of the L1 between output and target both after a "
                             "differentiable copy of the engine's tone steps and lines (default 0: off)")
    parser.add_argument("--stable-targets", action="store_true", default=None,
                        help="distillation recipes: real clip pairs regress the stabilised teacher targets "
                             "(bootstrap-distill --stable)")
    parser.add_argument("--ink-in-engine", action="store_true", default=None,
                        help="distillation recipes: learn the style's targets without ink lines (bootstrap-distill "
                             "--without-ink); the exported card has the engine draw the style's lines")
    parser.add_argument("--tones-in-engine", action="store_true", default=None,
                        help="distillation recipes: learn the style's flattened frames only (bootstrap-distill "
                             "--flat-only); the exported card has the engine draw the style's tone steps, chroma "
                             "lift and lines")
    parser.add_argument("--chroma-in-engine", action="store_true", default=None,
                        help="distillation recipes: learn the style's frames without the chroma lift "
                             "(bootstrap-distill --unlifted); the exported card has the engine lift the chroma")
    parser.add_argument("--temporal-on-finish", action="store_true", default=None,
                        help="with --tones-in-engine or --chroma-in-engine: the temporal term compares the outputs "
                             "after a differentiable copy of the engine's finish (tone steps and lines, or the chroma "
                             "lift)")
    parser.add_argument("--input-noise", type=float, default=None, metavar="SIGMA",
                        help="distillation recipes: largest std (0-1 units) of the Gaussian noise added to each "
                             "input frame on its own (the targets stay clean)")
    parser.add_argument("--init-from", type=Path, default=None,
                        help="start a new run from this generator.safetensors or exported .onnx model (same "
                             "architecture): fine-tuning")
    _add_size_overrides(parser)


def _add_export(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("export", help="export a trained generator to ONNX + model card")
    parser.add_argument("run", type=Path, help="run folder holding generator.safetensors")
    _add_card_options(parser)
    parser.add_argument("--data-manifest", type=Path, default=Path("data/cartoonize/manifest.json"))
    parser.add_argument("--data", type=Path, default=Path("data/cartoonize"),
                        help="distillation recipes: the folder whose held-out photos score the model against its "
                             "teacher (PSNR, in the card); skipped with a warning if the style's targets are "
                             "not built there")


def _add_train_colorize(commands: argparse._SubParsersAction) -> None:
    from .recipes.colorize import COLORIZE_RECIPES, COLORIZE_SCALES

    parser = commands.add_parser("train-colorize", help="train (or resume) a line-art colorization recipe")
    parser.add_argument("--recipe", required=True, choices=sorted(COLORIZE_RECIPES))
    parser.add_argument("--scale", default="paper", choices=sorted(COLORIZE_SCALES),
                        help="paper: the paper's settings (GPU); cpu: about an hour of one core; smoke: seconds")
    parser.add_argument("--data", type=Path, default=Path("data/colorize"), help="folder of the colorize bootstrap")
    _add_run_options(parser)
    parser.add_argument("--steps", type=int, default=None, help="override the scale's number of steps")
    parser.add_argument("--own-previous-prob", type=float, default=None,
                        help="share of two-reference steps whose second colour is the network's own output")
    _add_size_overrides(parser)
    parser.add_argument("--attention", default=None,
                        help="attention mode per level 1/8,1/4,1/2,1 (global|window|none), "
                             "e.g. global,global,window,none")


def _add_export_colorize(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("export-colorize", help="export a trained colorizer to ONNX + model card")
    parser.add_argument("run", type=Path, help="run folder holding network.safetensors")
    _add_card_options(parser)
    parser.add_argument("--data", type=Path, default=Path("data/colorize"),
                        help="colorize folder whose test split scores the model (PSNR); skipped if absent")
    parser.add_argument("--data-manifest", type=Path, default=Path("training/manifests/colorize.json"))
    parser.add_argument("--eval-pairs", type=int, default=64, help="held-out pairs scored for the card")
    parser.add_argument("--eval-crop", type=int, default=256, help="crop side of the scored pairs")


def _add_quantize(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("quantize", help="int8 copy of an exported model for CPUs: calibrate on the train "
                                 "split, measure against fp32 on the test split, record both in its card")
    parser.add_argument("model", type=Path, help="the model's .onnx file (its card beside it gets an int8 section)")
    parser.add_argument("--data", type=Path, default=None,
                        help="data folder (default: data/cartoonize or data/colorize, by the model's task)")
    parser.add_argument("--calibration-frames", type=int, default=32,
                        help="train samples calibrated on (photos; colorize: target + references), spread evenly; "
                             "the calibrator holds all their activations in memory")
    parser.add_argument("--eval-frames", type=int, default=0,
                        help="test samples scored, spread evenly (0: all)")
    parser.add_argument("--flicker-frames", type=int, default=12,
                        help="cartoonize: consecutive frames of each training clip the flicker check runs on")
    parser.add_argument("--speed-repeats", type=int, default=7, help="interleaved fp32 / int8 timing runs")
    parser.add_argument("--calibration-method", default="percentile", choices=("minmax", "entropy", "percentile"),
                        help="how activation ranges come from the calibration frames")
    parser.add_argument("--node-scope", default=None, metavar="REGEX",
                        help="quantize only trunk nodes whose name matches (default: per task; cartoonize: the "
                             "generator's quarter-resolution stage; '' for the whole trunk)")


def _add_postfilter(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("postfilter", help="give an exported distilled cartoonizer the engine's region "
                                 "flattening in its card and re-score it against its teacher (ONNX files unchanged)")
    parser.add_argument("model", type=Path, help="the model's .onnx file (its card beside it is rewritten)")
    parser.add_argument("--data", type=Path, default=Path("data/cartoonize"),
                        help="the folder whose held-out photos score the model against its teacher; skipped with "
                             "a warning if the style's targets are not built there")


def _run_train(args: argparse.Namespace) -> None:
    from .recipes import get_recipe
    from .train import train

    overrides = {
        field: value
        for field, value in (("init_steps", args.init_steps), ("gan_steps", args.gan_steps), ("steps", args.steps),
                             ("batch_size", args.batch_size), ("crop_size", args.crop_size),
                             ("stable_targets", args.stable_targets), ("input_noise", args.input_noise),
                             ("ink_in_engine", args.ink_in_engine), ("tones_in_engine", args.tones_in_engine),
                             ("temporal_on_finish", args.temporal_on_finish),
                             ("chroma_in_engine", args.chroma_in_engine))
        if value is not None
    }
    weights = {name: value for name, value in (("temporal", args.temporal_weight), ("gradient", args.gradient_weight),
                                                     ("finish", args.finish_weight))
               if value is not None}
    if weights:
        from dataclasses import replace

        from .recipes import RECIPES

        for name in weights:
            if not hasattr(RECIPES[args.recipe].weights, name):
                raise SystemExit(f"python -m training train: error: recipe {args.recipe} has no {name} loss weight")
        overrides["weights"] = replace(RECIPES[args.recipe].weights, **weights)
    try:
        recipe = get_recipe(args.recipe, args.scale, **overrides)
    except TypeError:  # an override the recipe has no field for
        raise SystemExit(f"python -m training train: error: recipe {args.recipe} takes none of "
                         f"{', '.join('--' + name.replace('_', '-') for name in overrides)} "
                         "(distillation recipes take --steps, --stable-targets, --input-noise, --ink-in-engine, "
                         "--tones-in-engine, --temporal-on-finish and --chroma-in-engine; the GAN recipes "
                         "--init-steps / "
                         "--gan-steps)") from None
    except ValueError as error:  # overrides that do not go together, e.g. --temporal-on-finish alone
        raise SystemExit(f"python -m training train: error: {error}") from None
    step = train(recipe, data_root=args.data, out_dir=args.out, device=args.device, max_minutes=args.max_minutes,
                 stop_at_step=args.stop_at_step, init_from=args.init_from)
    print(f"{recipe.name}: step {step} of {recipe.total_steps}; run folder {args.out}")


def _run_export(args: argparse.Namespace) -> None:
    from .export import export_cartoonizer
    from .train import GENERATOR_NAME

    result = export_cartoonizer(
        args.run / GENERATOR_NAME, args.out, name=args.name, description=args.description,
        command=args.training_command, data_manifest=args.data_manifest, score_data=args.data,
    )
    print(f"wrote {result.onnx_path} and {result.card_path} (ONNX parity {result.parity_max_abs_diff:.1e})")
    scores = {key: value for key, value in result.card["metrics"].items() if key.startswith("psnr_to_teacher")}
    if scores:
        print(json.dumps(scores, indent=2))


def _run_train_colorize(args: argparse.Namespace) -> None:
    from .recipes.colorize import get_colorize_recipe
    from .train_colorize import train_colorize

    overrides = {
        field: value
        for field, value in (("steps", args.steps), ("batch_size", args.batch_size), ("crop_size", args.crop_size),
                             ("own_previous_prob", args.own_previous_prob))
        if value is not None
    }
    if args.attention:
        overrides["network"] = {"attention": tuple(args.attention.split(","))}
    try:
        recipe = get_colorize_recipe(args.recipe, args.scale, **overrides)
    except ValueError as error:  # an option out of range: say which, without a traceback
        raise SystemExit(f"python -m training train-colorize: error: {error}") from None
    step = train_colorize(recipe, data_root=args.data, out_dir=args.out, device=args.device,
                          max_minutes=args.max_minutes)
    print(f"{recipe.name}: step {step}; run folder {args.out}")


def _run_export_colorize(args: argparse.Namespace) -> None:
    from .export_colorize import export_colorizer, score_colorizer
    from .train_colorize import NETWORK_NAME

    network_path = args.run / NETWORK_NAME
    metrics = None
    if args.data.is_dir():
        metrics = score_colorizer(network_path, args.data, pairs=args.eval_pairs, crop_size=args.eval_crop)
    result = export_colorizer(
        network_path, args.out, name=args.name, description=args.description, command=args.training_command,
        data_manifest=args.data_manifest, data_root=args.data if metrics else None, metrics=metrics,
    )
    print(f"wrote {result.onnx_path} and {result.card_path} (ONNX parity {result.parity_max_abs_diff:.1e})")
    if metrics:
        print(json.dumps(metrics, indent=2))


def _run_quantize(args: argparse.Namespace, argv: list[str]) -> None:
    from engine.errors import ModelError
    from engine.models import load_card

    from .quantize import QuantizeSettings, quantize_model

    try:
        data = args.data or Path("data") / load_card(args.model).task
        settings = QuantizeSettings(data=data, calibration_frames=args.calibration_frames,
                                    eval_frames=args.eval_frames, flicker_frames=args.flicker_frames,
                                    speed_repeats=args.speed_repeats,
                                    calibration_method=args.calibration_method, node_scope=args.node_scope,
                                    command="python -m training " + shlex.join(argv))
        result = quantize_model(args.model, settings)
    except (ModelError, FileNotFoundError, ValueError) as error:
        raise SystemExit(f"python -m training quantize: error: {error}") from None
    section = result.section
    kept = f"wrote {result.int8_path}" if result.int8_path else "int8 copy not kept"
    print(f"{kept}; {section['quality']['rule']}; CPU speed-up x{section['cpu_speedup']:.2f} "
          f"({section['speed']['size']}); card {args.model.with_suffix('.json')} updated")


def _run_postfilter(args: argparse.Namespace, argv: list[str]) -> None:
    from engine.errors import ModelError

    from .postfilter import set_region_flatten

    try:
        result = set_region_flatten(args.model, data=args.data if args.data.is_dir() else None,
                                    command="python -m training " + shlex.join(argv))
    except (ModelError, ValueError) as error:
        raise SystemExit(f"python -m training postfilter: error: {error}") from None
    scores = {key: value for key, value in result.card["metrics"].items() if key.startswith("psnr_to_teacher_db")}
    print(f"{result.card_path}: postprocess {json.dumps(result.card['postprocess'])}; {json.dumps(scores)}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    # `bootstrap` owns its options (see training/data/cartoonize/command.py); they pass through unparsed.
    commands.add_parser("bootstrap", help="build the training folders from Debian/PyPI sources", add_help=False)
    # so does `bootstrap-colorize` (training/data/colorize/command.py)
    commands.add_parser("bootstrap-colorize", help="build the line-art colorization shots (data/colorize)",
                        add_help=False)
    # and `bootstrap-distill` (training/data/cartoonize/distill_targets.py)
    commands.add_parser("bootstrap-distill", help="compute the teacher styles' targets and the clips' flows "
                        "(data/distill)", add_help=False)
    _add_train(commands)
    _add_export(commands)
    _add_train_colorize(commands)
    _add_export_colorize(commands)
    _add_quantize(commands)
    _add_postfilter(commands)
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in _PASS_THROUGH:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "bootstrap":
        from .data.cartoonize.command import main as bootstrap_main

        return bootstrap_main(rest)
    if args.command == "bootstrap-colorize":
        from .data.colorize.command import main as bootstrap_colorize_main

        return bootstrap_colorize_main(rest)
    if args.command == "bootstrap-distill":
        from .data.cartoonize.distill_targets import main as bootstrap_distill_main

        return bootstrap_distill_main(rest)
    if args.command in ("train", "train-colorize"):
        logging.getLogger(__name__).info("command: python -m training %s", shlex.join(argv))
    if args.command == "train":
        _run_train(args)
    elif args.command == "train-colorize":
        _run_train_colorize(args)
    elif args.command == "export-colorize":
        _run_export_colorize(args)
    elif args.command == "quantize":
        _run_quantize(args, argv)
    elif args.command == "postfilter":
        _run_postfilter(args, argv)
    else:
        _run_export(args)
    return 0
