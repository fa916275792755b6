"""Load a trained generator into PyTorch eager from a safetensors checkpoint, for the speed comparison.

A `generator.safetensors` written by the trainer carries its recipe in its metadata: it is rebuilt exactly as the
exporter does (`training.export.load_generator`: SSA / Baseline, AnimeGAN or U-Net generator). For other files the
generator class comes from `training.nets.generator`. Its configuration is read from the model card
(`training.config.generator` or `training.config` keys matching `GeneratorConfig`) where present; otherwise the
width and the number of residual blocks are read from the weight shapes and `use_ssa` from the recipe
(`whitebox` = no SSA). The benchmark checks the loaded module against the ONNX file (max abs difference) so a wrong
guess shows in the report instead of passing silently. Checkpoints are read with safetensors (no unpickling).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load_generator", "parity_with_onnx"]

log = logging.getLogger(__name__)
_PREFIXES = ("generator.", "module.", "G.", "netG.", "model.")


def _strip_prefix(state: dict[str, Any]) -> dict[str, Any]:
    for prefix in _PREFIXES:
        inner = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        if inner and "stem.weight" in inner:
            return inner
    return state


def _card_config(card: dict[str, Any]) -> dict[str, Any]:
    config = (card.get("training") or {}).get("config") or {}
    if isinstance(config, dict) and isinstance(config.get("generator"), dict):
        return dict(config["generator"])
    return dict(config) if isinstance(config, dict) else {}


def load_generator(checkpoint: Path, card_path: Path | None = None) -> tuple[Any, str]:
    """(CartoonGenerator in eval mode, note on how its config was found) from a safetensors checkpoint."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from training.nets.generator import CartoonGenerator, GeneratorConfig

    with safe_open(str(checkpoint), framework="pt") as handle:
        has_recipe = "toonflow_meta" in (handle.metadata() or {})
    if has_recipe:
        from training.export import load_generator as load_trained_generator

        module, meta = load_trained_generator(checkpoint)
        return module, f"recipe {meta['recipe']['name']!r} from the file's metadata (step {meta['step']})"
    state = _strip_prefix(load_file(str(checkpoint)))
    if "stem.weight" not in state:
        raise ValueError(f"{checkpoint}: no generator weights (stem.weight) in the checkpoint")
    card: dict[str, Any] = {}
    if card_path is not None and card_path.is_file():
        card = json.loads(card_path.read_text(encoding="utf-8"))
    fields = {f.name for f in dataclasses.fields(GeneratorConfig)}
    from_card = {k: v for k, v in _card_config(card).items() if k in fields}
    blocks = {int(m.group(1)) for k in state if (m := re.match(r"blocks\.(\d+)\.", k))}
    guessed = {"width": int(state["stem.weight"].shape[0]), "residual_blocks": len(blocks),
               "rgb_kernel": int(state["stem.weight"].shape[-1])}
    recipe = str(card.get("recipe", ""))
    if recipe:
        guessed["use_ssa"] = recipe != "whitebox"
    config = GeneratorConfig(**{**guessed, **from_card})
    note = f"config {config} (card fields: {sorted(from_card) or 'none'}; rest from weight shapes / recipe)"
    module = CartoonGenerator(config=config)
    module.load_state_dict(state)
    module.eval()
    return module, note


def parity_with_onnx(module: Any, onnx_path: Path, size: tuple[int, int] = (64, 96)) -> float:
    """Max abs difference between the torch module and the ONNX file on one random input in [-1, 1]."""
    import onnxruntime as ort
    import torch

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(1, 3, *size)).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    expected = session.run(None, {session.get_inputs()[0].name: x})[0]
    with torch.inference_mode():
        got = module(torch.from_numpy(x)).numpy()
    return float(np.abs(got - expected).max())
