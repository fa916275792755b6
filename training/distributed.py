"""Process-group state for `torchrun` DDP; a single process when WORLD_SIZE is unset."""
from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = ["Distributed", "process_device"]


class Distributed:
    """Rank and world size from the torchrun environment; wraps modules in DDP when there are several processes."""

    def __init__(self, device: torch.device) -> None:
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        if self.world_size > 1 and not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, module: nn.Module) -> nn.Module:
        return DistributedDataParallel(module) if self.world_size > 1 else module

    def barrier(self) -> None:
        if self.world_size > 1:
            dist.barrier()

    def close(self) -> None:
        if self.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()


def process_device(device: str) -> torch.device:
    """The torch device of this process: "auto" picks CUDA when present; under torchrun each process takes the GPU
    of its LOCAL_RANK (and makes it current) instead of all sharing cuda:0."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    torch_device = torch.device(device)
    if torch_device.type == "cuda" and "LOCAL_RANK" in os.environ:
        torch_device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(torch_device)
    return torch_device

