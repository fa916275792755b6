"""int8 copies of shipped models for CPUs: ONNX Runtime's static quantization, measured against fp32.

``python -m training quantize engine/weights/cel.onnx`` calibrates ``onnxruntime.quantization.quantize_static``
(QDQ format, int8 weights per output channel, uint8 activations per tensor, percentile ranges by default) on the
training split's frames, scores the int8 output against the fp32 output on the held-out test split (never
calibrated on), times both side by side on this CPU, and records all of it as the card's ``int8`` section
(docs/MODEL_FORMAT.md). The file ``cel.int8.onnx`` is kept beside the model only when its quality held:

* cartoonize: mean PSNR of the int8 output against the fp32 output >= 40 dB, and no more flicker: E_short (the
  warping error of consecutive frames, training/metrics/warping.py) of the int8 output on the training clips' first
  frames at most 1.05 x fp32's. A per-frame PSNR of 42-52 dB hid an E_short 6-26 % higher on the held-out clips
  (benchmarks/cartoonize/DISTILL_REPORT.md run with int8): 8-bit steps that move with the content flicker;
* colorize: the benchmark's measure, PSNR against the true colour, within 0.2 dB of fp32 at every interval.

The engine then runs it on the CPU when it was also measured faster (``engine.models.Int8Variant``).

Only the trunk is quantized: the listed operators (convolutions included) that have a convolution both before and
after them, and for cartoonize only those of the generator's quarter-resolution stage (``TASK_NODE_SCOPE``): with
the whole trunk quantized the shipped cartoonizers flickered 1.15-1.56x as much as fp32 (E_short on the training
clips); with the quarter-resolution stage alone (about 70 % of the multiply-adds) `cel` measured 1.02x at a 1.55x
speed-up, and its residual blocks alone 1.01x at 1.41x. The first and last convolutions and everything outside
them stay in float. Measured on the shipped cartoonizers: those two convolutions see 3 channels at full
resolution, where ONNX Runtime's int8 convolution is slower than its fp32 one (cel_lite at 1280x720: stem
101 -> 190 ms, head 290 -> 480 ms, while the inner ones ran 2-4x faster), and the ends do exact arithmetic on
the input (the cartoonizers' atanh / tanh residual around the photo, the colorizer's mix of the reference
colours), where an 8-bit step shows directly in the output.
"""
from __future__ import annotations

import json
import logging
import os
import platform
import re
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from engine.frames import from_network, unit_to_uint8
from engine.models import INT8_SUFFIX, ModelCard, file_sha256, load_card, verify_model_file
from engine.runtime import session_options

from training.metrics.flow import flow_pairs
from training.metrics.warping import warping_error_from_pairs

from .metrics.psnr import psnr_uint8
from .quantize_data import CALIBRATION_CROP, COLORIZE_STYLE, Sample, cartoonize_feeds, clip_runs, samples

__all__ = ["QuantizeSettings", "QuantizeResult", "Timing", "quantize_model", "quantize_file", "float_ends",
           "time_side_by_side", "cpu_description", "DEFAULT_OP_TYPES", "TASK_OP_TYPES", "TASK_NODE_SCOPE",
           "CALIBRATION_METHODS"]

log = logging.getLogger(__name__)

#: operators quantized when they lie between convolutions (what these generators are made of)
DEFAULT_OP_TYPES = ("Conv", "LeakyRelu", "Relu", "Add", "Resize", "MaxPool", "AveragePool", "Concat")
#: per task: colorize quantizes convolutions only, because its other operators (feature concatenations and sums)
#: feed the attention that matches the frame to its references: with them quantized lcmftn fell 9.3 dB against
#: the true colour, with convolutions only it stayed within 0.03 dB
TASK_OP_TYPES = {"cartoonize": DEFAULT_OP_TYPES, "colorize": ("Conv",)}
#: per task: a regular expression of the node names that may be quantized (None: the whole trunk). Cartoonize: the
#: generator's quarter-resolution stage (training/nets/generator.py: down2, conv2, the residual blocks, bottleneck),
#: where an 8-bit error is spread by two upsamplings instead of landing on pixels that flicker
TASK_NODE_SCOPE: dict[str, str | None] = {"cartoonize": r"^/(down2|conv2|blocks|bottleneck)/", "colorize": None}
#: calibration methods of ``quantize_static`` by the names the CLI takes
CALIBRATION_METHODS = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
                       "percentile": CalibrationMethod.Percentile}
