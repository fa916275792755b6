"""The distillation targets, evaluated on measured numbers only, for every student row (with and without the
engine's stabiliser; the lite speed-up for each lite model).

Flatness targets hold on every clip; the others on the mean over clips (the per-clip values are in the evidence).
"""
from __future__ import annotations

from dataclasses import dataclass

from .measure import DistillResults
from .rows import LITE_SUFFIX, Row, teacher_key

__all__ = ["GAIN_SHARE", "SMOOTH_SOURCE_FLATNESS", "MIN_SMOOTH_GAIN", "MIN_ABS_DIFFERENCE", "MIN_PSNR_FULL",
           "MIN_PSNR_LITE", "MAX_E_SHORT_VS_TEACHER", "MAX_E_SHORT_VS_SOURCE", "MIN_LITE_SPEEDUP", "CHECKS",
           "DistillTarget", "smooth_clips", "evaluate_targets"]

GAIN_SHARE = 0.8  # a student's flatness gain >= this share of its teacher's, on every clip
SMOOTH_SOURCE_FLATNESS = 0.3  # a clip "has large smooth regions" when the source's flatness is at least this
MIN_SMOOTH_GAIN = 0.10  # flatness gain a student must reach on such clips
MIN_ABS_DIFFERENCE = 0.05  # mean |out - source|: the output must visibly differ from the input
MIN_PSNR_FULL = 26.0  # dB against the teacher's frames
MIN_PSNR_LITE = 24.0
MAX_E_SHORT_VS_TEACHER = 0.6
MAX_E_SHORT_VS_SOURCE = 0.8
MIN_LITE_SPEEDUP = 3.0  # seconds per frame of the full model / of its lite twin

#: Short names of the checks, in the order of the report's summary columns.
CHECKS = ("flatness vs teacher", "flatness on smooth clips", "|out - source|", "PSNR to teacher",
          "E_short vs teacher", "E_short vs source", "lite speed-up")


@dataclass(frozen=True)
class DistillTarget:
    """One check of one row: the statement, the measured evidence and PASS / FAIL / N/A."""

    row: str
    check: str
    name: str
    evidence: str
    status: str


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def smooth_clips(results: DistillResults) -> list[str]:
    """Clips with large smooth regions: source flatness >= `SMOOTH_SOURCE_FLATNESS`."""
    return [c for c in results.clips if results.look[("source", c)].flatness >= SMOOTH_SOURCE_FLATNESS]


def _per_clip(results: DistillResults, key: str, attribute: str, digits: int) -> str:
    return ", ".join(f"{c} {getattr(results.look[(key, c)], attribute):.{digits}f}" for c in results.clips)


def _flatness(results: DistillResults, row: Row) -> list[DistillTarget]:
    teacher = teacher_key(row.style or "")
    parts, ok = [], True
    for clip in results.clips:
        gain, teacher_gain = results.flatness_gain(row.key, clip), results.flatness_gain(teacher, clip)
        ok &= gain >= GAIN_SHARE * teacher_gain
        parts.append(f"{clip} {gain:+.3f} vs {GAIN_SHARE} x {teacher_gain:+.3f} = {GAIN_SHARE * teacher_gain:+.3f}")
    out = [DistillTarget(row.key, CHECKS[0], f"flatness gain({row.key}) >= {GAIN_SHARE} x gain({teacher}) on every "
                         "clip", "; ".join(parts), _status(ok))]
    name = (f"flatness gain({row.key}) >= {MIN_SMOOTH_GAIN:+.2f} on clips with source flatness >= "
            f"{SMOOTH_SOURCE_FLATNESS}")
    smooth = smooth_clips(results)
    if not smooth:
        evidence = f"no such clip (source flatness: {_per_clip(results, 'source', 'flatness', 3)})"
        return out + [DistillTarget(row.key, CHECKS[1], name, evidence, "N/A")]
    gains = {c: results.flatness_gain(row.key, c) for c in smooth}
    evidence = "; ".join(f"{c} {g:+.3f}" for c, g in gains.items())
    return out + [DistillTarget(row.key, CHECKS[1], name, evidence,
                                _status(all(g >= MIN_SMOOTH_GAIN for g in gains.values())))]


def _mean(results: DistillResults, key: str, attribute: str) -> float:
    value = results.mean_look(key, attribute)
    if value is None:
        raise ValueError(f"row {key} has no {attribute} score")
    return value


def _look(results: DistillResults, row: Row) -> list[DistillTarget]:
    diff, psnr = _mean(results, row.key, "abs_difference"), _mean(results, row.key, "psnr_teacher")
    floor = MIN_PSNR_LITE if row.lite else MIN_PSNR_FULL
    kind = "lite" if row.lite else "full"
    return [
        DistillTarget(row.key, CHECKS[2], f"mean |{row.key} - source| >= {MIN_ABS_DIFFERENCE}",
                      f"{diff:.4f} ({_per_clip(results, row.key, 'abs_difference', 4)})",
                      _status(diff >= MIN_ABS_DIFFERENCE)),
        DistillTarget(row.key, CHECKS[3], f"PSNR({row.key}, {teacher_key(row.style or '')}) >= {floor:g} dB ({kind})",
                      f"{psnr:.2f} dB ({_per_clip(results, row.key, 'psnr_teacher', 2)})", _status(psnr >= floor)),
    ]


def _temporal(results: DistillResults, row: Row) -> list[DistillTarget]:
    teacher = teacher_key(row.style or "")
    e = results.e_short(row.key)
    out = []
    for check, other, share in ((CHECKS[4], teacher, MAX_E_SHORT_VS_TEACHER),
                                (CHECKS[5], "source", MAX_E_SHORT_VS_SOURCE)):
        e_other = results.e_short(other)
        evidence = f"{e:.4f} vs {share} x {e_other:.4f} = {share * e_other:.4f} (ratio {e / e_other:.3f})"
        out.append(DistillTarget(row.key, check, f"E_short({row.key}) <= {share} x E_short({other})", evidence,
                                 _status(e <= share * e_other)))
    return out


def _speed(results: DistillResults, row: Row) -> list[DistillTarget]:
    full = (row.model or "").removesuffix(LITE_SUFFIX)
    out = []
    sizes = dict.fromkeys((e.height, e.width) for e in results.speed if e.key == row.key)
    for h, w in sizes:
        name = f"{row.key} >= {MIN_LITE_SPEEDUP:g}x faster than {full} at {w}x{h}"
        timings = {e.key: e.timing for e in results.speed if (e.height, e.width) == (h, w)}
        if full not in timings:
            out.append(DistillTarget(row.key, CHECKS[6], name, f"no full model `{full}` in this run", "N/A"))
            continue
        lite_s, full_s = timings[row.key].seconds, timings[full].seconds
        out.append(DistillTarget(row.key, CHECKS[6], name,
                                 f"{lite_s:.3f} vs {full_s:.3f} s/frame: {full_s / lite_s:.2f}x",
                                 _status(full_s >= MIN_LITE_SPEEDUP * lite_s)))
    return out


def evaluate_targets(results: DistillResults) -> list[DistillTarget]:
    """Every check of every student row, in row order (the speed-up for plain lite rows with speed measured)."""
    targets: list[DistillTarget] = []
    for row in results.rows:
        if row.kind != "student":
            continue
        targets += _flatness(results, row) + _look(results, row) + _temporal(results, row)
        if row.lite and not row.stabilised:
            targets += _speed(results, row)
    return targets
