"""The distillation benchmark: look metrics on frames with known answers, the PASS / FAIL logic of its targets, the
student options, and one tiny end-to-end run on synthetic clips with stand-in ONNX students."""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.cartoonize import look
from benchmarks.cartoonize.distill.measure import DistillResults, LookScore, SpeedEntry
from benchmarks.cartoonize.distill.rows import Row, parse_students
from benchmarks.cartoonize.distill.run import main
from benchmarks.cartoonize.distill.targets import evaluate_targets
from benchmarks.cartoonize.speed import Timing
from benchmarks.cartoonize.temporal import ClipScore, TemporalResults
from tests.engine.helpers import write_model

# --- look metrics -------------------------------------------------------------------------------------------------


def _noise(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_flatness_of_a_flat_frame_is_one_and_of_noise_about_zero() -> None:
    assert look.flatness(np.full((40, 60, 3), 123, np.uint8)) == 1.0
    assert look.flatness(_noise(40, 60)) < 0.01


def test_flatness_counts_the_flat_half_except_the_window_next_to_the_noise() -> None:
    frame = _noise(40, 64)
    frame[:, :32] = 80
    # Columns 0..29 are flat; 30 and 31 see noise in their 5x5 window.
    assert look.flatness(frame) == pytest.approx(30 / 64, abs=0.01)


def test_flatness_threshold_is_on_the_luminance_standard_deviation() -> None:
    ramp = np.tile(np.arange(64, dtype=np.uint8)[None, :, None], (16, 1, 3))  # 1/255 per pixel: std ~0.0055
    assert look.flatness(ramp) == 1.0
    steep = np.tile((np.arange(64) * 4).astype(np.uint8)[None, :, None], (16, 1, 3))  # 4/255 per pixel: std ~0.022
    assert look.flatness(steep) < 0.1  # only the columns next to the (reflected) left and right borders
    # Green weighs more than blue in the luminance: a blue-only ramp of the same slope stays flat.
    blue = np.zeros((16, 64, 3), np.uint8)
    blue[..., 2] = np.arange(64) * 4
    assert look.flatness(blue) == 1.0


def test_mean_abs_difference_and_psnr_known_values() -> None:
    black, white = np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)
    assert look.mean_abs_difference(black, white) == 1.0
    assert look.mean_abs_difference(black + 51, black) == pytest.approx(0.2)
    assert look.psnr(black, white) == pytest.approx(0.0)
    assert look.psnr(black + 16, black) == pytest.approx(20 * np.log10(255 / 16))
    assert look.psnr(white, white) == look.PSNR_CAP_DB == pytest.approx(100.0)


def test_clip_metrics_average_frames_and_check_their_input() -> None:
    flat, noisy = np.full((20, 20, 3), 9, np.uint8), _noise(20, 20)
    assert look.clip_flatness([flat, flat, noisy]) == pytest.approx((2 + look.flatness(noisy)) / 3)
    assert look.clip_psnr([flat, flat + 16], [flat, flat]) == pytest.approx((100 + 20 * np.log10(255 / 16)) / 2)
    with pytest.raises(ValueError, match="equally long"):
        look.clip_mean_abs_difference([flat], [flat, flat])
    with pytest.raises(ValueError, match="uint8"):
        look.flatness(flat.astype(np.float32))
    with pytest.raises(ValueError, match="size"):
        look.psnr(flat, flat[:10])


# --- targets ------------------------------------------------------------------------------------------------------

_ROWS = [Row("source", "source"), Row("teacher:cel", "teacher", style="cel"),
         Row("cel", "student", "cel", "cel"), Row("cel+stabiliser", "student", "cel", "cel", stabilised=True),
         Row("cel_lite", "student", "cel", "cel_lite", lite=True), Row("pmc", "reference", model="pmc")]


def _results(flatness: dict[str, dict[str, float]], diff: dict[str, float], psnr: dict[str, float],
             e_short: dict[str, float], speed: dict[str, float]) -> DistillResults:
    """Synthetic results: per-row flatness per clip; |out - source|, PSNR and E_short the same on every clip."""
    clips = list(flatness["source"])
    temporal = TemporalResults(clip_info={c: {"frames": 3, "width": 64, "height": 48} for c in clips})
    results = DistillResults("test", {}, {}, _ROWS, {}, {c: (64, 48) for c in clips}, temporal)
    for row in _ROWS:
        for clip in clips:
            temporal.scores[(row.key, clip)] = ClipScore(row.key, clip, [e_short[row.key]], [0.0], 1.0, 3)
            results.look[(row.key, clip)] = LookScore(flatness[row.key][clip], diff[row.key], psnr.get(row.key))
    teacher = Timing(2.0, 3)
    results.speed = [SpeedEntry(k, 720, 1280, Timing(s, 3), teacher if k.startswith("cel") else None)
                     for k, s in speed.items()]
    return results