#: cartoonize: least mean PSNR (dB) of the int8 output against the fp32 output
CARTOONIZE_TARGET_DB = 40.0
#: cartoonize: largest ratio of the int8 output's E_short to the fp32 output's on the same frames
CARTOONIZE_FLICKER_RATIO = 1.05
#: colorize: largest change (dB) of the benchmark's PSNR against the true colour, at any interval
COLORIZE_TOLERANCE_DB = 0.2


@dataclass(frozen=True)
class QuantizeSettings:
    """What to calibrate on, what to measure, and how.

    ``calibration_frames``: samples spread over the train split (photos; colorize: target + references);
    ``eval_frames``: the same for the test split, 0 for all; ``flicker_frames``: consecutive frames of each training
    clip the cartoonize flicker check runs on. The calibrator keeps every sample's activations in memory (lcmftn:
    about 0.2 GB per 192 px sample), which bounds ``calibration_frames``. ``speed_size``: (height, width) of the
    side-by-side timing (colorize runs at the card's ``max_side`` cap of that size, with two references, as the
    engine does).
    """

    data: Path
    calibration_frames: int = 32
    eval_frames: int = 0
    flicker_frames: int = 12
    op_types: tuple[str, ...] | None = None  # None: TASK_OP_TYPES of the model's task
    node_scope: str | None = None  # regex of quantizable node names; None: TASK_NODE_SCOPE of the task; "": all
    calibration_method: str = "percentile"
    speed_size: tuple[int, int] = (720, 1280)
    speed_repeats: int = 7
    command: str = ""


@dataclass(frozen=True)
class QuantizeResult:
    """The card's new ``int8`` section and the int8 file (``None`` when its quality failed and it was removed)."""

    section: dict[str, Any]
    int8_path: Path | None


class _Reader(CalibrationDataReader):
    """Feeds the calibration samples to ``quantize_static`` one at a time (only one is in memory)."""

    def __init__(self, feeds: Iterable[dict[str, np.ndarray]]) -> None:
        self._feeds: Iterator[dict[str, np.ndarray]] = iter(feeds)
        self.count = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        feed = next(self._feeds, None)
        if feed is not None:
            self.count += 1
        return feed


