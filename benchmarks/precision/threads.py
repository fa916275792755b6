"""ONNX Runtime's thread settings side by side, on the network alone and beside a busy neighbour thread.

The engine's frame loop does more than the network: decoding, optical flow for the stabiliser, the post-filter
and encoding, and a pipelined engine runs them at the same time as the network. So each setting is timed twice:
alone (interleaved run by run with the other settings) and while one neighbour thread blurs 1280x720 frames with
OpenCV on a single thread (it releases the GIL, like PyAV and the flow), where the neighbour's frames per second
show what the setting leaves to the rest of the frame loop.
"""
from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from engine.runtime import session_options

from .speed import time_interleaved

__all__ = ["ThreadRow", "SETTINGS", "measure_threads"]

log = logging.getLogger(__name__)


def _engine() -> ort.SessionOptions:
    return session_options()


def _spinning() -> ort.SessionOptions:
    opts = session_options()
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
    return opts


def _one_thread() -> ort.SessionOptions:
    opts = session_options()
    opts.intra_op_num_threads = 1
    return opts


def _parallel() -> ort.SessionOptions:
    opts = session_options()
    opts.execution_mode = ort.ExecutionMode.ORT_PARALLEL
    opts.inter_op_num_threads = 2
    return opts


def _defaults() -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return opts


#: label -> session options; the first is what engine/runtime.py uses
SETTINGS: dict[str, Callable[[], ort.SessionOptions]] = {
    "engine: intra-op 2 (cores), sequential, inter-op 1, no spinning": _engine,
    "the same with spinning": _spinning,
    "intra-op 1": _one_thread,
    "parallel executor, inter-op 2": _parallel,
    "onnxruntime defaults (sequential, spinning, intra-op = cores)": _defaults,
}


@dataclass(frozen=True)
class ThreadRow:
    """One setting: best and median seconds per run alone; median beside the neighbour, and the neighbour's rate."""

    label: str
    alone: tuple[float, float]
    beside: float
    neighbour_fps: float


def _beside_neighbour(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median seconds per run, neighbour frames per second) while a one-thread OpenCV neighbour works."""
    frame = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    stop, done = threading.Event(), [0]

    def neighbour() -> None:
        while not stop.is_set():
            cv2.GaussianBlur(frame, (0, 0), 3.0)
            done[0] += 1

    run()
    worker = threading.Thread(target=neighbour, daemon=True)
    start = time.perf_counter()
    worker.start()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    stop.set()
    worker.join()
    return statistics.median(times), done[0] / (time.perf_counter() - start)


def measure_threads(model: Path, size: tuple[int, int], repeats: int) -> list[ThreadRow]:
    """Every setting of :data:`SETTINGS` on ``model`` (a cartoonize ONNX file) at ``(height, width)``."""
    h, w = size
    x = np.random.default_rng(1).uniform(-1, 1, (1, 3, h, w)).astype(np.float32)
    sessions = {label: ort.InferenceSession(str(model), sess_options=make(), providers=["CPUExecutionProvider"])
                for label, make in SETTINGS.items()}
    calls = {label: (lambda s=s: s.run(None, {"image": x})) for label, s in sessions.items()}
    alone = time_interleaved(calls, repeats)
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        rows = []
        for label, call in calls.items():
            beside, fps = _beside_neighbour(call, repeats)
            rows.append(ThreadRow(label, alone[label], beside, fps))
            log.info("%s %s: alone %.3f s, beside a neighbour %.3f s (neighbour %.1f fps)", model.name, label,
                     alone[label][0], beside, fps)
    finally:
        cv2.setNumThreads(previous)
    return rows
