"""Speed measurements: engine frames/s, raw ONNX Runtime and PyTorch eager frames/s, and the machine's matmul rate.

Every timing is the median of `repeats` runs after one warm-up run, on a fixed real frame resized to the size.
The machine may be shared (a training job on the same cores): the report prints the load average next to the numbers.
"""
from __future__ import annotations

import logging
import os
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "MatmulRate",
    "Timing",
    "machine_description",
    "measure_matmul_rate",
    "time_calls",
    "time_calls_interleaved",
    "engine_fps",
    "onnxruntime_fps",
    "torch_fps",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatmulRate:
    """Measured float32 matrix-multiply throughput in GFLOP/s (2 n^3 FLOPs per n x n product)."""

    torch_gflops: float | None
    numpy_gflops: float
    size: int

    @property
    def best_gflops(self) -> float:
        """The higher of the two: the machine's practical float32 peak for dense kernels."""
        return max(self.numpy_gflops, self.torch_gflops or 0.0)


@dataclass(frozen=True)
class Timing:
    """Median seconds per call over `repeats` calls."""

    seconds: float
    repeats: int

    @property
    def fps(self) -> float:
        """Calls (frames) per second."""
        return 1.0 / self.seconds if self.seconds > 0 else float("inf")


def machine_description() -> dict[str, str]:
    """CPU (model, cores, int8 instructions), load average and library versions, for the report header."""
    # the reader the int8 reports use; imported here because onnxruntime.quantization comes with it, which the
    # modules that import this one only for its timings do not need
    from training.quantize import cpu_description  # noqa: PLC0415

    info = {"cpu": cpu_description(), "python": platform.python_version()}
    try:
        info["load_average_1_5_15min"] = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        info["load_average_1_5_15min"] = "unknown"
    import onnxruntime

    info["onnxruntime"] = onnxruntime.__version__
    info["onnxruntime_providers"] = ", ".join(onnxruntime.get_available_providers())
    info["numpy"] = np.__version__
    try:
        import torch

        info["torch"] = (f"{torch.__version__} ({torch.get_num_threads()} threads, "
                         f"CUDA available: {torch.cuda.is_available()})")
    except ImportError:
        info["torch"] = "not installed"
    return info


def time_calls(fn: Callable[[], object], repeats: int) -> Timing:
    """Median wall time of `fn()` over `repeats` calls after one warm-up call."""
    return time_calls_interleaved({"": fn}, repeats)[""]


def time_calls_interleaved(fns: Mapping[str, Callable[[], object]], repeats: int) -> dict[str, Timing]:
    """Median wall time of each function over `repeats` calls after one warm-up call each, the functions taking
    turns call by call, so that a load spike on a shared machine slows every one of them rather than whichever ran
    at that moment."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {key: [] for key in fns}
    for _ in range(max(1, repeats)):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    return {key: Timing(float(np.median(t)), len(t)) for key, t in times.items()}


def measure_matmul_rate(size: int = 2048, repeats: int = 5) -> MatmulRate:
    """float32 n x n matmul GFLOP/s with numpy (BLAS) and torch (if installed)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    flops = 2.0 * size**3
    numpy_rate = flops / time_calls(lambda: a @ b, repeats).seconds / 1e9
    torch_rate = None
    try:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        torch_rate = flops / time_calls(lambda: torch.matmul(ta, tb), repeats).seconds / 1e9
    except ImportError:
        log.info("torch not installed: matmul rate from numpy only")
    return MatmulRate(torch_rate, numpy_rate, size)


def engine_fps(cartoonizer: object, frame: np.ndarray, repeats: int) -> Timing:
    """Per-frame time of `cartoonizer.process(frame)` (the full engine path: checks, padding, tiling, post-filter)."""
    return time_calls(lambda: cartoonizer.process(frame), repeats)  # type: ignore[attr-defined]


def _pad_to(x: np.ndarray, multiple: int) -> np.ndarray:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="reflect")
    return x


def _to_tensor(frame: np.ndarray, multiple: int) -> np.ndarray:
    x = frame.astype(np.float32).transpose(2, 0, 1)[None] / 127.5 - 1.0
    return np.ascontiguousarray(_pad_to(x, multiple))


def onnxruntime_fps(model_path: Path, frame: np.ndarray, repeats: int, *, multiple: int = 4) -> Timing:
    """Per-frame time of a bare ONNX Runtime CPU session on the whole (padded) frame: the runtime alone."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: _to_tensor(frame, multiple)}
    return time_calls(lambda: session.run(None, feed), repeats)


def torch_fps(module: object, frame: np.ndarray, repeats: int, *, multiple: int = 4) -> Timing:
    """Per-frame time of the PyTorch eager module (float32, inference mode, all cores) on the whole frame."""
    import torch

    x = torch.from_numpy(_to_tensor(frame, multiple))

    def call() -> None:
        with torch.inference_mode():
            module(x)  # type: ignore[operator]

    return time_calls(call, repeats)


@dataclass(frozen=True)
class SpeedRow:
    """One model at one frame size: MACs per frame and frames/s through each backend."""

    model: str
    height: int
    width: int
    macs: int
    mac_method: str
    engine: Timing | None
    onnxruntime: Timing | None
    torch: Timing | None

    def gflops(self, timing: Timing | None) -> float | None:
        """Achieved GFLOP/s (2 * MACs * frames/s) of a backend, None if not measured."""
        return None if timing is None else 2.0 * self.macs * timing.fps / 1e9
