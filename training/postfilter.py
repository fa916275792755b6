"""Give an exported distilled cartoonizer the engine's region flattening, and re-score it against its teacher.

`export` writes the post-filter into every new distilled card (`training.methods.distill.REGION_FLATTEN`); this
brings a model exported before it to the same card without re-exporting (the run folder may be gone, and the ONNX
file and its int8 copy stay byte for byte as they were: only the card changes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.models import load_card

from .distill_score import can_score, score_against_teacher
from .methods.distill import REGION_FLATTEN

__all__ = ["PostfilterResult", "set_region_flatten"]


@dataclass(frozen=True)
class PostfilterResult:
    """The card written and its metrics (`psnr_to_teacher_db` now with the post-filter, when scored)."""

    card_path: Path
    card: dict


def set_region_flatten(model: Path, *, data: Path | None, command: str) -> PostfilterResult:
    """Write `REGION_FLATTEN` into the card of `model` (an exported distilled cartoonizer) and, when `data` holds its
    style's targets, its PSNR to the teacher with and without the filter; `command` is recorded in the card.

    Raises:
        ModelError: `model` has no valid card.
        ValueError: the model is not a distilled cartoonizer (no teacher style in its card).
    """
    card_path = Path(model).with_suffix(".json")
    load_card(model)  # a valid cartoonize card, or a ModelError naming what is wrong
    card = json.loads(card_path.read_text())
    style = ((card.get("training") or {}).get("config") or {}).get("style")
    if card.get("task") != "cartoonize" or "distilled_from" not in card or not isinstance(style, str):
        raise ValueError(f"{card_path}: not a distilled cartoonizer (no distilled_from and teacher style in the card)")
    card["postprocess"] = {**(card.get("postprocess") or {}), "region_flatten": dict(REGION_FLATTEN)}
    card["postprocess_command"] = command
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    if data is not None and can_score(Path(model), Path(data), style):
        card["metrics"] = {**card.get("metrics", {}), **score_against_teacher(Path(model), Path(data), style)}
        card_path.write_text(json.dumps(card, indent=2) + "\n")
    return PostfilterResult(card_path=card_path, card=card)
