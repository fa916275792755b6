"""Frame ranges (``--frames A-B``): a clip processed in chunks gives the frames of one whole run.

Cartoonize with the stabiliser agrees within one level (its state is recursive; the warm-up makes the reach of an
earlier state fall below half a level), without it exactly; colorize exactly (the chain restarts at keyframes).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Cartoonizer, cartoonize_file, colorize_file
from engine.cli import main
from engine.errors import InputError, SettingsError
from engine.frame_range import FrameRange
from engine.models import WEIGHTS_DIR

from .colorize_fixtures import clip, write_frames
from .helpers import make_video, read_video

CHUNKS = [FrameRange(0, 7), FrameRange(8, 15), FrameRange(16)]


def _folder(path: Path) -> dict[str, np.ndarray]:
    return {p.name: cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(path.glob("*.png"))}


def _max_difference(whole: dict[str, np.ndarray], parts: dict[str, np.ndarray]) -> int:
    assert sorted(parts) == sorted(whole), "the chunks' files are not the whole run's"
    return max(int(np.abs(whole[n].astype(np.int16) - parts[n].astype(np.int16)).max()) for n in whole)


def _run_chunks(tmp_path: Path, run: object) -> dict[str, np.ndarray]:
    merged: dict[str, np.ndarray] = {}
    for k, frame_range in enumerate(CHUNKS):
        out = tmp_path / f"chunk{k}"
        run(out, frame_range)  # type: ignore[operator]
        files = _folder(out)
        assert not set(files) & set(merged)
        merged.update(files)
    return merged


@pytest.mark.parametrize("text, expected", [("0-7", FrameRange(0, 7)), ("8-", FrameRange(8)),
                                            ("5", FrameRange(5, 5)), (" 3 - 4 ", FrameRange(3, 4))])
def test_parse(text: str, expected: FrameRange) -> None:
    assert FrameRange.parse(text) == expected


@pytest.mark.parametrize("text", ["", "-5", "a-b", "1-2-3", "7-3", "1,4"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(SettingsError):
        FrameRange.parse(text)


def test_range_after_the_end_names_the_last_frame() -> None:
    assert FrameRange(3, 100).stop(10) == 10 and FrameRange(3).stop(10) == 10
    with pytest.raises(InputError, match=r"last frame \(9\)"):
        FrameRange(10, 12).stop(10)


@pytest.mark.skipif(not (WEIGHTS_DIR / "cel_lite.onnx").is_file(), reason="cel_lite is not in this checkout")
def test_cartoonize_chunks_agree_with_a_whole_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip_path = tmp_path / "clip.mp4"
    make_video(clip_path, n=22, size=(96, 64), audio=None)
    toon = Cartoonizer("cel_lite", device="cpu", temporal=True)
    whole = tmp_path / "whole"
    cartoonize_file(clip_path, whole, cartoonizer=toon)
    expected = _folder(whole)
    assert len(expected) == 22

    def run(out: Path, frame_range: FrameRange) -> None:  # through the command line, as a farm job runs it
        assert main(["cartoonize", str(clip_path), "-o", str(out), "--model", "cel_lite", "--device", "cpu",
                     "--temporal", "--frames", str(frame_range)]) == 0

    assert _max_difference(expected, _run_chunks(tmp_path, run)) <= 1
    reach = toon.stabilizer.warmup_frames()  # type: ignore[union-attr]
    assert reach == 12 and "(8 frames: 8-15, after 8 warm-up frames" in capsys.readouterr().out
    # the warm-up is what makes them agree: starting cold at frame 8 gives other frames
    frames, _ = read_video(clip_path)
    toon.reset()
    cold_frames = [cv2.cvtColor(toon.process(f), cv2.COLOR_RGB2BGR) for f in frames[8:16]]
    cold_gap = max(int(np.abs(c.astype(np.int16) - expected[f"frame_{i + 9:06d}.png"]).max())
                   for i, c in enumerate(cold_frames))
    assert cold_gap > 1, f"a cold start already agrees ({cold_gap}): the test cannot tell warm-up from none"


@pytest.mark.skipif(not (WEIGHTS_DIR / "cel_lite.onnx").is_file(), reason="cel_lite is not in this checkout")
def test_cartoonize_chunks_without_the_stabiliser_are_exact(tmp_path: Path) -> None:
    frames = [cv2.cvtColor(f, cv2.COLOR_RGB2BGR) for f in
              (np.roll(np.tile(np.linspace(0, 255, 80, dtype=np.uint8)[None, :, None], (48, 1, 3)), 3 * i, 1)
               for i in range(20))]
    source = write_frames(tmp_path / "src", frames, "img{:03d}.png")
    toon = Cartoonizer("cel_lite", device="cpu")
    cartoonize_file(source, tmp_path / "whole", cartoonizer=toon)

    def run(out: Path, frame_range: FrameRange) -> None:
        assert cartoonize_file(source, out, cartoonizer=toon, frame_range=frame_range).warmup == 0

    assert _max_difference(_folder(tmp_path / "whole"), _run_chunks(tmp_path, run)) == 0


def test_colorize_chunks_are_exact(tmp_path: Path, colorize_model: Path) -> None:
    lines, colours = clip(22, 48, 64)
    lineart = write_frames(tmp_path / "lines", lines)
    keys = {0: colours[0], 10: colours[10]}
    options = {"model": colorize_model.stem, "extra_model_dirs": [colorize_model.parent], "device": "cpu"}
    colorize_file(lineart, tmp_path / "whole", keys, **options)
    expected = _folder(tmp_path / "whole")

    def run(out: Path, frame_range: FrameRange) -> None:
        result = colorize_file(lineart, out, keys, frame_range=frame_range, **options)
        assert result.first_frame == frame_range.first

    assert _max_difference(expected, _run_chunks(tmp_path, run)) == 0


def test_cli_frames_option(tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_model: Path,
                           video_with_audio: Path) -> None:
    common = ["--model", str(tiny_model), "--device", "cpu"]
    out = tmp_path / "part.mp4"
    assert main(["cartoonize", str(video_with_audio), "-o", str(out), "--frames", "4-9", *common]) == 0
    assert "6 frames: 4-9" in capsys.readouterr().out
    frames, meta = read_video(out)
    assert len(frames) == 6 and meta["audio"] == []  # a part of the clip carries no audio
    with pytest.raises(SystemExit):
        main(["cartoonize", str(video_with_audio), "-o", str(tmp_path / "x.mp4"), "--frames", "9-4", *common])
    assert "ends before it starts" in capsys.readouterr().err
    assert main(["cartoonize", str(video_with_audio), "-o", str(tmp_path / "y"), "--frames", "40-", *common]) == 2
    assert "starts after the input's last frame (11)" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()
