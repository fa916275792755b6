"""The bound benchmark: the teacher's reduced views are the teacher itself when nothing is taken away, a student's
flat frame is the one the engine finishes, the read-off between views, and one tiny end-to-end run."""
from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.cartoonize.bound.report import read_off
from benchmarks.cartoonize.bound.run import main
from benchmarks.cartoonize.bound.views import flat_at_scale, flat_in_windows, student_frames
from engine import Cartoonizer, open_frames
from training.teacher import cartoon_abstraction, finish_flat_frame, flat_frame, get_style
from tests.engine.helpers import pattern, write_model

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "cockatoo.mp4"
COMIC = get_style("comic")
#: a card that leaves the comic style's region flattening, tone steps and ink to the engine, as the comic pair's do
COMIC_FINISH = {"region_flatten": {"sigma_spatial": 60.0, "sigma_color": 0.15},
                "tone_steps": asdict(COMIC.tone_steps()), "ink_lines": asdict(COMIC.ink_lines())}


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    """A 160 x 90 frame of the sample clip."""
    frames, _ = open_frames(SAMPLE)
    first = next(frames)
    frames.close()
    return cv2.resize(first, (160, 90), interpolation=cv2.INTER_AREA)


def test_the_teacher_is_its_flat_frame_finished(frame: np.ndarray) -> None:
    np.testing.assert_array_equal(finish_flat_frame(flat_frame(frame, COMIC), COMIC), cartoon_abstraction(frame, COMIC))


def test_views_with_nothing_taken_away_are_the_teachers_flat_frame(frame: np.ndarray) -> None:
    teacher = flat_frame(frame, COMIC)
    np.testing.assert_array_equal(flat_at_scale(frame, COMIC, 1.0), teacher)
    np.testing.assert_array_equal(flat_in_windows(frame, COMIC, tile=200, margin=0), teacher)


def test_reduced_views_keep_the_frame_size_and_differ_from_the_teacher(frame: np.ndarray) -> None:
    teacher = flat_frame(frame, COMIC)
    for view in (flat_at_scale(frame, COMIC, 0.5), flat_in_windows(frame, COMIC, tile=32, margin=8)):
        assert view.shape == frame.shape and view.dtype == np.uint8
        assert 0 < np.abs(view.astype(int) - teacher).mean() < 40


@pytest.mark.parametrize("call", [lambda f: flat_at_scale(f, COMIC, 0.0), lambda f: flat_at_scale(f, COMIC, 1.5),
                                  lambda f: flat_in_windows(f, COMIC, tile=0, margin=8),
                                  lambda f: flat_in_windows(f, COMIC, tile=32, margin=-1)])
def test_views_reject_bad_sizes(frame: np.ndarray, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        call(frame)


def test_student_frames_are_the_flat_frame_the_engine_finishes(tmp_path: Path, frame: np.ndarray) -> None:
    toon = Cartoonizer(write_model(tmp_path, "student", postprocess=COMIC_FINISH), device="cpu")
    flat, finished = student_frames(toon, frame)
    np.testing.assert_array_equal(finished, toon.process(frame))
    assert flat.shape == frame.shape and not np.array_equal(flat, finished)  # the steps and ink changed it
    plain = Cartoonizer(write_model(tmp_path, "plain", seed=1), device="cpu")
    with pytest.raises(ValueError, match="plain: the card leaves no tone steps"):
        student_frames(plain, frame)


def test_read_off_interpolates_between_the_bracketing_views() -> None:
    points = [(30.0, 24.0), (35.0, 27.0), (25.0, 21.0)]
    assert read_off(points, 26.0) == pytest.approx(30.0 + 5.0 * 2.0 / 3.0)
    assert read_off(points, 21.0) == pytest.approx(25.0)
    assert read_off(points, 28.0) is None and read_off(points, 20.0) is None


def test_quick_run_writes_the_report_and_plot(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("a", "b"):
        folder = data / "videos" / "test" / name
        folder.mkdir(parents=True)
        for t in range(5):
            cv2.imwrite(str(folder / f"{t:06d}.png"), cv2.cvtColor(pattern(t + len(name), 48, 64), cv2.COLOR_RGB2BGR))
    student = write_model(tmp_path / "models", "student", postprocess=COMIC_FINISH)
    out = tmp_path / "out"
    assert main(["--quick", "--data", str(data), "--out", str(out), "--students", f"student={student}",
                 "--targets", "26", "24"]) == 0

    text = (out / "BOUND_REPORT.md").read_text(encoding="utf-8")
    assert (out / "bound.png").stat().st_size > 1000 and "](bound.png)" in text
    row = r" \| [0-9.]+ \| [0-9.]+ \([0-9.]+ / [0-9.]+\) \| \d+ \|$"
    assert re.search(r"^\| the teacher's flat frame of the frame at 0.35 of its size, enlarged" + row, text, re.M)
    assert re.search(r"^\| the teacher's flat frame on 32 px tiles, each seeing 16 px around it" + row, text, re.M)
    assert re.search(r"^\| `student`: its network and region flattening; the engine's tone steps and ink" + row,
                     text, re.M)
    for target in (26, 24):
        assert re.search(rf"^- \*\*{target} dB finished\*\*: ", text, re.M)
