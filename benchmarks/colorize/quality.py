"""PSNR and SSIM of every method at every reference interval (the paper's protocol, Tables 1-3).

For each held-out sequence and interval d, reference frames s are spread evenly over the shot (at most `max_pairs`
per sequence and interval); the reference is frame s (line art + colour), the target frame s + d (its line art);
each method's colour for the target is compared with the target's true colour: PSNR (dB) and SSIM (RGB, 8 bit,
scikit-image defaults: 7x7 uniform window, data range 255). Every pair-wise row sees the same pairs, so the rows
compare fairly. Chain rows run once per sequence from frame 0 (the first `chain_sequences` sequences; 0: all) and
are scored on the pairs that start at frame 0, compared with their model on exactly those pairs.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from .data import TestSequence, pair_starts
from .methods import Method

__all__ = ["PairScore", "QualityResults", "evaluate", "score"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PairScore:
    """One method on one (reference, target) pair."""

    sequence: str
    start: int
    interval: int
    psnr: float
    ssim: float
    seconds: float


@dataclass
class QualityResults:
    """All pair scores, keyed by (method key, interval), plus the frames for the sheet."""

    intervals: list[int]
    methods: list[tuple[str, str]]
    scores: dict[tuple[str, int], list[PairScore]] = field(default_factory=dict)
    sheet: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    sheet_sequence: str = ""
    sequences: list[tuple[str, int, tuple[int, int]]] = field(default_factory=list)

    def pairs(self, key: str, interval: int) -> list[PairScore]:
        return self.scores.get((key, interval), [])

    def mean(self, key: str, interval: int, metric: str, *, like: str | None = None) -> float:
        """Mean `metric` ("psnr", "ssim", "seconds") of a method at an interval (NaN without pairs).

        `like`: only the pairs that method `like` was scored on (to compare a chain row with its model).
        """
        pairs = self.pairs(key, interval)
        if like is not None:
            keep = {(p.sequence, p.start) for p in self.pairs(like, interval)}
            pairs = [p for p in pairs if (p.sequence, p.start) in keep]
        values = [getattr(p, metric) for p in pairs]
        return float(np.mean(values)) if values else float("nan")


def score(output: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(PSNR in dB, SSIM) of a uint8 RGB output against the true colour."""
    psnr = peak_signal_noise_ratio(truth, output, data_range=255)
    ssim = structural_similarity(truth, output, channel_axis=2, data_range=255)
    return float(min(psnr, 100.0)), float(ssim)  # identical frames: PSNR inf -> 100 dB


def evaluate(sequences: Sequence[TestSequence], methods: Sequence[Method], intervals: Sequence[int], *,
             max_pairs: int, chain_sequences: int = 0, sheet_intervals: Sequence[int] = ()) -> QualityResults:
    """Score every method on every pair; keep the first sequence's first pair at `sheet_intervals` for the sheet."""
    results = QualityResults(list(intervals), [(m.key, m.label) for m in methods])
    pairwise = [m for m in methods if m.predict is not None]
    chains = [m for m in methods if m.chain is not None]
    for number, seq in enumerate(sequences):
        h, w = seq.color(0).shape[:2]
        results.sequences.append((seq.name, len(seq), (w, h)))
        sheet_here = number == 0
        if sheet_here:
            results.sheet_sequence = seq.name
        for d in intervals:
            starts = pair_starts(len(seq), d, max_pairs)
            for s in starts:
                line, colour, truth, target = seq.lineart(s), seq.color(s), seq.color(s + d), seq.lineart(s + d)
                keep = sheet_here and s == 0 and d in sheet_intervals
                if keep:
                    results.sheet[d] = {"reference colour": colour, "target line art": target, "target truth": truth}
                for m in pairwise:
                    assert m.predict is not None
                    t0 = time.perf_counter()
                    out = m.predict(line, colour, target)
                    _record(results, m.key, seq.name, s, d, out, truth, time.perf_counter() - t0)
                    if keep:
                        results.sheet[d][m.key] = out
            log.info("%s interval %d: %d pairs; %s", seq.name, d, len(starts), ", ".join(
                f"{m.key} {results.mean(m.key, d, 'psnr'):.2f} dB" for m in pairwise))
        if chain_sequences and number >= chain_sequences:
            continue
        last = min(len(seq) - 1, max(intervals))
        wanted = {d for d in intervals if d <= last}
        for m in chains:
            assert m.chain is not None
            t0 = time.perf_counter()
            outputs = m.chain(seq.lineart(0), seq.color(0), [seq.lineart(t) for t in range(1, last + 1)])
            for d, out in enumerate(outputs, start=1):
                if d in wanted:
                    _record(results, m.key, seq.name, 0, d, out, seq.color(d), (time.perf_counter() - t0) / d)
                    if sheet_here and d in sheet_intervals:
                        results.sheet.setdefault(d, {})[m.key] = out
            log.info("%s %s: chained %d frames", seq.name, m.key, last)
    return results


def _record(results: QualityResults, key: str, sequence: str, start: int, interval: int, out: np.ndarray,
            truth: np.ndarray, seconds: float) -> None:
    psnr, ssim = score(out, truth)
    results.scores.setdefault((key, interval), []).append(PairScore(sequence, start, interval, psnr, ssim, seconds))
