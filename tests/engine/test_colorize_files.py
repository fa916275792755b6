"""Line art from files: FrameSequence (lazy indexing of videos and folders), colorize_file and the CLI."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import FrameSequence, colorize_file
from engine.cli import main
from engine.errors import InputError, OutputError

from .colorize_fixtures import clip, write_frames, write_video
from .helpers import read_video


@pytest.fixture(scope="module")
def line_clip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """8 frames of 40x56 line art (cut at 5) as a PNG folder and an H.264 video, plus the colour frames."""
    root = tmp_path_factory.mktemp("lineart")
    lines, colours = clip(8, 40, 56, cut_at=5)
    folder = write_frames(root / "shot", lines, "ink_{:04d}.png")
    video = write_video(root / "shot.mp4", lines, rate=12)
    keys = write_frames(root / "keys", [colours[0], colours[6]], "key{}.png")
    return {"lines": lines, "colours": colours, "folder": folder, "video": video,
            "key0": keys / "key0.png", "key6": keys / "key1.png"}


def _read_png(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("kind", ["folder", "video"])
def test_frame_sequence_indexes_lazily(line_clip: dict, kind: str) -> None:
    seq = FrameSequence(line_clip[kind])
    lines = line_clip["lines"]
    assert len(seq) == 8
    tol = 0 if kind == "folder" else 6
    for i in (2, 6, 1, 7, -1):  # forward, then backwards (restarts the cursor)
        assert np.abs(seq[i][..., 0].astype(int) - lines[i]).mean() <= tol
    assert len(list(seq)) == 8
    with pytest.raises(IndexError, match="frame 8 is outside"):
        seq[8]
    seq.close()
    assert seq.file_names == ([f"ink_{i:04d}.png" for i in range(8)] if kind == "folder" else None)


def test_colorize_folder_to_png_folder_named_like_input(line_clip: dict, colorize_model: Path,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "coloured"
    result = colorize_file(line_clip["folder"], out, {0: line_clip["key0"], 6: line_clip["key6"]},
                           model=colorize_model, device="cpu")
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"ink_{i:04d}.png" for i in range(8)]
    assert result.frames == 8 and result.keyframes == (0, 6) and result.cuts == (5,)
    np.testing.assert_array_equal(_read_png(out / "ink_0006.png"), line_clip["colours"][6])
    first = _read_png(out / "ink_0001.png")
    assert first.shape == (40, 56, 3)
    assert np.abs(first.astype(int) - line_clip["colours"][1]).mean() < 10
    # a second run may replace its own frames
    colorize_file(line_clip["folder"], out, {0: line_clip["key0"]}, model=colorize_model, device="cpu")


def test_colorize_video_to_video(line_clip: dict, colorize_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "coloured.mp4"
    before = line_clip["video"].read_bytes()
    result = colorize_file(line_clip["video"], out, {0: line_clip["key0"]}, model=colorize_model, device="cpu",
                           max_side=32)
    frames, meta = read_video(out)
    assert len(frames) == 8 and meta["rate"] == 12 and (meta["width"], meta["height"]) == (56, 40)
    assert meta["codec"] == "h264" and result.frames == 8
    assert np.abs(frames[0].astype(int) - line_clip["colours"][0]).mean() < 8
    assert line_clip["video"].read_bytes() == before


def test_colorize_file_errors(line_clip: dict, colorize_model: Path, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="the output is the input file"):
        colorize_file(line_clip["video"], line_clip["video"], {0: line_clip["key0"]}, model=colorize_model)
    with pytest.raises(InputError, match="no such file or folder"):
        colorize_file(tmp_path / "missing.mp4", tmp_path / "o.mp4", {0: line_clip["key0"]}, model=colorize_model)
    with pytest.raises(InputError, match=r"nokey.png: keyframe 3: no such image file"):
        colorize_file(line_clip["folder"], tmp_path / "o", {3: tmp_path / "nokey.png"}, model=colorize_model)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(InputError, match=r"keyframe 2: .*bad.png: not a readable image"):
        colorize_file(line_clip["folder"], tmp_path / "o", {2: bad}, model=colorize_model)
    with pytest.raises(InputError, match=r"keyframe 9 is outside the line-art sequence \(frames 0-7\)"):
        colorize_file(line_clip["video"], tmp_path / "o.mp4", {9: line_clip["key0"]}, model=colorize_model)
    assert not (tmp_path / "o.mp4").exists() and not (tmp_path / "o").exists()
    colour_video = write_video(tmp_path / "colour.mp4", line_clip["colours"])
    with pytest.raises(InputError, match="colour.mp4: frame 0: looks like colour frames, not line art"):
        colorize_file(colour_video, tmp_path / "c.mp4", {0: line_clip["key0"]}, model=colorize_model)


def _cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_colorize_folder_and_video(capsys: pytest.CaptureFixture[str], line_clip: dict,
                                       colorize_model: Path, tmp_path: Path) -> None:
    code, out, err = _cli(capsys, "colorize", line_clip["folder"], "-o", tmp_path / "pngs", "--key",
                          f"0={line_clip['key0']}", "--key", f"6={line_clip['key6']}", "--model", colorize_model,
                          "--device", "cpu")
    assert code == 0, err
    assert "wrote" in out and "8 frames, 2 keyframes, 1 shot cut" in out
    assert len(list((tmp_path / "pngs").glob("ink_*.png"))) == 8
    code, out, err = _cli(capsys, "colorize", line_clip["video"], "-o", tmp_path / "c.mkv", "--key",
                          f"0={line_clip['key0']}", "--model", colorize_model, "--max-side", "24")
    assert code == 0, err
    frames, meta = read_video(tmp_path / "c.mkv")
    assert len(frames) == 8 and meta["rate"] == 12


def test_cli_colorize_reports_held_frames_and_can_colour_them_anew(capsys: pytest.CaptureFixture[str],
                                                                     colorize_model: Path, tmp_path: Path) -> None:
    lines, colours = clip(3, 40, 56)
    folder = write_frames(tmp_path / "twos", [lines[0], lines[0], lines[1], lines[1], lines[2]], "ink_{:04d}.png")
    key = write_frames(tmp_path / "keys", [colours[0]], "key{}.png") / "key0.png"
    base = ["colorize", folder, "--key", f"0={key}", "--model", colorize_model, "--device", "cpu"]
    code, out, err = _cli(capsys, *base, "-o", tmp_path / "held")
    assert code == 0, err
    assert "5 frames, 1 keyframe, 2 held frames" in out
    code, out, err = _cli(capsys, *base, "-o", tmp_path / "anew", "--no-reuse-holds")
    assert code == 0, err
    assert "5 frames, 1 keyframe, 24 fps" in out


def test_video_input_gets_the_looser_hold_tolerance(colorize_model: Path, tmp_path: Path) -> None:
    # Each drawing twice, the copy 16 levels darker in one patch (coding noise on a hold): held for video input
    # (tolerance 20), coloured anew for image files (12) and when the tolerance is set to 12.
    lines, colours = clip(3, 40, 56)
    frames = []
    for line in lines:
        noisy = line.copy()
        noisy[4:14, 4:14] = np.clip(noisy[4:14, 4:14].astype(np.int16) - 16, 0, 255).astype(np.uint8)
        frames += [line, noisy]
    video = write_video(tmp_path / "twos.mkv", frames)
    folder = write_frames(tmp_path / "twos", frames)
    keys = {0: colours[0]}
    from_video = colorize_file(video, tmp_path / "v", keys, model=colorize_model, device="cpu")
    assert from_video.holds == (1, 3, 5)
    from_files = colorize_file(folder, tmp_path / "f", keys, model=colorize_model, device="cpu")
    assert from_files.holds == ()
    strict = colorize_file(video, tmp_path / "s", keys, model=colorize_model, device="cpu", hold_tolerance=12)
    assert strict.holds == ()


@pytest.mark.parametrize("args, message", [
    (["--hold-tolerance", "300"], "must be between 0 and 255"),
    (["--key", "zero=k.png"], "keyframe index must be a whole number"),
    (["--key", "0"], "expected INDEX=IMAGE"),
    ([], "the following arguments are required: --key"),
])
def test_cli_bad_key_syntax(capsys: pytest.CaptureFixture[str], line_clip: dict, tmp_path: Path,
                            args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["colorize", str(line_clip["folder"]), "-o", str(tmp_path / "o"), *args])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], line_clip: dict, colorize_model: Path,
                                 tmp_path: Path) -> None:
    code, _, err = _cli(capsys, "colorize", line_clip["folder"], "-o", tmp_path / "o", "--key",
                        f"0={line_clip['key0']}", "--key", f"0={line_clip['key6']}", "--model", colorize_model)
    assert code == 2 and "keyframe 0 is given twice" in err
    code, _, err = _cli(capsys, "colorize", line_clip["folder"], "-o", tmp_path / "o", "--key",
                        f"20={line_clip['key0']}", "--model", colorize_model)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "keyframe 20 is outside" in lines[0]
    assert lines[0].startswith("toonflow: error: ")


def test_cli_models_lists_colorize_models(capsys: pytest.CaptureFixture[str], colorize_model: Path) -> None:
    code, out, _ = _cli(capsys, "--model-dir", colorize_model.parent, "models", "--task", "colorize")
    rows = [line.split() for line in out.splitlines()[1:]]
    assert code == 0 and rows[0][:2] == ["mix", "colorize"] and {row[1] for row in rows} == {"colorize"}
