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


def test_median_lead_is_each_sequences_own_lead_not_carried_by_one_sequence() -> None:
    from benchmarks.colorize.between import BetweenResults

    results = BetweenResults(gap=3, model="m")
    # sequence c is near-still and scores far higher: it moves the mean lead, not the median
    results.pair = {"two_sided": {"a": [31.0, 30.0], "b": [25.0, 26.0], "c": [50.0, 60.0]},
                    "one_sided": {"a": [30.0, 30.5], "b": [24.5, 26.5], "c": [60.0, 60.0]},
                    "copy": {"a": [20.0, 20.0], "b": [27.0, 20.0], "c": [40.0, 40.0]},
                    "warp": {"a": [29.0, 31.0], "b": [20.0, 25.0], "c": [45.0, 62.0]}}
    lead = results.mean("pair", "two_sided") - results.mean("pair", "one_sided")
    assert lead[0] == pytest.approx(-2.83, abs=0.01)
    assert results.median_lead("pair", "two_sided", ["one_sided"]).tolist() == [0.5, -0.5]
    # over the better of copy and warp on each sequence: a +2.0 / -1.0, b -2.0 / +1.0, c +5.0 / -2.0
    assert results.median_lead("pair", "two_sided", ["copy", "warp"]).tolist() == [2.0, -1.0]
