"""LCMFTN line-art colorization network (Zhang et al. WACV 2021; docs/METHODS.md, "LCMFTN"), readable top to bottom.

C_e = G(S_n, {S_p, C_p}): colour the current line art S_n from K reference frames (line art S_p + colour C_p).

Encoders (w = config.width; level k = 0 is the deepest, 1/8 resolution; level 3 is full resolution):
- E_h, current sketch: a U-Net backbone of four 3x3 convs, three of them stride 2 -> skips at 1, 1/2, 1/4, 1/8
  with w, 2w, 4w, 8w channels.
- E_c, reference colour: the same shape on RGB; its level-k maps are the CMFT values (and part of the keys).
- E_s, sketch matching features (current and reference line art, shared weights): six 3x3 convs, the ones at 1/4
  and 1/8 dilated to widen the receptive field that matching sees.
- E_I, semantic features: a frozen ImageNet VGG19 (stand-in for Illustration2Vec, which is not available offline)
  on the line art replicated to RGB, layer `semantic_layer` average-pooled to 1/8. It is part of the exported graph.
CMFT (training/nets/attention.py), per level k, values V = E_c^k(C_p):
- k = 0: Q = ca(E_s^0(S_n), E_I(S_n)), K = ca(E_s^0(S_p), E_I(S_p)) (one shared projection: same kind of features)
- k >= 1: Q = ca(RU^{k-1}, E_s^k(S_n)), K = ca(E_c^k(C_p), E_s^k(S_p))
Decoder: at each level the decoder map, the E_h skip and the transferred features are concatenated, fused by a 1x1
conv, refined by ResNeXt blocks and upsampled x2 by sub-pixel convolution (RU^k); at full resolution two 3x3 convs
give RGB (tanh).

The no-CMFT ablation (`cmft=False`) is the same network where each level that would attend instead concatenates the
references' features as they are, unaligned: E_c^k(C_p) and E_h^k(S_p) (the current-sketch encoder on the reference
line art), each averaged over the K references; E_s and E_I are then unused and not built. LeakyReLU 0.2, zero
padding, no normalisation (none is specified; none keeps the graph size-independent).

Colour skip (`color_skip`, our extension beyond the paper): the values also carry the reference colour itself, so
each transferring level also moves colour to the matched positions, and its matched colour (3 channels, pooled to
the level) joins the decoder input. At the finest transferring level the colour travels at full resolution, folded
into channels by pixel unshuffle (3 x 4^s channels at a level 1/2^s: each position carries its 2^s x 2^s block of
pixels); the decoder gets each block's mean, which is the same as transferring pooled colour because attention is
linear in the values, and the matched blocks, unfolded by pixel shuffle, are the full-resolution base the head
corrects: output = tanh(atanh(0.999 base) + head). Coarser levels carry only the pooled colour, since their blocks
would add channels to the attention and give the decoder nothing more. Why: an untrained network then already
outputs the references' colours moved to the matched positions instead of having to learn colour reproduction from
scratch, which matters at the CPU scale's few hundred steps; and moving whole blocks rather than pooled colour keeps
the base sharp: where the match is exact (a still region between close frames) the base is the reference pixel for
pixel. In the ablation the base is the unaligned reference colour (mean over K).

Line cue for the head (`head_sees_lines`, with the colour skip; our extension): the values at the base level also
carry the reference line art's blocks, so the head gets the reference line art moved exactly as the base colour was,
beside the current line art (both at full resolution; the ablation gets the references' line art as given). Where
the two agree the base is right and the head should leave it; where they differ it must correct. Without this cue
the head only sees the current sketch's features and edits an almost exact base between neighbouring frames.

Dead zone on the head's correction (`correction_deadzone`, with the colour skip; our extension): corrections under
the threshold are dropped and larger ones shrunk by it, so that a base that is already exact passes exactly instead
of being nudged everywhere by small corrections (which cost the most on near-still pairs, where the mean PSNR over
pairs weighs heavily).

Reference gate (`gate_width`, our extension; training/nets/reference_gate.py): the last step mixes, per pixel, each
(flow-aligned) reference's colour as given with the network's output, by softmax logits that start high where the
reference's line art agrees with the current one throughout a neighbourhood. The attention base cannot reproduce an
exact match exactly (the 1/2-scale window attention leaks a few per cent of weight to neighbouring positions), so the
dead zone alone leaves near-still pairs under the aligned warp.

The measurements behind each of these choices, run by run, are in docs/TRAINING.md ("Colorization" sections).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn
import torch.nn.functional as F

from .attention import ATTENTION_MODES, CorrelationTransfer, split_references
from .reference_gate import ReferenceGate
from .vgg import VGG19Features

__all__ = ["LCMFTNConfig", "LCMFTN", "LCMFTNExport", "GatedOutput"]

_LEVELS = 4  # 1/8, 1/4, 1/2, 1
# Config fields added after networks were saved, with the value that reproduces those networks.
_BEFORE_FIELD_EXISTED = {"head_sees_lines": False, "correction_deadzone": 0.0, "gate_width": 0}


@dataclass(frozen=True)
class LCMFTNConfig:
    width: int = 32  # channels at full resolution; level 1/2^j has w * 2^j (paper: 32 at 256 -> 256 at 32)
    key_dim: int = 64  # channels Q and K are projected to before the dot products
    attention: tuple[str, ...] = ("global", "global", "window", "none")  # mode per level 1/8, 1/4, 1/2, 1
    window: int = 7  # side of the neighbourhood of "window" attention, in positions of that level
    # Initial window logits -window_prior * d^2 (d: offset in positions). 6 (own position ~99 %) suits flow-aligned
    # references: weaker priors blurred the matched colour of aligned pairs, and at the cpu scale's learning rate the
    # bias barely moves during training, so the prior is what the network keeps (docs/TRAINING.md).
    window_prior: float = 6.0
    resnext_blocks: tuple[int, ...] = (2, 2, 1)  # ResNeXt blocks before the x2 upsampling of levels 1/8, 1/4, 1/2
    cardinality: int = 8  # groups of the ResNeXt 3x3 convs
    cmft: bool = True  # False: the no-CMFT ablation (reference colour features concatenated, no attention)
    semantic_layer: str = "relu3_1"  # VGG19 layer of E_I (relu3_1 at 1/4: 0.55 M frozen weights; relu4_1: 3.5 M)
    leaky_slope: float = 0.2
    color_skip: bool = True  # values carry the reference RGB blocks; the finest transferred ones are the output base
    head_sees_lines: bool = True  # with color_skip: the head also gets both line arts (the reference's as matched)
    # With color_skip: head corrections smaller than this (pre-tanh units) are dropped, the rest shrunk by it, so
    # where the head has nothing definite to add the base passes exactly (0: off).
    correction_deadzone: float = 0.03
    # Channels of the reference gate's learned convs (training/nets/reference_gate.py; 0: no gate): per pixel, each
    # reference's colour as given or the network's output, so that what the flow aligned exactly passes exactly.
    gate_width: int = 8

    def __post_init__(self) -> None:
        if len(self.attention) != _LEVELS or any(mode not in ATTENTION_MODES for mode in self.attention):
            raise ValueError(f"attention must give one of {ATTENTION_MODES} for each of {_LEVELS} levels, "
                             f"got {self.attention}")
        if len(self.resnext_blocks) != _LEVELS - 1:
            raise ValueError(f"resnext_blocks needs {_LEVELS - 1} entries, got {self.resnext_blocks}")
        if self.window_prior < 0:
            raise ValueError(f"window_prior must be >= 0 (0: no position prior), got {self.window_prior}")
        if self.width % self.cardinality:
            raise ValueError(f"width {self.width} must be a multiple of cardinality {self.cardinality}")
        if self.correction_deadzone < 0:
            raise ValueError(f"correction_deadzone must be >= 0 (0: off), got {self.correction_deadzone}")
        if self.gate_width < 0:
            raise ValueError(f"gate_width must be >= 0 (0: no gate), got {self.gate_width}")

    @classmethod
    def from_saved(cls, fields: dict) -> "LCMFTNConfig":
        """The config a saved network was trained with: JSON lists back to tuples, and fields added after the file
        was written set to what the network did before they existed."""
        restored = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
        return cls(**{**_BEFORE_FIELD_EXISTED, **restored})


def _conv(in_ch: int, out_ch: int, *, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=dilation, dilation=dilation)


class _Encoder(nn.Module):
    """Four 3x3 convs, the last three stride 2: returns maps at 1, 1/2, 1/4, 1/8 (w, 2w, 4w, 8w channels)."""

    def __init__(self, in_ch: int, width: int, slope: float) -> None:
        super().__init__()
        self.convs = nn.ModuleList([_conv(in_ch, width)] + [
            _conv(width * 2**j, width * 2 ** (j + 1), stride=2) for j in range(3)
        ])
        self.slope = slope

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        maps = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), self.slope)
            maps.append(x)
        return maps


class _DilatedSketchEncoder(nn.Module):
    """E_s: six 3x3 convs; returns maps at 1, 1/2, 1/4, 1/8 (w, 2w, 4w, 8w channels)."""

    def __init__(self, width: int, slope: float) -> None:
        super().__init__()
        w = width
        self.conv_full = _conv(1, w)
        self.conv_half = _conv(w, 2 * w, stride=2)
        self.convs_quarter = nn.ModuleList([_conv(2 * w, 4 * w, stride=2), _conv(4 * w, 4 * w, dilation=2)])
        self.convs_eighth = nn.ModuleList([_conv(4 * w, 8 * w, stride=2), _conv(8 * w, 8 * w, dilation=4)])
        self.slope = slope

    def forward(self, sketch: torch.Tensor) -> list[torch.Tensor]:
        act = lambda x: F.leaky_relu(x, self.slope)  # noqa: E731
        full = act(self.conv_full(sketch))
        half = act(self.conv_half(full))
        quarter = act(self.convs_quarter[1](act(self.convs_quarter[0](half))))
        eighth = act(self.convs_eighth[1](act(self.convs_eighth[0](quarter))))
        return [full, half, quarter, eighth]


class _ResNeXtBlock(nn.Module):
    """1x1 reduce -> grouped 3x3 -> 1x1 expand, added to the input."""

    def __init__(self, channels: int, cardinality: int, slope: float) -> None:
        super().__init__()
        inner = channels // 2
        self.reduce = nn.Conv2d(channels, inner, 1)
        self.grouped = nn.Conv2d(inner, inner, 3, padding=1, groups=cardinality)
        self.expand = nn.Conv2d(inner, channels, 1)
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.leaky_relu(self.reduce(x), self.slope)
        y = F.leaky_relu(self.grouped(y), self.slope)
        return F.leaky_relu(x + self.expand(y), self.slope)


class _UpLevel(nn.Module):
    """RU^k: fuse (decoder, skip, transferred) by a 1x1 conv, ResNeXt blocks, sub-pixel x2 to `out_ch` channels."""

    def __init__(self, in_ch: int, channels: int, out_ch: int, blocks: int, cardinality: int, slope: float) -> None:
        super().__init__()
        self.fuse = nn.Conv2d(in_ch, channels, 1)
        self.blocks = nn.Sequential(*[_ResNeXtBlock(channels, cardinality, slope) for _ in range(blocks)])
        self.expand = _conv(channels, 4 * out_ch)
        self.shuffle = nn.PixelShuffle(2)
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(F.leaky_relu(self.fuse(x), self.slope))
        return F.leaky_relu(self.shuffle(self.expand(x)), self.slope)


class GatedOutput(NamedTuple):
    """The network's output with the gate's inputs (`LCMFTN.forward(..., with_parts=True)`)."""

    output: torch.Tensor  # [N, 3, H, W]: what forward returns
    network_output: torch.Tensor  # [N, 3, H, W]: before the gate (the output itself without one)
    gate_logits: torch.Tensor | None  # [N, K, H, W]: each reference's logit (the network's is 0); None: no gate


class LCMFTN(nn.Module):
    """sketch [N, 1, H, W], reference_sketch [N, K, 1, H, W], reference_color [N, K, 3, H, W] -> [N, 3, H, W].

    All in [-1, 1] (line art: white paper = +1). H and W must be multiples of 8.
    """

    size_multiple = 8

    def __init__(self, *, config: LCMFTNConfig = LCMFTNConfig(), vgg_weights=None) -> None:
        super().__init__()
        self.config = config
        w, slope = config.width, config.leaky_slope
        channels = [8 * w, 4 * w, 2 * w, w]  # per level, deepest first
        self.sketch_encoder = _Encoder(1, w, slope)  # E_h
        self.color_encoder = _Encoder(3, w, slope)  # E_c
        transfers = [mode != "none" for mode in config.attention]
        attends = config.cmft and any(transfers)
        self.matching_encoder = _DilatedSketchEncoder(w, slope) if attends else None  # E_s
        use_semantic = config.cmft and config.attention[0] != "none"
        # The level whose matched colour blocks are the output base: the finest one that transfers.
        self.base_level = max((level for level, on in enumerate(transfers) if on), default=None) \
            if config.color_skip else None
        self.semantic = VGG19Features(layers=[config.semantic_layer], weights=vgg_weights) if use_semantic else None
        semantic_ch = self.semantic.convs[list(self.semantic.convs)[-1]].out_channels if use_semantic else 0

        self.transfers = nn.ModuleList()
        for level, mode in enumerate(config.attention):
            if mode == "none" or not config.cmft:
                self.transfers.append(nn.Identity())  # placeholder; concatenation or nothing, see _transfer
                continue
            c = channels[level]
            query_ch = c + semantic_ch if level == 0 else 2 * c
            self.transfers.append(CorrelationTransfer(
                query_channels=query_ch, key_channels=query_ch if level == 0 else 2 * c, key_dim=config.key_dim,
                mode=mode, window=config.window, shared_projection=level == 0, prior_strength=config.window_prior,
            ))

        self.ups = nn.ModuleList()
        for level in range(_LEVELS - 1):
            c = channels[level]
            decoder_ch = 0 if level == 0 else c  # RU^{level-1} arrives with this level's channels
            in_ch = decoder_ch + c + self._transferred_channels(c, transfers[level])
            self.ups.append(_UpLevel(in_ch, c, channels[level + 1], config.resnext_blocks[level],
                                     config.cardinality, slope))
        self.line_cue = self.base_level is not None and config.head_sees_lines
        last_in = 2 * w + self._transferred_channels(w, transfers[-1]) + (2 if self.line_cue else 0)
        self.head = nn.Sequential(_conv(last_in, w), nn.LeakyReLU(slope), _conv(w, 3))
        if self.base_level is not None:
            # Start from output = base (or near it): the head learns corrections to the matched colour, not to noise.
            # Behind a dead zone an all-zero start would get no gradient, so the weights keep their default init:
            # the initial corrections are small (median ~0.03) and straddle the threshold.
            nn.init.zeros_(self.head[-1].bias)
            if not config.correction_deadzone:
                nn.init.zeros_(self.head[-1].weight)
        self.gate = ReferenceGate(config.gate_width, slope=slope) if config.gate_width else None

    def _transferred_channels(self, channels: int, transfers: bool) -> int:
        """Channels a level adds to the decoder: attention output (values), or reference colour + sketch maps, and
        with the colour skip the 3 channels of the transferred colour (pooled from its blocks)."""
        if not transfers:
            return 0
        return (channels if self.config.cmft else 2 * channels) + (3 if self.config.color_skip else 0)

    def _semantic_features(self, sketch: torch.Tensor) -> torch.Tensor:
        """E_I: frozen VGG19 of the line art as RGB, pooled to 1/8."""
        features = self.semantic(sketch.expand(-1, 3, -1, -1))[self.config.semantic_layer]
        factor = features.shape[-1] * 8 // sketch.shape[-1]  # VGG layers sit at 1/1 .. 1/16
        return F.avg_pool2d(features, factor) if factor > 1 else features

    def forward(self, sketch: torch.Tensor, reference_sketch: torch.Tensor, reference_color: torch.Tensor, *,
                with_parts: bool = False) -> torch.Tensor | GatedOutput:
        """The coloured frame; with `with_parts`, a GatedOutput (what the trainer's gate supervision needs)."""
        _check_inputs(sketch, reference_sketch, reference_color)
        n = sketch.shape[0]
        per_reference = lambda maps: [split_references(m, n) for m in maps]  # noqa: E731
        skips = self.sketch_encoder(sketch)[::-1]  # deepest first
        if not self.config.cmft:
            reference_skips = per_reference(self.sketch_encoder(reference_sketch.flatten(0, 1)))[::-1]
        values = per_reference(self.color_encoder(reference_color.flatten(0, 1)))[::-1]
        if self.matching_encoder is not None:
            current_match = self.matching_encoder(sketch)[::-1]
            reference_match = per_reference(self.matching_encoder(reference_sketch.flatten(0, 1)))[::-1]
        if self.semantic is not None:
            semantic = self._semantic_features(torch.cat([sketch, reference_sketch.flatten(0, 1)]))
            current_semantic, reference_semantic = semantic[:n], split_references(semantic[n:], n)

        if self.base_level is not None:
            folded = reference_color.flatten(0, 1)
            colours = {level: split_references(_reference_colour(folded, level, blocks=level == self.base_level), n)
                       for level in range(self.base_level + 1) if self.config.attention[level] != "none"}
            if self.line_cue:  # the reference line art's blocks travel with the base colour's
                line_blocks = F.pixel_unshuffle(reference_sketch.flatten(0, 1), _block_side(self.base_level))
                colours[self.base_level] = torch.cat([colours[self.base_level], split_references(line_blocks, n)], 2)
        decoder, base_blocks, matched_lines = None, None, None  # matched_lines: [N, 1, H, W] with the line cue
        for level in range(_LEVELS):
            mode = self.config.attention[level]
            parts = ([] if decoder is None else [decoder]) + [skips[level]]
            matched = None  # this level's reference colour at the matched positions (colour skip only)
            if mode != "none" and not self.config.cmft:
                parts += [values[level].mean(dim=1), reference_skips[level].mean(dim=1)]
                if self.base_level is not None:
                    matched = colours[level].mean(dim=1)
            elif mode != "none":
                if level == 0:
                    query = torch.cat([current_match[0], current_semantic], dim=1)
                    keys = torch.cat([reference_match[0], reference_semantic], dim=2)
                else:
                    query = torch.cat([decoder, current_match[level]], dim=1)
                    keys = torch.cat([values[level], reference_match[level]], dim=2)
                if self.base_level is not None:
                    features = values[level].shape[2]
                    transferred = self.transfers[level](query, keys, torch.cat([values[level], colours[level]], dim=2))
                    parts.append(transferred[:, :features])
                    matched = transferred[:, features:]
                else:
                    parts.append(self.transfers[level](query, keys, values[level]))
            if matched is not None:
                if level == self.base_level:
                    if self.line_cue:
                        colour_channels = 3 * _block_side(level) ** 2
                        matched, line_blocks = matched[:, :colour_channels], matched[:, colour_channels:]
                        matched_lines = F.pixel_shuffle(line_blocks, _block_side(level))
                    base_blocks, matched = matched, _block_mean(matched)
                parts.append(matched)
            x = torch.cat(parts, dim=1)
            if level < _LEVELS - 1:
                decoder = self.ups[level](x)
        if self.line_cue:
            x = torch.cat([x, sketch, matched_lines], dim=1)
        residual = self.head(x)
        if base_blocks is None:
            output = torch.tanh(residual)
        else:
            if self.config.correction_deadzone:
                residual = _dead_zone(residual, self.config.correction_deadzone)
            base = 0.999 * F.pixel_shuffle(base_blocks, _block_side(self.base_level))
            # atanh(base), written out: the ONNX exporter (opset 17, dynamo=False) has no aten::atanh.
            output = torch.tanh(0.5 * torch.log((1 + base) / (1 - base)) + residual)
        if self.gate is None:
            return GatedOutput(output, output, None) if with_parts else output
        gate_logits = self.gate.logits(sketch, reference_sketch)
        gated = self.gate.mix(gate_logits, reference_color, output)
        return GatedOutput(gated, output, gate_logits) if with_parts else gated


def _dead_zone(residual: torch.Tensor, width: float) -> torch.Tensor:
    """Soft threshold (torch's Softshrink, written with relu for the ONNX exporter): 0 inside [-width, width],
    shrunk towards 0 by `width` outside. Trained with its own gradient, which is 0 inside: a correction that has
    drifted out where the base is right is pushed back to the edge, and one inside stays there. (A straight-through
    gradient, tried first, left nothing pulling corrections in: the heads settled at |correction| ~0.04 everywhere.)"""
    return F.relu(residual - width) - F.relu(-residual - width)


def _block_side(level: int) -> int:
    """Pixels per side of the full-resolution block one position of `level` covers (level 0 = 1/8 -> 8)."""
    return 2 ** (_LEVELS - 1 - level)


def _reference_colour(folded: torch.Tensor, level: int, *, blocks: bool) -> torch.Tensor:
    """Reference RGB [M, 3, H, W] at `level`: its full-resolution blocks ([M, 3 * b * b, h, w], pixel unshuffle) or
    the colour average-pooled to the level ([M, 3, h, w])."""
    side = _block_side(level)
    if blocks:
        return F.pixel_unshuffle(folded, side)
    return F.avg_pool2d(folded, side) if side > 1 else folded


def _block_mean(blocks: torch.Tensor) -> torch.Tensor:
    """[N, 3 * b * b, h, w] pixel-unshuffled colour -> [N, 3, h, w], each block's mean colour (= average pooling)."""
    n, _, height, width = blocks.shape  # not unflatten: the ONNX exporter would record the sizes as constants
    return blocks.reshape(n, 3, -1, height, width).mean(dim=2)


def _check_inputs(sketch: torch.Tensor, reference_sketch: torch.Tensor, reference_color: torch.Tensor) -> None:
    if torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
        return
    if sketch.dim() != 4 or sketch.shape[1] != 1:
        raise ValueError(f"sketch must be [N, 1, H, W], got {tuple(sketch.shape)}")
    n, _, height, width = sketch.shape
    if height % LCMFTN.size_multiple or width % LCMFTN.size_multiple:
        raise ValueError(f"sketch height and width must be multiples of {LCMFTN.size_multiple}, got {height}x{width}")
    if (reference_sketch.dim() != 5 or reference_sketch.shape[0] != n
            or reference_sketch.shape[2:] != (1, height, width)):
        raise ValueError(f"reference_sketch must be [N, K, 1, H, W] = [{n}, K, 1, {height}, {width}], "
                         f"got {tuple(reference_sketch.shape)}")
    if reference_color.shape != (n, reference_sketch.shape[1], 3, height, width):
        raise ValueError(f"reference_color must be [N, K, 3, H, W] = [{n}, {reference_sketch.shape[1]}, 3, {height}, "
                         f"{width}], got {tuple(reference_color.shape)}")


class LCMFTNExport(nn.Module):
    """The ONNX contract (docs/MODEL_FORMAT.md, task colorize): sketch [1, 1, H, W], reference_sketch [K, 1, H, W],
    reference_color [K, 3, H, W] -> color [1, 3, H, W]; the K references form one attention set."""

    def __init__(self, network: LCMFTN) -> None:
        super().__init__()
        self.network = network

    def forward(self, sketch: torch.Tensor, reference_sketch: torch.Tensor,
                reference_color: torch.Tensor) -> torch.Tensor:
        return self.network(sketch, reference_sketch.unsqueeze(0), reference_color.unsqueeze(0))
