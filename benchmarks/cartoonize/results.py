"""Everything one benchmark run measured, handed from `run.py` to the report writers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .quality import QualityResults
from .speed import MatmulRate, SpeedRow
from .temporal import TemporalResults

__all__ = ["BenchmarkResults"]


@dataclass
class BenchmarkResults:
    """Results of the three sections plus the run's settings, timings and machine description."""

    command: str
    settings: dict[str, Any]
    machine: dict[str, str]
    methods: list[tuple[str, str]]  # (key, label) in row order
    models: dict[str, str]  # name -> ONNX path
    temporal: TemporalResults
    quality: QualityResults | None
    speed_rows: list[SpeedRow] = field(default_factory=list)
    matmul: MatmulRate | None = None
    torch_notes: dict[str, str] = field(default_factory=dict)  # model -> how it was loaded / why not
    torch_parity: dict[str, float] = field(default_factory=dict)  # model -> max |torch - onnx|
    torch_macs: dict[str, int] = field(default_factory=dict)  # model -> MACs at the first speed size (hooks)
    gpu_note: str = ""
    section_seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    started: str = ""