def _status(results: DistillResults) -> dict[tuple[str, str], str]:
    return {(t.row, t.check): t.status for t in evaluate_targets(results)}


def _example(**changes: dict[str, float]) -> DistillResults:
    flat = {"source": {"smooth": 0.40, "busy": 0.10}, "teacher:cel": {"smooth": 0.70, "busy": 0.30},
            "cel": {"smooth": 0.65, "busy": 0.27}, "cel+stabiliser": {"smooth": 0.66, "busy": 0.28},
            "cel_lite": {"smooth": 0.63, "busy": 0.27}, "pmc": {"smooth": 0.41, "busy": 0.11}}
    values = {
        "flatness": flat,
        "diff": {"source": 0.0, "teacher:cel": 0.1, "cel": 0.06, "cel+stabiliser": 0.06, "cel_lite": 0.04,
                 "pmc": 0.02},
        "psnr": {"cel": 25.5, "cel+stabiliser": 26.5, "cel_lite": 25.0},
        "e_short": {"source": 0.010, "teacher:cel": 0.020, "cel": 0.008, "cel+stabiliser": 0.005, "cel_lite": 0.009,
                    "pmc": 0.009},
        "speed": {"cel": 1.0, "cel_lite": 0.3, "pmc": 1.5},
    }
    values.update(changes)
    return _results(**values)  # type: ignore[arg-type]


def test_targets_pass_and_fail_on_the_measured_numbers() -> None:
    status = _status(_example())
    assert {k: v for k, v in status.items() if k[0] == "cel"} == {
        ("cel", "flatness vs teacher"): "PASS",  # smooth +0.25 >= 0.8 x 0.30, busy +0.17 >= 0.8 x 0.20
        ("cel", "flatness on smooth clips"): "PASS",  # only `smooth` (source 0.40 >= 0.3) counts: +0.25
        ("cel", "|out - source|"): "PASS",
        ("cel", "PSNR to teacher"): "FAIL",  # 25.5 < 26 dB for a full model
        ("cel", "E_short vs teacher"): "PASS",  # 0.008 <= 0.6 x 0.020
        ("cel", "E_short vs source"): "PASS",  # 0.008 <= 0.8 x 0.010 (equal counts)
    }
    assert status[("cel+stabiliser", "PSNR to teacher")] == "PASS"
    assert ("cel+stabiliser", "lite speed-up") not in status  # speed is the network's, measured without it
    assert status[("cel_lite", "flatness vs teacher")] == "FAIL"  # smooth +0.23 < 0.24
    assert status[("cel_lite", "flatness on smooth clips")] == "PASS"
    assert status[("cel_lite", "|out - source|")] == "FAIL"  # 0.04 < 0.05
    assert status[("cel_lite", "PSNR to teacher")] == "PASS"  # 25.0 >= 24 dB for a lite model
    assert status[("cel_lite", "E_short vs source")] == "FAIL"  # 0.009 > 0.008
    assert status[("cel_lite", "lite speed-up")] == "PASS"  # 1.0 / 0.3 = 3.3x
    assert not any(row in {"source", "teacher:cel", "pmc"} for row, _ in status)


def test_targets_not_applicable_without_smooth_clips_or_a_full_model() -> None:
    flat = {"source": {"a": 0.2, "b": 0.1}, "teacher:cel": {"a": 0.5, "b": 0.3}, "cel": {"a": 0.5, "b": 0.3},
            "cel+stabiliser": {"a": 0.5, "b": 0.3}, "cel_lite": {"a": 0.3, "b": 0.3}, "pmc": {"a": 0.2, "b": 0.1}}
    status = _status(_example(flatness=flat, speed={"cel_lite": 0.5}))
    assert status[("cel", "flatness on smooth clips")] == "N/A"
    assert status[("cel_lite", "flatness vs teacher")] == "FAIL"  # clip a: +0.10 < 0.8 x 0.30
    assert status[("cel_lite", "lite speed-up")] == "N/A"
    slow = _status(_example(speed={"cel": 0.8, "cel_lite": 0.3}))
    assert slow[("cel_lite", "lite speed-up")] == "FAIL"  # 2.7x


