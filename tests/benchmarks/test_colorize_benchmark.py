"""Smoke test of the colorization benchmark (`--quick`) on synthetic sequences and fixed-weight stand-in models."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("skimage")
pytest.importorskip("matplotlib")

from benchmarks.colorize.data import choose_style, load_sequences, pair_starts  # noqa: E402
from benchmarks.colorize.run import main  # noqa: E402
from tests.engine.colorize_fixtures import clip, mix_graph, write_colorize_model, write_frames  # noqa: E402


def _dataset(root: Path) -> Path:
    """The colorize contract's layout: test/<seq>/color and test/<seq>/lineart/<style>, two styles."""
    for n, (h, w) in enumerate([(48, 64), (40, 72)]):
        lines, colours = clip(10, h, w)
        seq = root / "test" / f"seq{n}"
        write_frames(seq / "color", colours)
        write_frames(seq / "lineart" / "xdog", lines)
        write_frames(seq / "lineart" / "true", lines)
    return root


def test_pair_starts() -> None:
    assert pair_starts(10, 4, 3) == [0, 2, 5]
    assert pair_starts(5, 4, 3) == [0]
    assert pair_starts(5, 5, 3) == []


def test_quick_benchmark_writes_report(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "data")
    assert choose_style(data, None) == "true"
    assert [len(s) for s in load_sequences(data, "xdog", max_side=32)] == [10, 10]
    full = write_colorize_model(tmp_path / "m", "lcmftn", max_side=48)
    ablation = write_colorize_model(tmp_path / "m", "lcmftn_nocmft", model=mix_graph(similarity_scale=0.0))
    out = tmp_path / "out"
    code = main(["--models", f"lcmftn={full}", f"lcmftn_nocmft={ablation}", "--data", str(data), "--out", str(out),
                 "--quick"])
    assert code == 0
    for name in ("REPORT.md", "quality.png", "speed.png", "sheet.png"):
        assert (out / name).stat().st_size > 1000, name
    report = (out / "REPORT.md").read_text()
    for text in ("## Targets (issue)", "interval 4: `lcmftn` has the highest PSNR", "| `copy` |", "| `warp` |",
                 "| `warp_aligned` |", "| `lcmftn+chain` |",
                 "No GPU was available", "| `lcmftn` | 128x72 | 48x27 | 2 |"):
        assert text in report, text
    psnr = re.search(r"\| `copy` \| ([0-9.]+) \|", report)
    assert psnr and 10 < float(psnr.group(1)) < 100


def test_between_benchmark_writes_report(tmp_path: Path) -> None:
    from benchmarks.colorize.between import main as between_main, sheet_positions

    data = _dataset(tmp_path / "data")
    model = write_colorize_model(tmp_path / "m", "mix")
    out = tmp_path / "out"
    assert between_main(["--model", str(model), "--data", str(data), "--out", str(out), "--gap", "8"]) == 0
    for name in ("BETWEEN_REPORT.md", "between.png", "between_sheet.png"):
        assert (out / name).stat().st_size > 1000, name
    report = (out / "BETWEEN_REPORT.md").read_text()
    for text in ("## Targets (issue 25)", "two-sided >= one-sided + 2 dB at the midpoint", "| 7 |", "`seq1`",
                 "## One keyframe (frame 0): PSNR by gap"):
        assert text in report, text
    assert sheet_positions(40) == (10, 20, 30) and sheet_positions(8) == (2, 4, 6)
    # a keyframe's neighbour copied from it scores finite PSNR on these synthetic clips
    first_copy = re.search(r"\| 1 \| [0-9.]+ \| [0-9.]+ \| ([0-9.]+) \|", report)
    assert first_copy and 10 < float(first_copy.group(1)) < 100
    with pytest.raises(SystemExit, match="2"):
        between_main(["--model", str(model), "--data", str(data), "--out", str(out), "--gap", "1"])
