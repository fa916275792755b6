"""Scoring a colorizer on held-out pairs: what the colorize trainer validates at every checkpoint and what
export-colorize records in the model card, so the two numbers are computed the same way."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from .checkpoint import load_generator_state
from .data.colorize.dataset import ColorizeDataset
from .metrics.psnr import psnr
from .nets.lcmftn import LCMFTN, LCMFTNConfig

__all__ = ["load_colorizer", "stack_references", "forward_one_reference", "evaluate_colorizer", "held_out_pairs"]

_REFERENCE_FIELDS = (("reference_sketch", "reference_color"), ("previous_sketch", "previous_color"))


def load_colorizer(path: Path) -> tuple[LCMFTN, dict]:
    """A network rebuilt from `network.safetensors` (its config is in the file's metadata), in eval mode."""
    state, meta = load_generator_state(Path(path))
    network = LCMFTN(config=LCMFTNConfig.from_saved(meta["recipe"]["network"]))
    network.load_state_dict(state)
    return network.eval(), meta


def stack_references(batch: dict[str, torch.Tensor], count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """[N, count, C, H, W] reference line art and colour: the item's reference, then (count 2) the frame next to
    the target (the dataset's `with_previous` fields)."""
    if not 1 <= count <= len(_REFERENCE_FIELDS):
        raise ValueError(f"count must be 1 or 2 references, got {count}")
    fields = _REFERENCE_FIELDS[:count]
    return (torch.stack([batch[sketch] for sketch, _ in fields], 1),
            torch.stack([batch[color] for _, color in fields], 1))


def forward_one_reference(network: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The network's output for a batch with its one reference (validation and sample sheets)."""
    return network(batch["sketch"], *stack_references(batch, 1))


@torch.no_grad()
def evaluate_colorizer(
    network: LCMFTN, pairs: dict[str, torch.Tensor], *, batch_size: int = 4
) -> dict[str, float]:
    """Mean PSNR (dB) on stacked held-out pairs: the network's output, and copying the reference colour as the
    network gets it (`psnr_copy_reference`: the flow-warped colour when the pairs' references are aligned)."""
    was_training = network.training
    network.eval()
    outputs = []
    for start in range(0, len(pairs["sketch"]), batch_size):
        outputs.append(forward_one_reference(network, {k: v[start : start + batch_size] for k, v in pairs.items()}))
    network.train(was_training)
    output = torch.cat(outputs)
    return {
        "psnr": float(psnr(output, pairs["color"]).clamp(max=100).mean()),
        "psnr_copy_reference": float(psnr(pairs["reference_color"], pairs["color"]).clamp(max=100).mean()),
        "pairs": len(output),
    }


def held_out_pairs(data_root: Path, *, count: int, crop_size: int, seed: int, window: int = 40,
                   stride: int = 5, styles: Sequence[str] | None = None,
                   align_references: bool = False) -> dict[str, torch.Tensor]:
    """`count` fixed test-split pairs, each a window's first frame (reference) and last frame (target), stacked per
    field (references flow-aligned to the target if asked)."""
    dataset = ColorizeDataset(data_root, split="test", crop_size=crop_size, window=window, stride=stride,
                              styles=styles, length=count, seed=seed, align_references=align_references,
                              gap_prob=0.0, reverse_prob=0.0)
    items = [dataset[i] for i in range(count)]
    return {name: torch.stack([item[name] for item in items]) for name in items[0]}
