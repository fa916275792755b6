"""Smoke test of the scale-out benchmark (``--quick``): a real local Dask cluster, the shipped lite and colorize
models, on tiny frames."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.models import WEIGHTS_DIR

pytest.importorskip("distributed")
if not (WEIGHTS_DIR / "cel_lite.onnx").is_file() or not (WEIGHTS_DIR / "lcmftn.onnx").is_file():
    pytest.skip("the shipped cel_lite / lcmftn weights are not in this checkout", allow_module_level=True)

from benchmarks.farm.run import main  # noqa: E402


def test_quick_run_writes_a_report_whose_chunks_agree(tmp_path: Path) -> None:
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "REPORT.md").read_text()
    assert (tmp_path / "farm.png").stat().st_size > 10_000
    cartoon = re.search(r"largest difference\s+\*\*(\d+) level", report)
    colour = re.search(r"largest difference \*\*(\d+) levels\*\*, (\d+) of\s+(\d+)", report)
    assert cartoon and int(cartoon.group(1)) <= 1, report
    assert colour and colour.group(1) == "0" and colour.group(2) == colour.group(3), report
    assert report.count("| farm, ") == 2 and "| 100 |" in report
