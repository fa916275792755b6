"""Cartoonization benchmark CLI: temporal coherence, Frechet distances and speed, side by side in one run.

    python -m benchmarks.cartoonize.run --models pmc=PATH.onnx whitebox=PATH.onnx \
        [--extra-model benchmarks/cartoonize/models/animegan.onnx ...] \
        --data data/cartoonize --out benchmarks/cartoonize [--torch-checkpoint pmc=PATH.safetensors ...] [--quick]

Every model (from --models or --extra-model, named by its card) gets its rows: warping error, Frechet distances,
speed, and a row of frames in the sheet.

Writes OUT/REPORT.md, OUT/sheet.png and the plots. See benchmarks/README.md for what each number means.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import cv2

from benchmarks.cli_options import (add_run_switches, add_speed_options, apply_speed_and_quick, command_line,
                                    named_paths, setup_logging)
from engine.models import load_card
from training.metrics.flow import DIS_PRESETS

from . import speed
from .data import load_clips, load_images, load_photo_set
from .flops import count_macs_onnx, count_macs_torch
from .methods import Method, make_cartoonizer, model_method, source_method, stylization_method
from .plots import plot_frechet, plot_per_pair, plot_speed, plot_warping
from .quality import measure_frechet
from .report import write_report
from .results import BenchmarkResults
from .sheet import write_sheet
from .targets import evaluate_targets
from .temporal import measure_temporal
from .torch_model import load_generator, parity_with_onnx

__all__ = ["BenchmarkConfig", "run_benchmark", "main"]

log = logging.getLogger(__name__)


@dataclass
class BenchmarkConfig:
    """Everything a run needs; `quick()` shrinks it to a smoke test."""

    data: Path
    out: Path
    models: dict[str, Path] = field(default_factory=dict)
    torch_checkpoints: dict[str, Path] = field(default_factory=dict)
    stabilise: list[str] = field(default_factory=lambda: ["pmc"])
    clips: int = 3
    frames: int = 48
    width: int = 640
    fd_samples: int = 100
    fd_side: int = 384
    fd_layer: str = "relu5_4"
    fd_size: int = 224
    fd_batch: int = 16
    fd_frame_stride: int = 10
    speed_sizes: list[tuple[int, int]] = field(default_factory=lambda: [(256, 256), (720, 1280)])
    speed_repeats: int = 3
    matmul_size: int = 2048
    flow_preset: str = "medium"
    skip_frechet: bool = False
    skip_speed: bool = False

    def quick(self) -> "BenchmarkConfig":
        """Tiny sizes for a smoke test (seconds, not minutes)."""
        self.clips, self.frames, self.width = 2, 4, 64
        self.fd_samples, self.fd_side, self.fd_size, self.fd_batch, self.fd_frame_stride = 8, 64, 64, 8, 3
        self.speed_sizes, self.speed_repeats, self.matmul_size = [(64, 64), (72, 128)], 1, 256
        return self


def _build_methods(config: BenchmarkConfig, factory: Callable[..., Any]) -> list[Method]:
    methods = [source_method(), stylization_method()]
    order = sorted(config.models, key=lambda n: {"whitebox": 0, "pmc": 1}.get(n, 2))
    for name in order:
        methods.append(model_method(name, config.models[name], factory=factory))
    for name in config.stabilise:
        if name in config.models:
            methods.append(model_method(name, config.models[name], temporal=True, factory=factory))
    return methods


def _gpu_note(config: BenchmarkConfig, factory: Callable[..., Any], frame: Any) -> str:
    import onnxruntime as ort

    providers = ort.get_available_providers()
    if "CUDAExecutionProvider" not in providers or not config.models:
        return (f"not measured: this machine has no GPU (ONNX Runtime providers: {', '.join(providers)}). "
                "Run the benchmark on a GPU machine with onnxruntime-gpu to fill this in.")
    name = "pmc" if "pmc" in config.models else next(iter(config.models))
    engine = factory(config.models[name], temporal=False, device="gpu")
    big = cv2.resize(frame, (1920, 1080), interpolation=cv2.INTER_LINEAR)
    timing = speed.engine_fps(engine, big, config.speed_repeats)
    return f"`{name}` engine on CUDA (precision as the engine chooses from the card): {timing.fps:.2f} frames/s"


def _speed_section(config: BenchmarkConfig, results: BenchmarkResults, frame: Any,
                   factory: Callable[..., Any]) -> None:
    results.matmul = speed.measure_matmul_rate(config.matmul_size)
    torch_modules: dict[str, Any] = {}
    for name in config.models:
        checkpoint = config.torch_checkpoints.get(name)
        if checkpoint is None:
            results.torch_notes[name] = "not measured (no `--torch-checkpoint` given)"
            continue
        try:
            module, note = load_generator(checkpoint, config.models[name].with_suffix(".json"))
        except (ImportError, ValueError, RuntimeError, OSError) as exc:
            results.torch_notes[name] = f"not measured: could not load {checkpoint}: {exc}"
            log.warning("PyTorch %s: %s", name, exc)
            continue
        torch_modules[name] = module
        results.torch_notes[name] = f"{checkpoint} loaded with {note}"
        results.torch_parity[name] = parity_with_onnx(module, config.models[name])
        h, w = config.speed_sizes[0]
        results.torch_macs[name] = count_macs_torch(module, h, w).macs
    for name, path in config.models.items():
        engine = factory(path, temporal=False)
        multiple = load_card(path).size_multiple
        for h, w in config.speed_sizes:
            sized = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
            macs = count_macs_onnx(path, h + (-h) % multiple, w + (-w) % multiple)
            row = speed.SpeedRow(
                name, h, w, macs.macs, macs.method,
                speed.engine_fps(engine, sized, config.speed_repeats),
                speed.onnxruntime_fps(path, sized, config.speed_repeats),
                speed.torch_fps(torch_modules[name], sized, config.speed_repeats) if name in torch_modules else None,
            )
            results.speed_rows.append(row)
            log.info("speed %s %dx%d: engine %.2f fps, ORT %.2f fps, torch %s fps", name, w, h,
                     row.engine.fps, row.onnxruntime.fps, f"{row.torch.fps:.2f}" if row.torch else "n/a")
    results.gpu_note = _gpu_note(config, factory, frame)


def run_benchmark(config: BenchmarkConfig, *, command: str = "", factory: Callable[..., Any] = make_cartoonizer
                  ) -> Path:
    """Run all sections, write the report, plots and sheet under `config.out`; returns the REPORT.md path."""
    start = time.perf_counter()
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    config.out.mkdir(parents=True, exist_ok=True)
    methods = _build_methods(config, factory)
    sections: dict[str, float] = {}

    t0 = time.perf_counter()
    clips = load_clips(config.data / "videos" / "test", max_clips=config.clips, max_frames=config.frames,
                       width=config.width)
    if len(clips) < 2:
        log.warning("only %d held-out clip(s) found; the issue asks for at least two", len(clips))
    temporal = measure_temporal(clips, methods, preset=config.flow_preset)
    sections["temporal"] = time.perf_counter() - t0

    quality = None
    if not config.skip_frechet:
        t0 = time.perf_counter()
        photos, photo_note = load_photo_set(config.data / "photos" / "test", config.data / "videos" / "test",
                                            max_count=config.fd_samples, max_side=config.fd_side,
                                            frame_stride=config.fd_frame_stride)
        cartoons = load_images(config.data / "cartoons" / "test", max_count=config.fd_samples,
                               max_side=config.fd_side)
        quality = measure_frechet(photos, cartoons, methods, layer=config.fd_layer, size=config.fd_size,
                                  batch_size=config.fd_batch)
        quality.photo_description = photo_note
        sections["frechet"] = time.perf_counter() - t0

    settings = {k: v for k, v in asdict(config).items() if k not in {"models", "torch_checkpoints", "data", "out"}}
    settings["data"] = str(config.data)
    results = BenchmarkResults(
        command=command or "run_benchmark()",
        settings=settings,
        machine=speed.machine_description(),
        methods=[(m.key, m.label) for m in methods],
        models={k: str(v) for k, v in config.models.items()},
        temporal=temporal,
        quality=quality,
        started=started,
    )
    if not config.skip_speed:
        t0 = time.perf_counter()
        _speed_section(config, results, clips[0].frames[0], factory)
        sections["speed"] = time.perf_counter() - t0
    results.section_seconds = sections
    results.total_seconds = time.perf_counter() - start

    plot_warping(results, config.out / "warping.png")
    plot_per_pair(results, config.out / "warping_per_pair.png")
    if quality is not None:
        plot_frechet(results, config.out / "frechet.png")
    if results.speed_rows:
        plot_speed(results, config.out / "speed.png")
    write_sheet(results, config.out / "sheet.png")
    targets = evaluate_targets(results)
    return write_report(results, targets, config.out / "REPORT.md")


def _extra_models(paths: Sequence[Path], models: dict[str, Path]) -> dict[str, Path]:
    """`models` plus each extra ONNX file under the name its model card gives."""
    from engine.errors import ModelError

    out = dict(models)
    for path in paths:
        try:
            name = load_card(path).name
        except ModelError as exc:
            raise SystemExit(f"--extra-model: {exc}") from None
        if name in out:
            raise SystemExit(f"--extra-model {path}: a model named {name!r} is already in the run ({out[name]})")
        out[name] = Path(path)
    return out


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.cartoonize.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="*", default=[], metavar="NAME=PATH.onnx",
                   help="models to compare (ONNX with its JSON card beside it); names pmc / whitebox get the targets")
    p.add_argument("--extra-model", action="append", default=[], type=Path, metavar="PATH.onnx",
                   help="one more model (ONNX + card; named by its card) to add as rows; repeatable")
    p.add_argument("--data", type=Path, default=Path("data/cartoonize"), help="bootstrap data folder")
    p.add_argument("--out", type=Path, default=Path("benchmarks/cartoonize"), help="where REPORT.md and PNGs go")
    p.add_argument("--torch-checkpoint", nargs="*", default=[], metavar="NAME=PATH.safetensors",
                   help="generator checkpoints for the PyTorch eager speed column")
    p.add_argument("--stabilise", nargs="*", default=["pmc"], help="models also run with the temporal stabiliser")
    p.add_argument("--clips", type=int, default=3, help="held-out clips (first N by name, at least 2)")
    p.add_argument("--frames", type=int, default=48, help="frames per clip (from the first)")
    p.add_argument("--width", type=int, default=640, help="maximum clip width (wider clips are shrunk, aspect kept)")
    p.add_argument("--fd-samples", type=int, default=100, help="photos and cartoons per Frechet set")
    p.add_argument("--fd-side", type=int, default=384, help="longest side of the photos fed to each method")
    p.add_argument("--fd-layer", default="relu5_4", help="VGG19 layer for the Frechet features")
    p.add_argument("--fd-size", type=int, default=224, help="feature input size (square)")
    p.add_argument("--fd-frame-stride", type=int, default=10,
                   help="add every Nth frame of the held-out clips to the photo set (0: photos/test only)")
    add_speed_options(p)
    p.add_argument("--flow-preset", choices=sorted(DIS_PRESETS), default="medium")
    p.add_argument("--skip-frechet", action="store_true")
    add_run_switches(p, quick_help="smoke test: 4 tiny frames per clip, tiny sets and sizes")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    config = BenchmarkConfig(
        data=args.data, out=args.out,
        models=_extra_models(args.extra_model, named_paths(args.models, "--models")),
        torch_checkpoints=named_paths(args.torch_checkpoint, "--torch-checkpoint"),
        stabilise=args.stabilise, clips=args.clips, frames=args.frames, width=args.width,
        fd_samples=args.fd_samples, fd_side=args.fd_side, fd_layer=args.fd_layer, fd_size=args.fd_size,
        fd_frame_stride=args.fd_frame_stride,
        speed_repeats=args.speed_repeats, flow_preset=args.flow_preset,
        skip_frechet=args.skip_frechet, skip_speed=args.skip_speed,
    )
    report = run_benchmark(apply_speed_and_quick(config, args), command=command_line(parser.prog, argv))
    print(f"wrote {report}")
    print(report.read_text(encoding="utf-8").split("## 1.")[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
