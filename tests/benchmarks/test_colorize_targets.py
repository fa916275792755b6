"""The colorize benchmark's targets: which rows compete with the full model, and the CMFT margin."""
from __future__ import annotations

from benchmarks.colorize.methods import BASELINE_KEYS, aligned_warp_method, copy_method, warp_method
from benchmarks.colorize.quality import PairScore, QualityResults
from benchmarks.colorize.targets import evaluate_targets


def _results(psnr_by_key: dict[str, dict[int, float]]) -> QualityResults:
    intervals = sorted({d for by_interval in psnr_by_key.values() for d in by_interval})
    q = QualityResults(intervals, [(k, k) for k in psnr_by_key])
    for key, by_interval in psnr_by_key.items():
        for d, psnr in by_interval.items():
            q.scores[(key, d)] = [PairScore("seq", 0, d, psnr, 0.9, 0.1)]
    return q


def _status(q: QualityResults) -> dict[str, bool]:
    return {t.text: t.passed for t in evaluate_targets(q)}


def test_best_row_is_judged_against_the_issue_rows_only() -> None:
    q = _results({"copy": {1: 30.0, 10: 17.0}, "warp": {1: 39.0, 10: 25.0}, "warp_aligned": {1: 39.5, 10: 26.0},
                  "lcmftn_nocmft": {1: 39.0, 10: 26.0}, "lcmftn": {1: 39.4, 10: 28.0},
                  "lcmftn_old": {1: 45.0, 10: 30.0}, "lcmftn+chain": {1: 50.0, 10: 35.0}})
    status = _status(q)
    assert status == {
        "interval 1: `lcmftn` has the highest PSNR": False,  # warp_aligned 39.5 > 39.4
        "interval 10: `lcmftn` has the highest PSNR": True,  # earlier weights and the chain row are not competitors
        "interval 10: `lcmftn` >= `lcmftn_nocmft` + 1.5 dB": True,  # +2.0 dB
    }
    measured = {t.text: t.measured for t in evaluate_targets(q)}
    assert "`warp_aligned` 39.50 dB" in measured["interval 1: `lcmftn` has the highest PSNR"]


def test_margin_below_target_fails_and_no_full_model_gives_no_targets() -> None:
    q = _results({"warp": {20: 19.0}, "lcmftn_nocmft": {20: 21.0}, "lcmftn": {20: 22.0}})
    assert _status(q) == {"interval 20: `lcmftn` has the highest PSNR": True,
                          "interval 20: `lcmftn` >= `lcmftn_nocmft` + 1.5 dB": False}
    assert evaluate_targets(_results({"warp": {5: 30.0}, "lcmftn_nocmft": {5: 31.0}})) == []


def test_baseline_keys_name_the_model_free_rows() -> None:
    assert tuple(m.key for m in (copy_method(), warp_method(), aligned_warp_method())) == BASELINE_KEYS
