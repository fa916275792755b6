"""Smoke test of the file-to-file speed benchmark (``--quick``): real processes, the shipped lite model."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.models import WEIGHTS_DIR

if not (WEIGHTS_DIR / "cel_lite.onnx").is_file():
    pytest.skip("the shipped cel_lite weights are not in this checkout", allow_module_level=True)

from benchmarks.speed.run import main  # noqa: E402


def test_quick_run_measures_each_row_in_its_own_process(tmp_path: Path) -> None:
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "REPORT.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| `cel_lite` | 160x96 |")]
    assert rows, report
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        seconds, peak = float(cells[4]), float(cells[6])
        assert 0 < seconds < 5 and 50 < peak < 2000, row
    assert (tmp_path / "speed.png").stat().st_size > 5_000
