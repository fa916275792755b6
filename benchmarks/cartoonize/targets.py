"""The issue's pass/fail targets, evaluated on measured numbers only (never typed-in values)."""
from __future__ import annotations

from dataclasses import dataclass

from .results import BenchmarkResults

__all__ = ["Target", "evaluate_targets"]


@dataclass(frozen=True)
class Target:
    """A target: what it asks, the measured evidence, and PASS / FAIL / N/A."""

    name: str
    evidence: str
    status: str


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _fd_status(ours: float, theirs: float, floor: float) -> str:
    # The split-half distance is a rough sampling floor: a gap below it is flagged as not significant.
    status = _status(ours < theirs)
    return f"{status} (gap below the split-half floor: not significant)" if abs(ours - theirs) < floor else status


def evaluate_targets(results: BenchmarkResults, *, model: str = "pmc", baseline: str = "whitebox") -> list[Target]:
    """Temporal targets (E_short ratios, stabiliser) and the Table 1 Frechet pattern."""
    targets: list[Target] = []
    keys = {key for key, _ in results.methods}
    have = model in keys and baseline in keys
    t = results.temporal
    if have:
        pmc, wb = t.mean(model)[0], t.mean(baseline)[0]
        targets.append(Target(
            f"E_short({model}) <= 0.8 x E_short({baseline})",
            f"{pmc:.4f} vs 0.8 x {wb:.4f} = {0.8 * wb:.4f} (ratio {pmc / wb:.3f}; paper 0.0526 / 0.0746 = 0.705)",
            _status(pmc <= 0.8 * wb),
        ))
    else:
        targets.append(Target(f"E_short({model}) <= 0.8 x E_short({baseline})", "both models needed", "N/A"))
    if model in keys:
        pmc, src = t.mean(model)[0], t.mean("source")[0]
        targets.append(Target(
            f"E_short({model}) <= E_short(source video)",
            f"{pmc:.4f} vs {src:.4f} (ratio {pmc / src:.3f}; paper 0.0526 / 0.0532 = 0.989)",
            _status(pmc <= src),
        ))
    stab = f"{model}+stabiliser"
    if stab in keys and model in keys:
        a, b = t.mean(stab)[0], t.mean(model)[0]
        targets.append(Target(
            f"E_short({stab}) < E_short({model})", f"{a:.4f} vs {b:.4f} (ratio {a / b:.3f})", _status(a < b)
        ))
    q = results.quality
    if q is not None and model in q.rows and baseline in q.rows:
        m, w = q.rows[model], q.rows[baseline]
        targets.append(Target(
            f"FD to cartoons: {model} < {baseline}",
            f"{m.to_cartoon:.2f} vs {w.to_cartoon:.2f} "
            f"(split-half floor of the cartoon set {q.split_half_cartoon:.2f})",
            _fd_status(m.to_cartoon, w.to_cartoon, q.split_half_cartoon),
        ))
        targets.append(Target(
            f"FD to photos: {model} < {baseline}",
            f"{m.to_photo:.2f} vs {w.to_photo:.2f} (split-half floor of the photo set {q.split_half_photo:.2f})",
            _fd_status(m.to_photo, w.to_photo, q.split_half_photo),
        ))
    else:
        targets.append(Target(f"FD pattern of Table 1 ({model} nearer both sets)", "both models and FD needed", "N/A"))
    return targets
