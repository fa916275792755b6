"""Reference gate (our extension beyond LCMFTN): pass a flow-aligned reference's pixels through where it is right.

With aligned references (engine/reference_alignment.py) a still region's reference colour is already the answer,
pixel for pixel. The attention base cannot reproduce it exactly: window attention at 1/2 resolution leaks weight to
neighbouring positions, which blurs colour edges, so near-still pairs scored under the aligned warp alone
(docs/TRAINING.md has the numbers). The gate mixes, per pixel, each reference's colour as given with
the network's output:

    output = sum_k w_k * reference_color_k + w_net * network_output,  (w_1 .. w_K, w_net) = softmax(g_1 .. g_K, 0)

A reference's logit g_k starts from a fixed prior, high where its line art agrees with the current one throughout a
neighbourhood and low where any line in it differs, plus a learned correction from a small dilated conv stack that
sees both line arts (zero at the start, so training begins from the prior):

    g_k = bias - slope * maxpool(|sketch - reference_sketch_k|) + convs(sketch, reference_sketch_k, differences)

Where the line arts agree the flow found the right place and the reference colour is exact; where they differ the
flow tore or missed something and the network's output takes over. With the previous output as a reference (the
engine's chain) a still region copies the previous frame exactly, so it does not drift.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["ReferenceGate", "candidates", "candidate_logits"]


class ReferenceGate(nn.Module):
    """sketch [N, 1, H, W], reference_sketch [N, K, 1, H, W], reference_color [N, K, 3, H, W],
    network_output [N, 3, H, W] (all in [-1, 1]) -> the gated output [N, 3, H, W].

    Args:
        width: channels of the learned correction's convs.
        radius: half side of the neighbourhood whose largest line-art difference sets the prior (pixels).
        prior_bias: the prior logit where the line arts agree exactly (6: the reference gets ~99.8 %).
        prior_slope: how fast the prior falls with the neighbourhood's largest difference (line art in [-1, 1]:
            a difference of 2 is black on white). 12 puts the even split at 0.5 (64 of 255 levels).
        slope: LeakyReLU slope of the convs.
    """

    def __init__(self, width: int = 8, *, radius: int = 3, prior_bias: float = 6.0, prior_slope: float = 12.0,
                 slope: float = 0.2) -> None:
        super().__init__()
        self.radius = radius
        # Learnable scalars, kept in the state dict so an exported model carries the prior it was trained with.
        self.prior_bias = nn.Parameter(torch.tensor(float(prior_bias)))
        self.prior_slope = nn.Parameter(torch.tensor(float(prior_slope)))
        self.convs = nn.Sequential(
            nn.Conv2d(4, width, 3, padding=1), nn.LeakyReLU(slope),
            nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.LeakyReLU(slope),
            nn.Conv2d(width, width, 3, padding=4, dilation=4), nn.LeakyReLU(slope),
            nn.Conv2d(width, 1, 3, padding=1),
        )
        nn.init.zeros_(self.convs[-1].weight)
        nn.init.zeros_(self.convs[-1].bias)

    def logits(self, sketch: torch.Tensor, reference_sketch: torch.Tensor) -> torch.Tensor:
        """[N, K, H, W]: the gate logit of each reference at each pixel (the network's output has logit 0)."""
        n, k = reference_sketch.shape[:2]
        height, width = sketch.shape[-2:]
        current = sketch.unsqueeze(1).expand(-1, k, -1, -1, -1).flatten(0, 1)
        reference = reference_sketch.flatten(0, 1)
        difference = (current - reference).abs()
        local_worst = F.max_pool2d(difference, 2 * self.radius + 1, stride=1, padding=self.radius)
        prior = self.prior_bias - self.prior_slope * local_worst
        learned = self.convs(torch.cat([current, reference, difference, local_worst], dim=1))
        return (prior + learned).reshape(n, k, height, width)

    @staticmethod
    def mix(logits: torch.Tensor, reference_color: torch.Tensor, network_output: torch.Tensor) -> torch.Tensor:
        """The gated output [N, 3, H, W] from `logits` [N, K, H, W] (see `logits`)."""
        weights = torch.softmax(candidate_logits(logits), dim=1).unsqueeze(2)  # [N, K + 1, 1, H, W]
        return (weights * candidates(reference_color, network_output)).sum(dim=1)

    def forward(self, sketch: torch.Tensor, reference_sketch: torch.Tensor, reference_color: torch.Tensor,
                network_output: torch.Tensor) -> torch.Tensor:
        return self.mix(self.logits(sketch, reference_sketch), reference_color, network_output)


def candidates(reference_color: torch.Tensor, network_output: torch.Tensor) -> torch.Tensor:
    """[N, K + 1, 3, H, W]: what the gate chooses between, in the order of its logits (references, then network)."""
    return torch.cat([reference_color, network_output.unsqueeze(1)], dim=1)


def candidate_logits(reference_logits: torch.Tensor) -> torch.Tensor:
    """[N, K + 1, H, W]: the references' logits [N, K, H, W] with the network's, which is fixed at 0, last (the order
    of `candidates`)."""
    return torch.cat([reference_logits, torch.zeros_like(reference_logits[:, :1])], dim=1)
