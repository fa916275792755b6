"""Builders for the colorize tests: a small fixed-weight ONNX model that obeys the colorize contract, and
synthetic line-art scenes with their colour frames.

The model is NOT trained and does not match anything: it mixes the references' colours with softmax weights
given by how similar each reference's line art is to the current line art (a global L1 distance, no attention),
then darkens the result by the current lines. That is enough to see every engine path at work: several references
(dynamic K), odd sizes (a coarse 1/8 branch makes the graph fail unless H and W are multiples of 8), the capped
resolution path and the keyframe chain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .onnx_fixtures import finish_model, save_fixture

INPUTS = ("sketch", "reference_sketch", "reference_color")
#: Card fields of the reference-mix model (the rest: tests/engine/onnx_fixtures.py).
MIX_CARD_FIELDS: dict[str, Any] = {
    "task": "colorize",
    "architecture": "reference_mix_fixture",
    "input_names": list(INPUTS),
    "output_names": ["color"],
    "channels_in": 1,
    "channels_out": 3,
    "value_range": [-1, 1],
    "size_multiple": 8,
    "max_side": 0,
    "attention": {"note": "none: global softmax mix of whole references"},
    "cmft": False,
    "supports_fp16": True,
    "supports_tiling": False,
    "tile_overlap": 0,
    "postprocess": None,
}


def mix_graph(similarity_scale: float = 20.0) -> onnx.ModelProto:
    """sketch [1,1,H,W], reference_sketch [K,1,H,W], reference_color [K,3,H,W] -> color [1,3,H,W], all [-1, 1]."""
    scales = np.array([1, 1, 8, 8], dtype=np.float32)
    nodes = [
        helper.make_node("Sub", ["reference_sketch", "sketch"], ["diff"]),
        helper.make_node("Abs", ["diff"], ["absdiff"]),
        helper.make_node("ReduceMean", ["absdiff"], ["distance"], axes=[1, 2, 3], keepdims=1),  # [K,1,1,1]
        helper.make_node("Mul", ["distance", "neg_scale"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["weights"], axis=0),
        helper.make_node("Mul", ["weights", "reference_color"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "k_axis"], ["mixed"], keepdims=1),          # [1,3,H,W]
        # coarse branch: only shape-consistent when H and W are multiples of 8 (like a strided U-Net)
        helper.make_node("AveragePool", ["sketch"], ["pooled"], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("Resize", ["pooled", "", "scales"], ["coarse"], mode="nearest"),
        helper.make_node("Sub", ["coarse", "sketch"], ["coarse_detail"]),
        helper.make_node("Mul", ["coarse_detail", "coarse_gain"], ["coarse_term"]),
        helper.make_node("Add", ["mixed", "coarse_term"], ["shaded"]),
        helper.make_node("Min", ["shaded", "sketch"], ["color"]),                              # lines darken
    ]
    inits = [
        numpy_helper.from_array(np.array(-similarity_scale, dtype=np.float32), "neg_scale"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "k_axis"),
        numpy_helper.from_array(scales, "scales"),
        numpy_helper.from_array(np.array(0.01, dtype=np.float32), "coarse_gain"),
    ]
    graph = helper.make_graph(
        nodes, "reference_mix_fixture",
        [helper.make_tensor_value_info("sketch", TensorProto.FLOAT, [1, 1, "H", "W"]),
         helper.make_tensor_value_info("reference_sketch", TensorProto.FLOAT, ["K", 1, "H", "W"]),
         helper.make_tensor_value_info("reference_color", TensorProto.FLOAT, ["K", 3, "H", "W"])],
        [helper.make_tensor_value_info("color", TensorProto.FLOAT, [1, 3, "H", "W"])],
        inits)
    return finish_model(graph)


def write_colorize_model(folder: Path, name: str = "mix", *, model: onnx.ModelProto | None = None,
                         **card_overrides: Any) -> Path:
    """Write ``name.onnx`` + ``name.json``; returns the .onnx path."""
    data = (model if model is not None else mix_graph()).SerializeToString()
    return save_fixture(folder, name, data, MIX_CARD_FIELDS, "fixed-weight test fixture (reference mix), not trained",
                        card_overrides)


# ------------------------------------------------------------------------------------------------------- scenes

PALETTES = {
    "a": {"paper": (235, 225, 190), "ball": (210, 40, 40), "box": (40, 160, 70)},
    "b": {"paper": (60, 70, 150), "ball": (240, 200, 40), "box": (200, 90, 200)},
}


def scene(t: int, h: int, w: int, kind: str = "a") -> tuple[np.ndarray, np.ndarray]:
    """Line art (uint8 gray, dark lines on white) and colour (uint8 RGB) of frame ``t`` of a small scene.

    Scene "a": a ball moving right 2 px per frame and a box; scene "b": a different layout (a shot cut).
    """
    pal = PALETTES[kind]
    line = np.full((h, w), 255, np.uint8)
    colour = np.empty((h, w, 3), np.uint8)
    colour[:] = pal["paper"]
    r = max(3, min(h, w) // 6)
    if kind == "a":
        ball = (r + 2 + 2 * t, h // 2)
        box = (w - w // 3, h // 5, w - 3, h // 5 + h // 3)
    else:
        ball = (w - r - 3, h - r - 3)
        box = (2, 2, w // 2, h // 2 + t)
    cv2.rectangle(colour, box[:2], box[2:], pal["box"], -1)
    cv2.rectangle(colour, box[:2], box[2:], (0, 0, 0), 1)
    cv2.rectangle(line, box[:2], box[2:], 0, 1)
    cv2.circle(colour, ball, r, pal["ball"], -1)
    cv2.circle(colour, ball, r, (0, 0, 0), 1)
    cv2.circle(line, ball, r, 255, -1)  # the ball hides the box lines behind it
    cv2.circle(line, ball, r, 0, 1)
    return line, colour


def clip(n: int, h: int, w: int, cut_at: int | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``n`` frames of scene "a", switching to scene "b" from ``cut_at`` on."""
    lines, colours = [], []
    for t in range(n):
        kind = "b" if cut_at is not None and t >= cut_at else "a"
        line, colour = scene(t, h, w, kind)
        lines.append(line)
        colours.append(colour)
    return lines, colours


def write_frames(folder: Path, frames: list[np.ndarray], pattern: str = "{:06d}.png") -> Path:
    """Write frames (gray or RGB) as PNGs named by ``pattern``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        img = f if f.ndim == 2 else cv2.cvtColor(f, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(folder / pattern.format(i)), img)
    return folder


def write_video(path: Path, frames: list[np.ndarray], rate: int = 12) -> Path:
    """Encode gray or RGB uint8 frames as H.264 (yuv444p, near-lossless) at ``rate`` fps."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv444p"
        vs.options = {"crf": "4", "preset": "ultrafast"}
        for i, f in enumerate(frames):
            rgb = np.repeat(f[..., None], 3, axis=2) if f.ndim == 2 else f
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            vf.pts = i
            for p in vs.encode(vf):
                c.mux(p)
        for p in vs.encode(None):
            c.mux(p)
    return path
