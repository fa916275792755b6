"""Argument checks shared by the loss modules."""
from __future__ import annotations

import torch


def check_weight(loss_weight: float) -> float:
    if not loss_weight >= 0.0:
        raise ValueError(f"loss_weight must be >= 0, got {loss_weight}")
    return float(loss_weight)


def check_images(name: str, tensor: torch.Tensor, channels: int | None = None) -> None:
    if tensor.dim() != 4:
        raise ValueError(f"{name} must be [N, C, H, W], got shape {tuple(tensor.shape)}")
    if channels is not None and tensor.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channels, got {tensor.shape[1]}")


def check_same_shape(a_name: str, a: torch.Tensor, b_name: str, b: torch.Tensor) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} {tuple(a.shape)} and {b_name} {tuple(b.shape)} must have the same shape")
