"""Resumable training checkpoints in safetensors (never pickle): modules, optimizer states and JSON metadata."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

import torch
from safetensors.torch import load_file, save_file
from torch import nn

__all__ = ["save_checkpoint", "load_checkpoint", "load_checkpoint_meta", "save_generator", "load_generator_state"]

_META_KEY = "toonflow_meta"


def _optimizer_tensors(prefix: str, optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    state = optimizer.state_dict()
    tensors = {}
    for index, values in state["state"].items():
        for name, value in values.items():
            tensors[f"{prefix}.state.{index}.{name}"] = torch.as_tensor(value).clone().contiguous()
    return tensors, state["param_groups"]


def _atomic_save(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    save_file(tensors, str(temporary), metadata=metadata)
    os.replace(temporary, path)


def save_checkpoint(
    path: Path,
    *,
    modules: Mapping[str, nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    meta: Mapping[str, Any],
) -> None:
    """Write every module's state dict and every optimizer's state to one safetensors file, atomically."""
    tensors: dict[str, torch.Tensor] = {}
    groups = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"{name}.{key}"] = value.detach().cpu().contiguous()
    for name, optimizer in optimizers.items():
        optimizer_tensors, groups[name] = _optimizer_tensors(name, optimizer)
        tensors.update(optimizer_tensors)
    tensors["rng.torch"] = torch.get_rng_state()
    metadata = {_META_KEY: json.dumps({"meta": dict(meta), "param_groups": groups})}
    _atomic_save(tensors, path, metadata)


def load_checkpoint(
    path: Path,
    *,
    modules: Mapping[str, nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
) -> dict[str, Any]:
    """Restore what `save_checkpoint` wrote into the given modules and optimizers; returns the metadata."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        header = json.loads(handle.metadata()[_META_KEY])
    tensors = load_file(str(path))
    for name, module in modules.items():
        prefix = f"{name}."
        module.load_state_dict({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)})
    for name, optimizer in optimizers.items():
        prefix = f"{name}.state."
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith(prefix):
                index, field = key[len(prefix) :].split(".", 1)
                state.setdefault(int(index), {})[field] = value
        optimizer.load_state_dict({"state": state, "param_groups": header["param_groups"][name]})
    torch.set_rng_state(tensors["rng.torch"])
    return header["meta"]


def load_checkpoint_meta(path: Path) -> dict[str, Any]:
    """The metadata `save_checkpoint` wrote, without reading any tensor (e.g. to check the recipe first)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        return json.loads(handle.metadata()[_META_KEY])["meta"]


def save_generator(path: Path, generator: nn.Module, meta: Mapping[str, Any]) -> None:
    """Generator weights alone (what export and the PyTorch backend read), with its config as metadata."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()}
    _atomic_save(tensors, path, {_META_KEY: json.dumps(dict(meta))})


def load_generator_state(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Weights and metadata written by `save_generator`, or those of an exported model (``.onnx`` with its card):
    the exporter keeps the PyTorch parameter names on the graph's initializers, and the card records the recipe,
    so a shipped model can be fine-tuned without the run folder that made it."""
    if Path(path).suffix == ".onnx":
        return _exported_generator_state(Path(path))
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        meta = json.loads(handle.metadata()[_META_KEY])
    return load_file(str(path)), meta


def _exported_generator_state(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    import onnx
    from onnx import numpy_helper

    from engine.models import load_card

    training = load_card(path).raw.get("training") or {}
    if "config" not in training:
        raise ValueError(f"{path}: its card records no training config, so its recipe cannot be checked")
    state = {init.name: torch.from_numpy(numpy_helper.to_array(init).copy())
             for init in onnx.load(str(path)).graph.initializer}
    meta = {"recipe": training["config"], "step": training.get("steps", 0),
            "wall_time_s": training.get("wall_time_s", 0.0)}
    return state, meta
