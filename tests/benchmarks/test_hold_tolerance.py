"""benchmarks.colorize.hold_tolerance: the hold statistic before and after an H.264 round trip."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.colorize.hold_tolerance import pair_statistics
from tests.engine.colorize_fixtures import clip, write_frames


def test_pairs_on_twos_are_exact_holds_before_encoding(tmp_path: Path) -> None:
    lines, _ = clip(3, 40, 56)
    folder = write_frames(tmp_path / "lines", lines)
    truth, coded = pair_statistics(folder, [18])
    # on twos: drawings 0 0 1 1 2 2 -> pairs hold, change, hold, change, hold
    assert truth.shape == (5,) and coded[18].shape == (5,)
    assert np.all(truth[[0, 2, 4]] == 0) and np.all(truth[[1, 3]] > 12)
    assert np.all(coded[18][[1, 3]] > 12)  # the changes survive encoding
