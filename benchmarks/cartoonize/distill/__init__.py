"""Distillation benchmark: the distilled cartoonizers against their classical teacher styles, the source and the
old model, in one run (`python -m benchmarks.cartoonize.distill`; see benchmarks/README.md)."""
from .run import DistillConfig, main, run_distill

__all__ = ["DistillConfig", "main", "run_distill"]
