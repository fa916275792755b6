"""Saving small fixed-weight test models as the engine expects them: an ONNX file and its model card
(docs/MODEL_FORMAT.md) with the file's sha256. The task-specific graphs and card fields live with their tests
(tests/engine/helpers.py: cartoonize; tests/engine/colorize_fixtures.py: colorize)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import onnx
from onnx import helper

__all__ = ["finish_model", "save_fixture"]


def finish_model(graph: onnx.GraphProto) -> onnx.ModelProto:
    """The graph as a checked model at opset 17, IR version 8 (what every onnxruntime the tests meet loads)."""
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def save_fixture(folder: Path, name: str, data: bytes, fields: Mapping[str, Any], description: str,
                 overrides: Mapping[str, Any]) -> Path:
    """Write ``name.onnx`` (``data``) and its card ``name.json`` under ``folder``; returns the .onnx path.

    The card: ``fields`` (task, architecture, I/O contract) between the name and the sha256 of ``data``, then what
    every test model shares (untrained, no data, our licence); ``overrides`` replace keys (a wrong sha256, say) or
    add them last.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.onnx"
    path.write_bytes(data)
    card: dict[str, Any] = {
        "format_version": 1,
        "name": name,
        **fields,
        "sha256": hashlib.sha256(data).hexdigest(),
        "recipe": "test",
        "description": description,
        "training": {"command": "none", "steps": 0},
        "data": {"manifest": "", "sources": []},
        "metrics": {},
        "licence": "GPL-3.0-or-later",
        "attributions": [],
    }
    card.update(overrides)
    path.with_suffix(".json").write_text(json.dumps(card, indent=2))
    return path
