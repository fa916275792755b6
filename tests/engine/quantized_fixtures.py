"""A tiny cartoonize net with a convolution trunk, and its int8 copy made by the real quantize tool
(training/quantize.py), for the precision tests of the engine and of the tool."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from training.quantize import quantize_file

from .helpers import TINY_CARD_FIELDS
from .onnx_fixtures import finish_model, save_fixture

__all__ = ["trunk_model", "write_trunk_model", "write_int8_copy"]


def trunk_model() -> onnx.ModelProto:
    """image -> stem conv -> LeakyRelu -> 2 inner convs (+ skip Add) -> head conv -> + image -> Tanh -> cartoon.

    The inner convolutions are named like the exported generator's quarter-resolution stage (``/blocks/...``), the
    part of a cartoonizer ``training quantize`` quantizes by default."""
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    for name, src, dst, cin, cout in (("stem", "image", "s", 3, 8), ("/blocks/inner1", "s_act", "i1", 8, 8),
                                      ("/blocks/inner2", "i1_act", "i2", 8, 8), ("head", "sum", "h", 8, 3)):
        w = (rng.standard_normal((cout, cin, 3, 3)) * (0.6 / np.sqrt(cin * 9))).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"{name}_w"),
                  numpy_helper.from_array(np.zeros(cout, np.float32), f"{name}_b")]
        nodes.append(helper.make_node("Conv", [src, f"{name}_w", f"{name}_b"], [dst], name=name, pads=[1, 1, 1, 1]))
        if name != "head":
            nodes.append(helper.make_node("LeakyRelu", [dst], [f"{dst}_act"], name=f"{name}_act", alpha=0.2))
    nodes.insert(-1, helper.make_node("Add", ["s_act", "i2_act"], ["sum"], name="skip"))
    nodes += [helper.make_node("Add", ["h", "image"], ["res"], name="residual"),
              helper.make_node("Tanh", ["res"], ["cartoon"], name="tanh")]
    graph = helper.make_graph(
        nodes, "tiny_trunk", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("cartoon", TensorProto.FLOAT, ["N", 3, "H", "W"])], inits)
    return finish_model(graph)


def write_trunk_model(folder: Path, name: str = "trunk", **card_overrides: Any) -> Path:
    """``name.onnx`` + card (the tiny cartoonize fields, no tiling); returns the .onnx path."""
    fields = {**TINY_CARD_FIELDS, "supports_tiling": False, "tile_overlap": 0}
    return save_fixture(folder, name, trunk_model().SerializeToString(), fields, "tiny trunk test net",
                        card_overrides)


def write_int8_copy(onnx_path: Path, *, quality_held: bool = True, cpu_speedup: float = 1.5) -> Path:
    """Quantize ``onnx_path`` (calibrated on smooth random frames) beside it and list it in the card's int8
    section with the given verdict; returns the int8 path."""
    rng = np.random.default_rng(3)
    feeds = [{"image": np.tanh(rng.standard_normal((1, 3, 16, 20))).astype(np.float32)} for _ in range(4)]
    int8_path = onnx_path.with_name(onnx_path.stem + ".int8.onnx")
    quantize_file(onnx_path, int8_path, feeds)
    card_path = onnx_path.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card["int8"] = {"file": int8_path.name, "sha256": hashlib.sha256(int8_path.read_bytes()).hexdigest(),
                    "quality_held": quality_held, "cpu_speedup": cpu_speedup}
    card_path.write_text(json.dumps(card, indent=2))
    return int8_path
