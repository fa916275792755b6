"""Segmenters for the semantic loss of Bai's method, and the offline default.

The method: docs/METHODS.md, "Semantic-aware style transfer".
The paper compares a frozen pretrained segmentation network's output on the photo and on the cartoon. No
multi-class segmentation weights can be installed offline here (docs/METHODS.md, "Offline substitutions"), so the
semantic loss is written against the small `Segmenter` protocol and the default is a documented substitution:

`VGGClusterSegmenter`: VGG19 ImageNet relu4_1 features (H/8), L2-normalised per position, softly assigned to K
fixed cluster centres (softmax of cosine similarity / temperature). The centres come from spherical k-means over
the features of training photos, fitted once at the start of a run and then frozen. Positions that ImageNet
features group together (sky, foliage, skin, fabric, ...) fall in the same cluster, so the map is an unsupervised
"semantic" partition; it is not a trained segmentation and names no classes.

To use a real segmentation network, pass any frozen callable image -> scores, e.g. a DeepLab / SegFormer you have
weights for, wrapped to take RGB in [-1, 1]:

    from training.train import train
    train(recipe, data_root=..., out_dir=..., segmenter=MySegmenter())  # MySegmenter()(x) -> [N, K, h, w]
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import nn
import torch.nn.functional as F

from .vgg import VGG19Features

__all__ = ["Segmenter", "VGGClusterSegmenter", "spherical_kmeans"]


@runtime_checkable
class Segmenter(Protocol):
    """RGB [N, 3, H, W] in [-1, 1] -> per-pixel class scores or feature maps [N, K, h, w], differentiable with
    respect to the image. It is used frozen: its own parameters are never trained."""

    def __call__(self, image: torch.Tensor) -> torch.Tensor: ...


def spherical_kmeans(points: torch.Tensor, clusters: int, *, iterations: int = 20, seed: int = 0) -> torch.Tensor:
    """Unit-norm centres [clusters, C] of unit-norm points [P, C] (cosine k-means, k-means++-like seeding by
    farthest points from a seeded first pick). Deterministic given the points and the seed."""
    if points.dim() != 2 or len(points) < clusters or clusters < 1:
        raise ValueError(f"k-means needs [P, C] points with P >= clusters >= 1, got {tuple(points.shape)}, {clusters}")
    points = F.normalize(points.float(), dim=1)
    generator = torch.Generator().manual_seed(seed)
    first = int(torch.randint(len(points), (1,), generator=generator))
    centres = [points[first]]
    for _ in range(1, clusters):
        similarity = (points @ torch.stack(centres).T).max(dim=1).values
        centres.append(points[int(similarity.argmin())])
    centres_t = torch.stack(centres)
    for _ in range(iterations):
        assignment = (points @ centres_t.T).argmax(dim=1)
        sums = torch.zeros_like(centres_t).index_add_(0, assignment, points)
        empty = sums.norm(dim=1) == 0
        centres_t = torch.where(empty[:, None], centres_t, F.normalize(sums, dim=1))
    return centres_t


class VGGClusterSegmenter(nn.Module):
    """RGB [N, 3, H, W] in [-1, 1] -> soft cluster assignments [N, K, H/8, W/8] (sum 1 over K).

    centres: [K, C] cluster centres in the space of the normalised `layer` features (C = 512 for relu4_1).
    """

    def __init__(self, centres: torch.Tensor, *, layer: str = "relu4_1", temperature: float = 0.1,
                 vgg: VGG19Features | None = None) -> None:
        super().__init__()
        if centres.dim() != 2:
            raise ValueError(f"centres must be [K, C], got {tuple(centres.shape)}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.layer, self.temperature = layer, float(temperature)
        self.vgg = vgg if vgg is not None else VGG19Features(layers=[layer])
        if layer not in self.vgg.layers:
            raise ValueError(f"the VGG given computes {self.vgg.layers}, not {layer!r}")
        self.register_buffer("centres", F.normalize(centres.float(), dim=1))
        self.requires_grad_(False)

    def features(self, image: torch.Tensor) -> torch.Tensor:
        """Unit-norm features [N, C, h, w]."""
        return F.normalize(self.vgg(image)[self.layer], dim=1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        similarity = torch.einsum("kc,nchw->nkhw", self.centres, self.features(image))
        return torch.softmax(similarity / self.temperature, dim=1)

    @classmethod
    def fit(cls, images: torch.Tensor, *, clusters: int = 16, layer: str = "relu4_1", temperature: float = 0.1,
            iterations: int = 20, seed: int = 0, vgg: VGG19Features | None = None) -> "VGGClusterSegmenter":
        """A segmenter whose centres are fitted by spherical k-means on the features of `images` [M, 3, H, W]
        (on the images' device)."""
        vgg = (vgg if vgg is not None else VGG19Features(layers=[layer])).to(images.device)
        with torch.no_grad():
            features = F.normalize(vgg(images)[layer], dim=1)
        points = features.permute(0, 2, 3, 1).reshape(-1, features.shape[1]).cpu()
        centres = spherical_kmeans(points, clusters, iterations=iterations, seed=seed)
        return cls(centres.to(images.device), layer=layer, temperature=temperature, vgg=vgg)