def float_ends(model: onnx.ModelProto, op_types: Sequence[str]) -> list[str]:
    """Names of the nodes of ``op_types`` without a convolution both before and after them: kept in float."""
    producer = {out: node for node in model.graph.node for out in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def reaches_conv(node: onnx.NodeProto, upstream: bool) -> bool:
        seen: set[int] = set()
        todo = [node]
        while todo:
            current = todo.pop()
            nxt = ([producer[i] for i in current.input if i in producer] if upstream else
                   [c for out in current.output for c in consumers.get(out, [])])
            for other in nxt:
                if id(other) in seen:
                    continue
                if other.op_type == "Conv":
                    return True
                seen.add(id(other))
                todo.append(other)
        return False

    return [node.name for node in model.graph.node
            if node.op_type in op_types
            and not (reaches_conv(node, upstream=True) and reaches_conv(node, upstream=False))]


def quantize_file(src: Path, dst: Path, calibration: Iterable[dict[str, np.ndarray]],
                  op_types: Sequence[str] = DEFAULT_OP_TYPES, method: str = "percentile",
                  node_scope: str | None = None) -> dict[str, Any]:
    """Write the QDQ int8 copy of ``src`` to ``dst``, calibrated on ``calibration`` feeds; returns what was done.

    ``node_scope``: a regular expression; only trunk nodes whose name it matches (``re.search``) are quantized.

    ``method``: how activation ranges come from the calibration (a key of :data:`CALIBRATION_METHODS`): the
    extremes seen (``minmax``), or ranges that clip rare outliers (``entropy``, ``percentile``: 99.999 %, the
    default: on the shipped cartoonizers 2-4 dB closer to fp32 than minmax, e.g. comic 38.1 -> 42.1 dB).

    Raises:
        ValueError: no calibration feeds, or an unknown method.
    """
    if method not in CALIBRATION_METHODS:
        raise ValueError(f"unknown calibration method {method!r}; use one of {', '.join(CALIBRATION_METHODS)}")
    with tempfile.TemporaryDirectory(prefix="toonflow-quantize-") as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        # shape inference and ORT's graph optimisations first, as ONNX Runtime recommends before quantizing
        quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
        graph = onnx.load(str(prepared))
        kept_float = float_ends(graph, op_types)
        if node_scope:
            kept_float += [node.name for node in graph.graph.node if node.op_type in op_types
                           and node.name not in kept_float and not re.search(node_scope, node.name)]
        reader = _Reader(calibration)
        quantize_static(str(prepared), str(dst), reader, quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=list(op_types), nodes_to_exclude=kept_float,
                        calibrate_method=CALIBRATION_METHODS[method])
    if reader.count == 0:
        dst.unlink(missing_ok=True)
        raise ValueError(f"{src}: no calibration frames were read; nothing to calibrate on")
    return {
        "tool": f"onnxruntime.quantization.quantize_static (onnxruntime {ort.__version__}), after quant_pre_process",
        "format": "QDQ",
        "weights": "int8, symmetric, per output channel",
        "activations": f"uint8, per tensor, {method} calibration",
        "op_types": list(op_types),
        "node_scope": node_scope or None,
        "kept_float": kept_float,
        "calibration_samples": reader.count,
    }


def _session(path: Path) -> ort.InferenceSession:
    """A CPU session with the engine's own settings, so the timings are what the engine gets."""
    return ort.InferenceSession(str(path), sess_options=session_options(), providers=["CPUExecutionProvider"])


def _as_uint8(out: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The first output item as the engine's uint8 RGB, without the padding."""
    return unit_to_uint8(from_network(out[0, :, :size[0], :size[1]]))


def _score(card: ModelCard, fp32: ort.InferenceSession, int8: ort.InferenceSession, held_out: Iterable[Sample]
           ) -> dict[str, Any]:
    names, vs_fp32 = [], []
    vs_truth: dict[int, dict[str, list[float]]] = {}
    for sample in held_out:
        a = _as_uint8(fp32.run([card.output_name], sample.feeds)[0], sample.size)
        b = _as_uint8(int8.run([card.output_name], sample.feeds)[0], sample.size)
        names.append(sample.label)
        vs_fp32.append(psnr_uint8(a, b))
        if sample.truth is not None:
            rows = vs_truth.setdefault(sample.interval, {"fp32": [], "int8": []})
            rows["fp32"].append(psnr_uint8(sample.truth, a))
            rows["int8"].append(psnr_uint8(sample.truth, b))
    if not names:
        raise ValueError(f"{card.onnx_path}: no held-out frames to score the int8 copy on")
    scores: dict[str, Any] = {
        "psnr_vs_fp32_db": {"mean": float(np.mean(vs_fp32)), "min": float(np.min(vs_fp32))},
        "frames": len(names),
        "frame_names": names,
    }
    if vs_truth:
        scores["psnr_vs_truth_db"] = {
            f"interval_{d}": {"fp32": float(np.mean(r["fp32"])), "int8": float(np.mean(r["int8"])),
                              "int8_minus_fp32": float(np.mean(r["int8"]) - np.mean(r["fp32"])),
                              "pairs": len(r["fp32"])}
            for d, r in sorted(vs_truth.items())}
    return scores


def _flicker(card: ModelCard, fp32: ort.InferenceSession, int8: ort.InferenceSession,
             runs: Sequence[tuple[str, Sequence[np.ndarray]]]) -> dict[str, Any]:
    """E_short of the fp32 and int8 outputs on each run of consecutive frames (one source flow per run, shared by
    both), and the ratio of their means."""
    per_clip: dict[str, dict[str, float]] = {}
    for name, frames in runs:
        outputs: dict[str, list[np.ndarray]] = {"fp32": [], "int8": []}
        for rgb in frames:
            feeds = cartoonize_feeds(card, rgb)
            for key, session in (("fp32", fp32), ("int8", int8)):
                outputs[key].append(_as_uint8(session.run([card.output_name], feeds)[0], rgb.shape[:2]))
        pairs = flow_pairs(frames)
        per_clip[name] = {key: warping_error_from_pairs(out, pairs) for key, out in outputs.items()}
    fp32_mean = float(np.mean([c["fp32"] for c in per_clip.values()]))
    int8_mean = float(np.mean([c["int8"] for c in per_clip.values()]))
    return {"fp32": fp32_mean, "int8": int8_mean, "int8_over_fp32": int8_mean / fp32_mean,
            "frames_per_clip": max(len(frames) for _, frames in runs), "clips": per_clip}


def _verdict(card: ModelCard, scores: dict[str, Any]) -> tuple[bool, str]:
    """(quality held, the rule and the numbers it was judged on)."""
    if card.task == "cartoonize":
        mean = scores["psnr_vs_fp32_db"]["mean"]
        ratio = scores["e_short"]["int8_over_fp32"]
        return mean >= CARTOONIZE_TARGET_DB and ratio <= CARTOONIZE_FLICKER_RATIO, (
            f"mean PSNR of int8 against fp32 {mean:.2f} dB (target >= {CARTOONIZE_TARGET_DB:g} dB); "
            f"E_short of int8 {ratio:.3f} x fp32's (target <= {CARTOONIZE_FLICKER_RATIO:g})")
    diffs = {k: v["int8_minus_fp32"] for k, v in scores["psnr_vs_truth_db"].items()}
    worst = max(diffs.values(), key=abs)
    return abs(worst) <= COLORIZE_TOLERANCE_DB, (
        f"PSNR against the true colour moves by at most {abs(worst):.3f} dB from fp32 "
        f"({', '.join(f'{k} {v:+.3f}' for k, v in diffs.items())}; target within {COLORIZE_TOLERANCE_DB:g} dB)")


def _resized(feeds: dict[str, np.ndarray], h: int, w: int, batch: dict[str, int]) -> dict[str, np.ndarray]:
    """``feeds`` brought to ``h`` x ``w`` (and to ``batch[name]`` items by repetition) for timing."""
    out = {}
    for name, x in feeds.items():
        n, c = x.shape[:2]
        planes = [cv2.resize(x[i, j], (w, h), interpolation=cv2.INTER_LINEAR) for i in range(n) for j in range(c)]
        y = np.stack(planes).reshape(n, c, h, w)
        out[name] = np.ascontiguousarray(np.repeat(y[:1], batch.get(name, n), axis=0), dtype=np.float32)
    return out


@dataclass(frozen=True)
class Timing:
    """Seconds per run of one session: ``best`` and ``median`` wall time, and ``cpu`` (median process CPU time,
    all threads, which a busy neighbour does not inflate)."""

    best: float
    median: float
    cpu: float

    def as_dict(self) -> dict[str, float]:
        return {"best_s": round(self.best, 4), "median_s": round(self.median, 4), "cpu_s": round(self.cpu, 4)}


def time_side_by_side(sessions: dict[str, ort.InferenceSession], feeds: dict[str, np.ndarray], repeats: int
                      ) -> dict[str, Timing]:
    """Time each session on ``feeds``, interleaved run by run so that a change of load hits all of them alike.

    On a shared machine the median wall time also measures the neighbours; the best of several interleaved runs
    and the CPU time come closest to the machine's own speed, so the card's speed-up is the smaller of those two
    ratios.
    """
    for session in sessions.values():
        session.run(None, feeds)  # warm-up: first-run allocations and kernel choices
    wall: dict[str, list[float]] = {key: [] for key in sessions}
    cpu: dict[str, list[float]] = {key: [] for key in sessions}
    for _ in range(repeats):
        for key, session in sessions.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            session.run(None, feeds)
            wall[key].append(time.perf_counter() - start)
            cpu[key].append(time.process_time() - start_cpu)
    return {key: Timing(min(wall[key]), statistics.median(wall[key]), statistics.median(cpu[key]))
            for key in sessions}


def _speed_feeds(card: ModelCard, sample: Sample, size: tuple[int, int]) -> tuple[dict[str, np.ndarray], str]:
    h, w = size
    if card.task == "colorize" and card.max_side and max(h, w) > card.max_side:
        scale = card.max_side / max(h, w)
        h, w = max(1, round(h * scale)), max(1, round(w * scale))
    m = card.size_multiple
    h, w = h + (-h) % m, w + (-w) % m
    batch = {"reference_sketch": 2, "reference_color": 2} if card.task == "colorize" else {}
    what = f"{w}x{h}" if card.task == "cartoonize" else \
        f"{w}x{h} network input with 2 references (a {size[1]}x{size[0]} frame at max_side {card.max_side})"
    return _resized(sample.feeds, h, w, batch), what


def cpu_description() -> str:
    """CPU model, logical cores and whether it has the int8 dot-product instructions ORT's int8 kernels use."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
    except OSError:
        pass  # not Linux: the model name from platform is all there is
    int8_flags = [f for f in ("avx512_vnni", "avx_vnni", "amx_int8") if f in flags]
    return (f"{model}, {os.cpu_count()} logical cores"
            + (f", {' '.join(int8_flags)}" if int8_flags else ", no VNNI/AMX" if flags else ""))


def _write_section(card: ModelCard, section: dict[str, Any]) -> None:
    data = json.loads(card.card_path.read_text(encoding="utf-8"))
    data["int8"] = section
    card.card_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def quantize_model(onnx_path: Path, settings: QuantizeSettings) -> QuantizeResult:
    """Quantize a model, measure it, write ``NAME.int8.onnx`` (if its quality held) and the card's int8 section.

    Raises:
        ModelError: the model or its card is missing or corrupt.
        FileNotFoundError: the data split is missing (names the bootstrap command).
    """
    card = load_card(onnx_path)
    verify_model_file(card)
    int8_path = card.onnx_path.with_name(card.onnx_path.stem + INT8_SUFFIX)
    calibration = (s.feeds for s in samples(card, settings.data, "train", settings.calibration_frames,
                                            crop=CALIBRATION_CROP))
    op_types = settings.op_types or TASK_OP_TYPES[card.task]
    scope = TASK_NODE_SCOPE[card.task] if settings.node_scope is None else settings.node_scope
    done = quantize_file(card.onnx_path, int8_path, calibration, op_types, settings.calibration_method, scope)
    log.info("%s: quantized on %d calibration samples", int8_path, done["calibration_samples"])
    fp32, int8 = _session(card.onnx_path), _session(int8_path)
    held_out = list(samples(card, settings.data, "test", settings.eval_frames))
    scores = _score(card, fp32, int8, held_out)
    if card.task == "cartoonize":
        scores["e_short"] = {"clips_from": f"{settings.data}/videos/train",
                             **_flicker(card, fp32, int8, clip_runs(settings.data, "train", settings.flicker_frames))}
    held, rule = _verdict(card, scores)
    feeds, size = _speed_feeds(card, held_out[0], settings.speed_size)
    timing = time_side_by_side({"fp32": fp32, "int8": int8}, feeds, settings.speed_repeats)
    wall_ratio = timing["fp32"].best / timing["int8"].best
    cpu_ratio = timing["fp32"].cpu / timing["int8"].cpu
    speedup = min(wall_ratio, cpu_ratio)
    log.info("%s: %s; %s fp32 %.3f s, int8 %.3f s (best wall x%.2f, CPU time x%.2f)", card.name, rule, size,
             timing["fp32"].best, timing["int8"].best, wall_ratio, cpu_ratio)
    source = (f"{settings.data}/photos/{{split}}" if card.task == "cartoonize" else
              f"{settings.data}/{{split}}/*/ (line art {COLORIZE_STYLE}, the colour frames as truth)")
    section: dict[str, Any] = {
        "file": int8_path.name if held else None,
        "sha256": file_sha256(int8_path) if held else "",
        "quality_held": held,
        "cpu_speedup": round(speedup, 3),
        "quality": {"rule": rule, "split": source.format(split="test"), **scores},
        "speed": {"size": size, "fp32": timing["fp32"].as_dict(), "int8": timing["int8"].as_dict(),
                  "runs": f"{settings.speed_repeats} interleaved runs after a warm-up",
                  "speedup_best_wall": round(wall_ratio, 3), "speedup_cpu_time": round(cpu_ratio, 3),
                  "cpu_speedup_is": "the smaller of the two: int8 counts as faster only when both say so",
                  "cpu": cpu_description(), "threads": "the engine's session options (engine/runtime.py)",
                  "load_average_1min": round(os.getloadavg()[0], 2)},
        "calibration": {"source": source.format(split="train"), "samples": done["calibration_samples"],
                        "crop": f"{CALIBRATION_CROP} x {CALIBRATION_CROP} around each frame's centre"},
        "quantization": done,
        "command": settings.command,
    }
    if not held:
        int8_path.unlink()
        section["why_not_shipped"] = f"quality target not met: {rule}"
        log.warning("%s: int8 copy not kept: %s", card.name, rule)
    _write_section(card, section)
    return QuantizeResult(section=section, int8_path=int8_path if held else None)
