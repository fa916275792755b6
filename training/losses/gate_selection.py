"""Gate selection loss (our extension, for the reference gate of training/nets/reference_gate.py).

The gate mixes K reference colours and the network's output by softmax over one logit per candidate. Trained by the
pixel loss alone it learns slowly where the line arts differ a little but the warped reference is still right: the
pixel loss there is small, so a gate trained on it alone hands such pixels to a network whose error is many times the
warp's (docs/TRAINING.md). This loss tells the gate directly which candidate to pick: per pixel, the one closest to
the ground truth (mean absolute error over the colour channels, candidates detached). It is the cross-entropy of the
gate's softmax against that choice, each pixel weighted by how much the choice matters there (the error of the
runner-up minus the winner's): where both candidates are about as good or as wrong, a hard choice between them would
be noise, and a tie counts for nothing.

Candidates tied for closest are one choice: the target is their summed probability, and the runner-up is the closest
candidate outside the tie. Two references can be the same frame (the keyframe next to the target is also the previous
frame); counting the copy as the runner-up would make the margin 0 and leave such pixels out.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from ._checks import check_images, check_weight

__all__ = ["GateSelectionLoss"]


class GateSelectionLoss(nn.Module):
    """loss_weight * cross-entropy of softmax(logits) against the per-pixel closest candidates (all those tied for
    closest), averaged with each pixel weighted by its margin (the error of the closest candidate outside the tie
    minus the closest's; 0 where every candidate ties, and the loss is 0 when every margin is 0).

    Shapes: logits [N, K + 1, H, W] (one per candidate: the gate's `candidate_logits`), candidates
    [N, K + 1, C, H, W] (the gate's `candidates`: the K references, then the network's output), target [N, C, H, W].
    """

    def __init__(self, *, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)

    def forward(self, logits: torch.Tensor, candidates: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_images("logits", logits)
        check_images("target", target)
        n, count, height, width = logits.shape
        expected = (n, count, target.shape[1], height, width)
        if tuple(candidates.shape) != expected or tuple(target.shape[-2:]) != (height, width):
            raise ValueError(f"candidates must be [N, K + 1, C, H, W] = {expected} for logits "
                             f"{tuple(logits.shape)} and target {tuple(target.shape)}, "
                             f"got {tuple(candidates.shape)}")
        errors = (candidates.detach() - target.detach().unsqueeze(1)).abs().mean(dim=2)  # [N, K + 1, H, W]
        best = errors.min(dim=1, keepdim=True).values
        closest = errors == best
        runner_up = errors.masked_fill(closest, float("inf")).min(dim=1).values
        margin = torch.where(runner_up.isinf(), 0.0, runner_up - best.squeeze(1))
        log_probs = F.log_softmax(logits, dim=1).masked_fill(~closest, float("-inf"))
        per_pixel = -log_probs.logsumexp(dim=1)
        return self.loss_weight * (margin * per_pixel).sum() / margin.sum().clamp(min=1e-8)
