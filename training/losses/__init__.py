"""Losses, one per module. Each takes `loss_weight` and documents its tensor shapes."""
from .adversarial import LSGANLoss
from .anime_adversarial import AnimeAdversarialLoss
from .color import ColorLoss, grayscale, rgb_to_yuv
from .content import ContentLoss
from .flow_warp import FlowWarpLoss
from .gate_selection import GateSelectionLoss
from .gradient import GradientLoss
from .gram import GramStyleLoss, gram_matrix
from .guided_filter import guided_filter
from .motion import MotionConsistencyLoss
from .semantic import SemanticLoss
from .structure import StructureLoss, superpixel_target
from .surface import SurfaceLoss, surface_representation
from .texture import TextureLoss, random_color_shift
from .total_variation import TotalVariationLoss

__all__ = [
    "AnimeAdversarialLoss",
    "ColorLoss",
    "ContentLoss",
    "FlowWarpLoss",
    "GateSelectionLoss",
    "GradientLoss",
    "GramStyleLoss",
    "LSGANLoss",
    "MotionConsistencyLoss",
    "SemanticLoss",
    "StructureLoss",
    "SurfaceLoss",
    "TextureLoss",
    "TotalVariationLoss",
    "gram_matrix",
    "grayscale",
    "guided_filter",
    "random_color_shift",
    "rgb_to_yuv",
    "superpixel_target",
    "surface_representation",
]
