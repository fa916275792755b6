"""Parameter and multiply-accumulate counts of a network, for comparing our generators with the papers' tables.

MACs are counted by forward hooks on every Conv2d / ConvTranspose2d / Linear: output elements times the inner size
(C_in / groups * k_h * k_w for a conv). Normalisation, activations, resizing and additions are not counted, as in
the usual "FLOPs" tables; FLOPs = 2 * MACs (one multiply and one add each).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Complexity", "measure_complexity"]


@dataclass(frozen=True)
class Complexity:
    """Size of one network at one input size [1, 3, height, width]."""

    parameters: int
    macs: int
    height: int
    width: int

    @property
    def flops(self) -> int:
        return 2 * self.macs


def measure_complexity(module: nn.Module, height: int = 256, width: int = 256) -> Complexity:
    """Parameters of `module` and its MACs for one [1, 3, height, width] input (run once, without gradients)."""
    total = 0

    def conv_hook(layer: nn.Module, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        kernel = int(torch.tensor(layer.kernel_size).prod())
        if isinstance(layer, nn.ConvTranspose2d):
            # Every input element scatters to C_out / groups * k_h * k_w outputs.
            total += _inputs[0].numel() * (layer.out_channels // layer.groups) * kernel
        else:
            total += output.numel() * (layer.in_channels // layer.groups) * kernel

    def linear_hook(layer: nn.Linear, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        total += output.numel() * layer.in_features

    handles = []
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            handles.append(layer.register_forward_hook(conv_hook))
        elif isinstance(layer, nn.Linear):
            handles.append(layer.register_forward_hook(linear_hook))
    was_training = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(torch.zeros(1, 3, height, width))
    finally:
        module.train(was_training)
        for handle in handles:
            handle.remove()
    parameters = sum(p.numel() for p in module.parameters())
    return Complexity(parameters=parameters, macs=total, height=height, width=width)
