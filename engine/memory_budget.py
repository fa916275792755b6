"""Tile sizes from a memory budget (``--max-memory``): how large a tile the network may see so that a frame's peak
resident memory stays under the budget.

Peak memory of cartoonizing one frame = the process's fixed share (libraries, model weights) + full-frame buffers
(the frame, its float copy, the tiles' blend, the stabiliser's state) + the network's activations for one tile. The
activations are estimated from the ONNX graph itself (shape inference on a probe tile: the largest sum of one
node's input and output tensors per input pixel) times a factor for tensors that stay alive across nodes (skip
connections) and allocator slack, measured on the shipped models: docs/PERFORMANCE.md, "Memory".
"""

from __future__ import annotations

import functools
import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import shape_inference

from .errors import SettingsError

__all__ = ["FIXED_BYTES", "network_bytes_per_pixel", "frame_bytes", "tile_for_budget", "peak_resident_bytes"]

#: the process before any frame: Python, numpy, OpenCV, PyAV, ONNX Runtime and a model's weights (measured ~150 MB)
FIXED_BYTES = 200 * 2**20
#: full-frame buffers per pixel: uint8 frame in and out, float CHW input, float blend and weights, 8-bit rounding
_FRAME_BYTES_PER_PIXEL = 56
#: what the stabiliser keeps and computes per pixel: float previous output, flows both ways, mask and its blur, the
#: edge guard's 8-bit gray output
_STABILISER_BYTES_PER_PIXEL = 45
#: measured peak activations over the graph estimate (the arena-less CPU allocator; skip tensors stay alive)
_LIVE_FACTOR = 1.5
_PROBE = 256
#: the share of the budget the estimate may fill: the rest is headroom for the allocator and for CPUs whose kernels
#: take more scratch memory (the 2560x1440 test run at 900 MB peaks at 665-754 MB filling all of it, 551-592 at 0.8)
_PLANNED_SHARE = 0.8


@functools.lru_cache(maxsize=16)
def network_bytes_per_pixel(onnx_path: Path) -> float:
    """Estimated activation bytes per input pixel of a fully convolutional image model (cached per file)."""
    model = onnx.load(str(onnx_path), load_external_data=False)
    for tensor in model.graph.input:
        dims = tensor.type.tensor_type.shape.dim
        if len(dims) == 4:
            dims[0].dim_value, dims[2].dim_value, dims[3].dim_value = 1, _PROBE, _PROBE
    model = shape_inference.infer_shapes(model)
    sizes: dict[str, int] = {}
    for info in (*model.graph.value_info, *model.graph.input, *model.graph.output):
        dims = [d.dim_value for d in info.type.tensor_type.shape.dim]
        if dims and all(d > 0 for d in dims):
            sizes[info.name] = int(np.prod(dims)) * 4
    weights = {init.name for init in model.graph.initializer}
    largest = max((sum(sizes.get(name, 0) for name in (*node.input, *node.output) if name not in weights)
                   for node in model.graph.node), default=0)
    return _LIVE_FACTOR * largest / (_PROBE * _PROBE)


def frame_bytes(width: int, height: int, *, temporal: bool) -> int:
    """Estimated full-frame buffers of cartoonizing one ``width`` x ``height`` frame."""
    per_pixel = _FRAME_BYTES_PER_PIXEL + (_STABILISER_BYTES_PER_PIXEL if temporal else 0)
    return per_pixel * width * height


def tile_for_budget(budget_bytes: int, width: int, height: int, *, network_per_pixel: float, temporal: bool,
                    multiple: int, minimum: int) -> int:
    """The largest square tile side (a multiple of ``multiple``, at least ``minimum``) that keeps the estimated
    peak of a ``width`` x ``height`` frame within ``_PLANNED_SHARE`` of ``budget_bytes``.

    Raises:
        SettingsError: even the smallest tile does not fit; the message says how much the frame needs.
    """
    left = _PLANNED_SHARE * budget_bytes - FIXED_BYTES - frame_bytes(width, height, temporal=temporal)
    side = int(math.sqrt(max(0.0, left) / network_per_pixel)) // multiple * multiple if left > 0 else 0
    if side < minimum:
        need = (FIXED_BYTES + frame_bytes(width, height, temporal=temporal) + network_per_pixel * minimum**2) \
            / _PLANNED_SHARE
        raise SettingsError(f"a {width}x{height} frame needs about {need / 2**20:.0f} MB even in the smallest tiles "
                            f"({minimum} px); raise --max-memory to at least that")
    return side


def peak_resident_bytes() -> int:
    """This process's peak resident memory since it started its current program.

    Linux keeps ``getrusage``'s ``ru_maxrss`` across ``fork`` + ``exec``: a child started from a large parent (a
    test runner that has loaded torch) reports the parent's peak. ``VmHWM`` belongs to the address space ``exec``
    created, so it is the program's own; other systems fall back to ``ru_maxrss`` (bytes on macOS, KiB elsewhere).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource  # POSIX only; Windows has neither this nor /proc (the engine never calls this itself)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
