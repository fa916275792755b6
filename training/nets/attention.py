"""Correlation matching feature transfer (CMFT, Zhang et al. WACV 2021, eq. 1-4) as single-head attention.

chi_i = sum_j w_ij v_j with w_ij = softmax_j(a_i . b_j / sqrt(d)): queries a describe the frame being coloured,
keys b describe the reference frames, values v are the references' colour features. Both Q and K are first projected
to `key_dim` channels by 1x1 convolutions; values pass through unprojected, so the output has the values' channels.

Scale: 1 / sqrt(key_dim) (the usual dot-product attention scale). The paper writes exp(a . b) with no scale; with
learned projections the two only differ by a factor the projection can absorb, and 1/sqrt(d) keeps the initial
logits O(1) so the first steps do not start from a one-hot (saturated, zero-gradient) softmax.

Several references: keys and values of all K references are concatenated, so every query position attends over the
union of the K x positions (a keyframe and the previous output compete per pixel).

Two spatial modes:
- global: every query attends to every reference position (quadratic in the number of positions; use it at 1/8 and
  1/4 resolution). Runs `torch.nn.functional.scaled_dot_product_attention`; the ONNX exporter writes it as
  MatMul + Softmax, which materialises the [H*W, K*H*W] matrix in ONNX Runtime.
- window: every query attends to a `window` x `window` neighbourhood around its own position in each reference
  (linear cost). Written as shifted slices of the padded keys/values (no unfold), like training/nets/ssa.py, so it
  exports to plain ONNX ops and never builds a [C * window^2, H * W] tensor. Positions outside the frame are masked.
  A learned bias per offset is added to the logits (Swin's relative position bias; our extension, the paper has no
  windowed level). It starts as a prior for little motion, -s d^2 for an offset of d positions (`prior_strength` s;
  with s = 2 the own position gets ~60 % of the weight before any feature agrees, with s = 4 ~93 %), because between
  close frames, or after flow alignment, most of the picture has not moved; training moves it where the data says
  otherwise, but slowly (Adam moves each logit by about the learning rate per step), so the start matters.
"""
from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["CorrelationTransfer", "ATTENTION_MODES", "global_attention", "split_references", "window_attention"]

#: Valid per-level modes of the colorization network ("none": no feature transfer at that level).
ATTENTION_MODES = ("global", "window", "none")

# Logit added to out-of-frame neighbours in window attention: exp(-1e4) is exactly 0 in float32, and unlike -inf it
# cannot produce NaN when a whole row is masked.
_MASKED_LOGIT = -1e4


def split_references(folded: torch.Tensor, batch: int) -> torch.Tensor:
    """[N*K, ...] -> [N, K, ...]. K is left to reshape's -1 so that it stays a dynamic axis in the ONNX graph
    (unflatten would record the K of the export example as a constant)."""
    return folded.reshape(batch, -1, *folded.shape[1:])


def global_attention(query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, scale: float) -> torch.Tensor:
    """query [N, D, H, W]; keys [N, K, D, h, w]; values [N, K, C, h, w] -> [N, C, H, W].

    The reference maps may have another size than the query map (not used by the network, allowed here).
    """
    n, d, height, width = query.shape
    channels = values.shape[2]
    q = query.flatten(2).transpose(1, 2)  # [N, H*W, D]
    k = keys.permute(0, 1, 3, 4, 2).reshape(n, -1, d)  # [N, K*h*w, D]
    v = values.permute(0, 1, 3, 4, 2).reshape(n, -1, channels)  # [N, K*h*w, C]
    out = F.scaled_dot_product_attention(q, k, v, scale=scale)  # [N, H*W, C]
    return out.transpose(1, 2).reshape(n, channels, height, width)