# --- student options ----------------------------------------------------------------------------------------------


def test_students_take_their_style_from_the_option_or_the_card(tmp_path: Path) -> None:
    plain = write_model(tmp_path, "plain")
    carded = write_model(tmp_path, "carded", seed=1, training={"config": {"style": "comic"}})
    students = parse_students([f"cel_lite={plain}:cel", f"comic={carded}"])
    assert (students["cel_lite"].style, students["cel_lite"].lite, students["cel_lite"].full_name) == \
        ("cel", True, "cel")
    assert (students["comic"].style, students["comic"].lite) == ("comic", False)
    with pytest.raises(SystemExit, match="no style given"):
        parse_students([f"x={plain}"])
    with pytest.raises(SystemExit, match="file not found"):
        parse_students([f"x={tmp_path / 'missing.onnx'}:cel"])


# --- end to end ---------------------------------------------------------------------------------------------------


def _clip_frames(h: int, w: int, seed: int) -> list[np.ndarray]:
    """A flat left half and a blurred texture on the right, sliding 2 px per frame."""
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (h, 2 * w, 3)).astype(np.float32), (0, 0), 2)
    base = cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    frames = []
    for t in range(5):
        frame = np.roll(base, 2 * t, axis=1)[:, :w].copy()
        frame[:, : w // 2] = (200, 120, 60)
        frames.append(frame)
    return frames


def test_quick_run_writes_the_report_sheet_plots_and_before_after(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name, (h, w) in {"cockatoo": (64, 96), "realshort": (36, 48), "tree": (36, 48)}.items():
        folder = data / "videos" / "test" / name
        folder.mkdir(parents=True)
        for t, frame in enumerate(_clip_frames(h, w, len(name))):
            cv2.imwrite(str(folder / f"{t:06d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    models = tmp_path / "models"
    cel, lite, old = (write_model(models, name, seed=i) for i, name in enumerate(("cel", "cel_lite", "pmc")))
    out, before_after = tmp_path / "out", tmp_path / "docs" / "before_after.png"
    assert main(["--quick", "--data", str(data), "--out", str(out), "--students", f"cel={cel}:cel",
                 f"cel_lite={lite}:cel", "--references", f"pmc={old}", "--before-after", str(before_after)]) == 0

    text = (out / "DISTILL_REPORT.md").read_text(encoding="utf-8")
    for png in ("distill_sheet.png", "distill_flatness.png", "distill_warping.png", "distill_speed.png"):
        assert (out / png).stat().st_size > 1000, png
        assert f"]({png})" in text
    assert "`realshort` 4 frames at 64x48 (48x36 on disk, upscaled to 64x48)" in text  # --quick: 4 frames, 64 wide
    assert "`cockatoo` 4 frames at 64x44 (96x64 on disk, shrunk to 64x44)" in text
    for key in ("source", "teacher:cel", "cel", "cel+stabiliser", "cel_lite", "cel_lite+stabiliser"):
        assert re.search(rf"^\| `{re.escape(key)}` \| [0-9.]+ \([+-][0-9.]+\) \|", text, re.M), key  # flatness
        assert re.search(rf"^\| `{re.escape(key)}` \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|", text, re.M), key
    assert re.search(r"^\| `pmc` \(reference\) \| ", text, re.M)
    summary = re.search(r"^\| `cel_lite` \| ((?:PASS|FAIL|N/A|-)(?: \| (?:PASS|FAIL|N/A|-)){6}) \|$", text, re.M)
    assert summary and summary.group(1).split(" | ")[-1] in {"PASS", "FAIL"}  # the lite speed-up is evaluated
    assert re.search(r"^\| `cel_lite` \| 128x72 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+x \| [0-9.]+x \|$", text, re.M)
    assert re.search(r"\d+ of \d+ targets pass", text)
    assert "\\|out - source\\|" in text  # pipes inside cells are escaped

    image = cv2.imread(str(before_after))
    assert image.shape[1] == 2 * 64 + 8 and image.shape[0] > 44
