"""Short-term temporal loss: a frame's output against the next frame's output warped back along the source flow."""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from ._checks import check_images, check_same_shape, check_weight

__all__ = ["FlowWarpLoss", "warp_by_flow"]


def warp_by_flow(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample image [N, C, H, W] bilinearly at x + flow(x); flow [N, 2, H, W] in pixels (dx, dy), border replicated."""
    height, width = image.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(height, device=image.device, dtype=image.dtype),
                            torch.arange(width, device=image.device, dtype=image.dtype), indexing="ij")
    x = xs + flow[:, 0]
    y = ys + flow[:, 1]
    # grid_sample with align_corners=True maps -1 and 1 to the centres of the first and last pixels.
    grid = torch.stack([2.0 * x / max(width - 1, 1) - 1.0, 2.0 * y / max(height - 1, 1) - 1.0], dim=-1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)


class FlowWarpLoss(nn.Module):
    """loss_weight * masked mean |output_1 - warp(output_2, flow)|, the training form of the warping error E_short.

    forward(output_1, output_2, flow, valid): outputs [N, C, H, W] of two consecutive frames; flow [N, 2, H, W], the
    source flow from frame 1 to frame 2 in pixels (frame_1(x) ~ frame_2(x + flow(x))); valid [N, 1, H, W] in [0, 1],
    0 where the flow is not trusted (occluded, motion boundary, leaves the frame). The gradient reaches both outputs.
    The mean is over valid pixels (and channels); no valid pixel gives 0.
    """

    def __init__(self, *, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_weight(loss_weight)

    def forward(self, output_1: torch.Tensor, output_2: torch.Tensor, flow: torch.Tensor,
                valid: torch.Tensor) -> torch.Tensor:
        check_images("output_1", output_1)
        check_same_shape("output_1", output_1, "output_2", output_2)
        check_images("flow", flow, channels=2)
        check_images("valid", valid, channels=1)
        if flow.shape[-2:] != output_1.shape[-2:] or valid.shape[-2:] != output_1.shape[-2:]:
            raise ValueError(f"flow {tuple(flow.shape)} and valid {tuple(valid.shape)} must cover the outputs' "
                             f"{tuple(output_1.shape[-2:])} pixels")
        difference = (output_1 - warp_by_flow(output_2, flow)).abs() * valid
        count = valid.sum() * output_1.shape[1]
        return self.loss_weight * difference.sum() / count.clamp(min=1.0)
