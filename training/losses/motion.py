"""Perceptual motion consistency (PMC) loss, Liu et al. AAAI 2022, eq. 5-7.

The correlation of every sampled position of frame 1 with the positions of frame 2 (a spatio-temporal correlative
map) should be the same for the photos and for their cartoons: loss = mean over queries and layers of
1 - cos(S_photo[q], S_cartoon[q]).
"""
from __future__ import annotations

from typing import Mapping

import torch
from torch import nn
import torch.nn.functional as F

from ._checks import check_same_shape, check_weight

__all__ = ["MotionConsistencyLoss"]


def _normalise(features: torch.Tensor) -> torch.Tensor:
    """Subtract the per-channel spatial mean, then L2-normalise over channels. [N, C, H, W] -> [N, C, H*W].
    Both frames are normalised (the reference normalises only the first).
    """
    flat = features.flatten(2)
    return F.normalize(flat - flat.mean(dim=2, keepdim=True), dim=1)


def _window_indices(queries: torch.Tensor, height: int, width: int, window: int) -> torch.Tensor:
    """Flat key indices [Q, window * window] of the window around each flat query index [Q], kept inside the map."""
    qy, qx = queries // width, queries % width
    top = (qy - window // 2).clamp(0, height - window)
    left = (qx - window // 2).clamp(0, width - window)
    offsets = torch.arange(window, device=queries.device)
    rows = (top[:, None] + offsets[None, :])[:, :, None]
    cols = (left[:, None] + offsets[None, :])[:, None, :]
    return (rows * width + cols).reshape(len(queries), -1)


class MotionConsistencyLoss(nn.Module):
    """PMC loss over several feature layers.

    forward(photo_1, photo_2, cartoon_1, cartoon_2): dicts layer -> features [N, C, H, W] of frame 1 / frame 2 of the
    photos and of the generator's outputs (same layers, same shapes). Gradients flow through both cartoon frames.
    """

    def __init__(self, *, loss_weight: float = 1.0, queries: int = 256, window: int = 32) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)
        if queries < 1 or window < 1:
            raise ValueError(f"queries and window must be >= 1, got {queries}, {window}")
        self.queries, self.window = queries, window

    def _layer_loss(self, p1: torch.Tensor, p2: torch.Tensor, c1: torch.Tensor, c2: torch.Tensor) -> torch.Tensor:
        height, width = p1.shape[-2:]
        positions = height * width
        count = min(self.queries, positions)
        query = torch.randperm(positions, device=p1.device)[:count]
        maps = []
        for first, second in ((p1, p2), (c1, c2)):
            f1, f2 = _normalise(first), _normalise(second)
            correlation = torch.einsum("ncq,nck->nqk", f1[:, :, query], f2)  # [N, Q, H*W]
            if height > self.window and width > self.window:
                keys = _window_indices(query, height, width, self.window)
                correlation = correlation.gather(2, keys.unsqueeze(0).expand(len(correlation), -1, -1))
            maps.append(correlation)
        return (1.0 - F.cosine_similarity(maps[0], maps[1], dim=2, eps=1e-8)).mean()

    def forward(
        self,
        photo_1: Mapping[str, torch.Tensor],
        photo_2: Mapping[str, torch.Tensor],
        cartoon_1: Mapping[str, torch.Tensor],
        cartoon_2: Mapping[str, torch.Tensor],
    ) -> torch.Tensor:
        if (not photo_1 or set(photo_1) != set(photo_2) or set(photo_1) != set(cartoon_1)
                or set(photo_1) != set(cartoon_2)):
            raise ValueError("PMC needs the same non-empty set of feature layers for all four inputs")
        total = 0.0
        for name in photo_1:
            for label, tensor in (("photo_2", photo_2), ("cartoon_1", cartoon_1), ("cartoon_2", cartoon_2)):
                check_same_shape(f"photo_1[{name}]", photo_1[name], f"{label}[{name}]", tensor[name])
            total = total + self._layer_loss(
                photo_1[name].detach(), photo_2[name].detach(), cartoon_1[name], cartoon_2[name]
            )
        return self.loss_weight * total / len(photo_1)