def window_attention(
    query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, scale: float, window: int,
    position_bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """query [N, D, H, W]; keys [N, K, D, H, W]; values [N, K, C, H, W] -> [N, C, H, W].

    Each query position attends to the `window` x `window` neighbourhood of the same position in all K references.
    position_bias: [window * window] logits added per offset (row-major, top-left first), or None.
    """
    radius = window // 2
    height, width = query.shape[-2:]
    pad = (radius, radius, radius, radius)
    # Constant padding of 5-d tensors is not exported by every exporter: fold N and K, pad, unfold.
    n = keys.shape[0]
    padded_keys = split_references(F.pad(keys.flatten(0, 1), pad), n)
    padded_values = split_references(F.pad(values.flatten(0, 1), pad), n)
    inside = F.pad(torch.ones_like(query[:1, :1]), pad)  # [1, 1, H+2r, W+2r]: 1 inside the frame, 0 outside
    q = query.unsqueeze(1) * scale  # [N, 1, D, H, W]
    offsets = [(dy, dx) for dy in range(window) for dx in range(window)]
    logits = []
    for index, (dy, dx) in enumerate(offsets):
        shifted = padded_keys[..., dy : dy + height, dx : dx + width]
        valid = inside[..., dy : dy + height, dx : dx + width]  # [1, 1, H, W]
        logit = (q * shifted).sum(dim=2) + (1.0 - valid) * _MASKED_LOGIT  # [N, K, H, W]
        logits.append(logit if position_bias is None else logit + position_bias[index])
    stacked = torch.stack(logits, dim=1)  # [N, window^2, K, H, W]
    weights = torch.softmax(stacked.flatten(1, 2), dim=1).reshape(stacked.shape)
    out = None
    for index, (dy, dx) in enumerate(offsets):
        shifted = padded_values[..., dy : dy + height, dx : dx + width]  # [N, K, C, H, W]
        term = (weights[:, index].unsqueeze(2) * shifted).sum(dim=1)  # [N, C, H, W]
        out = term if out is None else out + term
    return out


class CorrelationTransfer(nn.Module):
    """One CMFT level: project queries and keys to `key_dim`, attend, return transferred values.

    query_features: [N, Cq, H, W]; key_features: [N, K, Ck, H, W]; values: [N, K, Cv, H, W] -> [N, Cv, H, W].
    With `shared_projection` (Cq == Ck, features of the same kind, as at the deepest level where both sides are
    sketch features) one projection serves both sides, so matching starts from a symmetric similarity.
    Window mode learns a bias per window offset (`position_bias`), initialised to a prior for little motion.
    """

    def __init__(
        self,
        *,
        query_channels: int,
        key_channels: int,
        key_dim: int,
        mode: str,
        window: int = 7,
        shared_projection: bool = False,
        prior_strength: float = 2.0,
    ) -> None:
        super().__init__()
        if mode not in ("global", "window"):
            raise ValueError(f"attention mode must be 'global' or 'window', got {mode!r}")
        if window < 1 or window % 2 == 0:
            raise ValueError(f"attention window must be a positive odd number, got {window}")
        if shared_projection and query_channels != key_channels:
            raise ValueError(f"a shared projection needs equal channels, got {query_channels} and {key_channels}")
        self.mode, self.window = mode, window
        self.scale = 1.0 / math.sqrt(key_dim)
        self.query_proj = nn.Conv2d(query_channels, key_dim, 1)
        self.key_proj = None if shared_projection else nn.Conv2d(key_channels, key_dim, 1)
        self.position_bias = nn.Parameter(_little_motion_prior(window, prior_strength)) if mode == "window" else None

    def forward(self, query_features: torch.Tensor, key_features: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        if key_features.dim() != 5 or values.dim() != 5 or key_features.shape[:2] != values.shape[:2]:
            raise ValueError(
                f"keys and values must be [N, K, C, H, W] with the same N and K, got {tuple(key_features.shape)} "
                f"and {tuple(values.shape)}"
            )
        query = self.query_proj(query_features)
        key_proj = self.key_proj or self.query_proj
        keys = split_references(key_proj(key_features.flatten(0, 1)), key_features.shape[0])
        if self.mode == "global":
            return global_attention(query, keys, values, self.scale)
        return window_attention(query, keys, values, self.scale, self.window, self.position_bias)


def _little_motion_prior(window: int, strength: float) -> torch.Tensor:
    """[window * window] logits -strength d^2 for the offset d (in positions) of each window cell from the centre."""
    offsets = torch.arange(window, dtype=torch.float32) - window // 2
    squared = offsets.view(-1, 1) ** 2 + offsets.view(1, -1) ** 2
    return (-strength * squared).flatten()
