from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import build_parser, main

from .helpers import audio_packets, make_video, read_video, write_model

ROOT = Path(__file__).resolve().parents[2]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("toonflow: error: ")
    return lines[0]


def test_models_one_line_per_model(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`toonflow models`: a header, then one line per model in search order: name, task, `yes` under DEFAULT for
    each task's default model (by name, from whichever folder), and the card's description on one line."""
    from engine import models

    from .colorize_fixtures import write_colorize_model

    monkeypatch.setattr(models, "WEIGHTS_DIR", tmp_path / "no_weights")  # only this test's models
    folder = tmp_path / "models"
    toon_default, colour_default = models.DEFAULT_MODELS["cartoonize"], models.DEFAULT_MODELS["colorize"]
    write_model(folder, toon_default, description="the default look")
    write_model(folder, "other_style", seed=1, description="another look,\n  written  on two lines")
    write_model(folder, "z_nodesc", seed=2, description="")
    write_colorize_model(folder, colour_default)
    write_colorize_model(folder, "mix_fast", description="a faster mix")
    code, out, _ = run_cli(capsys, "--model-dir", folder, "models")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == ["NAME", "TASK", "DEFAULT", "DESCRIPTION"]
    task_at, default_at, description_at = (header.index(h) for h in ("TASK", "DEFAULT", "DESCRIPTION"))
    rows = [(line[:task_at].strip(), line[task_at:default_at].strip(), line[default_at:description_at].strip(),
             line[description_at:]) for line in lines]
    assert rows == sorted([  # the folder's files in name order
        (toon_default, "cartoonize", "yes", "the default look"),
        ("other_style", "cartoonize", "", "another look, written on two lines"),
        ("z_nodesc", "cartoonize", "", "-"),
        (colour_default, "colorize", "yes", "fixed-weight test fixture (reference mix), not trained"),
        ("mix_fast", "colorize", "", "a faster mix"),
    ])
    code, out, _ = run_cli(capsys, "--model-dir", folder, "models", "--task", "colorize")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["NAME", *sorted([colour_default, "mix_fast"])]
    code, out, _ = run_cli(capsys, "--model-dir", folder, "models", "--long")
    assert code == 0
    assert f"\n{toon_default}  (default cartoonize model)\n" in f"\n{out}"
    assert f"\n{colour_default}  (default colorize model)\n" in out and "\nother_style\n" in out


def test_models_long_lists_card_details(capsys: pytest.CaptureFixture[str], model_dir: Path) -> None:
    code, out, _ = run_cli(capsys, "--model-dir", model_dir, "models", "--long")
    assert code == 0
    for text in ("tiny_gf\n", "task:        cartoonize", "recipe:      test", "tiny fixed-weight test model",
                 "network:     tiny_test_net (tiling yes)", "steps:       0",
                 f"file:        {model_dir / 'tiny.onnx'}"):
        assert text in out


def test_models_none_installed(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import models

    monkeypatch.setattr(models, "WEIGHTS_DIR", tmp_path)
    code, out, _ = run_cli(capsys, "models")
    assert code == 0 and "no models installed" in out


def test_cartoonize_video_end_to_end(capsys: pytest.CaptureFixture[str], video_with_audio: Path,
                                     tiny_model: Path, tmp_path: Path) -> None:
    before = video_with_audio.read_bytes()
    out = tmp_path / "toon.mp4"
    code, stdout, err = run_cli(capsys, "cartoonize", video_with_audio, "-o", out, "--model", tiny_model,
                                "--device", "cpu", "--temporal", "--strength", "0.9", "--tile", "32")
    assert code == 0, err
    assert "wrote" in stdout and "12 frames" in stdout
    frames, meta = read_video(out)
    src, _ = read_video(video_with_audio)
    assert len(frames) == 12 and meta["rate"] == 25 and (meta["width"], meta["height"]) == (64, 48)
    assert np.abs(frames[3].astype(int) - src[3]).mean() > 2
    assert audio_packets(out) == audio_packets(video_with_audio)
    assert video_with_audio.read_bytes() == before


def test_cartoonize_to_png_folder_and_single_image(capsys: pytest.CaptureFixture[str], video_with_audio: Path,
                                                   tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    code, _, err = run_cli(capsys, "cartoonize", video_with_audio, "-o", folder, "--model", tiny_model)
    assert code == 0, err
    assert len(list(folder.glob("frame_*.png"))) == 12
    single = tmp_path / "one.png"
    code, _, err = run_cli(capsys, "cartoonize", folder / "frame_000001.png", "-o", single, "--model", tiny_model)
    assert code == 0, err and single.is_file()


@pytest.mark.parametrize("case", ["missing", "not_video", "same_file", "bad_model", "wrong_task", "unknown_model",
                                  "busy_folder", "under_a_file"])
def test_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, tiny_model: Path,
                                     video_with_audio: Path, case: str) -> None:
    out = tmp_path / "o.mp4"
    model = str(tiny_model)
    inp: Path = video_with_audio
    expect = ""
    if case == "missing":
        inp, expect = tmp_path / "nope.mp4", "nope.mp4: no such file"
    elif case == "not_video":
        inp = tmp_path / "notes.mp4"
        inp.write_text("not a video at all\n" * 20)
        expect = "notes.mp4: not a video"
    elif case == "same_file":
        out, expect = video_with_audio, "the output is the input file"
    elif case == "bad_model":
        p = write_model(tmp_path / "m", "broken")
        p.write_bytes(p.read_bytes()[:-20])
        model, expect = str(p), "broken.onnx: model file is corrupt"
    elif case == "wrong_task":
        model = str(write_model(tmp_path / "m", "col", task="colorize"))
        expect = "is a 'colorize' model, not a 'cartoonize' model"
    elif case == "unknown_model":
        model, expect = "does_not_exist", "model 'does_not_exist' not found"
    elif case == "under_a_file":
        (tmp_path / "notes.txt").write_text("x")
        out, expect = tmp_path / "notes.txt" / "out.mp4", "notes.txt is a file, not a folder"
    elif case == "busy_folder":
        out = tmp_path / "busy"
        out.mkdir()
        (out / "keep.txt").write_text("x")
        expect = "already contains other files"
    before = video_with_audio.read_bytes()
    code, _, err = run_cli(capsys, "cartoonize", inp, "-o", out, "--model", model, "--device", "cpu")
    assert code == 2
    assert expect in one_line_error(err)
    assert video_with_audio.read_bytes() == before
    assert not any("toonflow-tmp" in p.name for p in tmp_path.iterdir())


def test_corrupt_input_mid_stream_leaves_no_output(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   tiny_model: Path) -> None:
    src = tmp_path / "broken.mp4"
    make_video(src, n=30, audio=None)
    data = bytearray(src.read_bytes())
    n = len(data)
    data[n // 3:n // 3 + n // 6] = b"\xff" * (n // 6)
    src.write_bytes(bytes(data))
    out = tmp_path / "out.mp4"
    code, _, err = run_cli(capsys, "cartoonize", src, "-o", out, "--model", tiny_model)
    assert code == 2
    assert "broken.mp4: frame" in one_line_error(err)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp4"]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as e:
        main(["cartoonize", str(tmp_path / "a.mp4"), "-o", str(tmp_path / "b.mp4"), "--strength", "3"])
    assert e.value.code == 2
    assert "must be between 0 and 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["cartoonize", "a.mp4"])  # no -o
    assert e.value.code == 2


@pytest.mark.parametrize("fps", ["inf", "nan", "0.0001", "0", "5000"])
def test_frame_rate_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  fps: str) -> None:
    for command in (["cartoonize"], ["colorize", "--key", f"0={tmp_path / 'k.png'}"]):
        with pytest.raises(SystemExit) as e:
            main([*command[:1], str(tmp_path / "frames"), "-o", str(tmp_path / "b.mp4"), *command[1:], "--fps", fps])
        assert e.value.code == 2
        assert "--fps: must be between 0.1 and 1000" in capsys.readouterr().err


def test_library_refuses_a_frame_rate_out_of_range(tmp_path: Path) -> None:
    from engine.errors import SettingsError
    from engine.media_input import open_frames

    with pytest.raises(SettingsError, match="between 0.1 and 1000"):
        open_frames(tmp_path, fps=float("inf"))


def test_model_help_names_each_tasks_default_model() -> None:
    from engine.models import DEFAULT_MODELS

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    for task in ("cartoonize", "colorize"):
        model = next(a for a in commands[task]._actions if a.dest == "model")
        assert model.help.endswith(f"(default: {DEFAULT_MODELS[task]})"), model.help


def test_parser_has_all_options() -> None:
    args = build_parser().parse_args(["cartoonize", "in.mp4", "-o", "out.mp4", "--model", "comic", "--device", "gpu",
                                      "--tile", "512", "--strength", "0.5", "--no-temporal",
                                      "--temporal-strength", "0.3"])
    assert (args.model, args.device, args.tile, args.strength, args.temporal, args.temporal_strength) == \
        ("comic", "gpu", 512, 0.5, False, 0.3)


def test_python_dash_m_engine(tmp_path: Path) -> None:
    env = dict(os.environ, TOONFLOW_MODEL_PATH="")
    r = subprocess.run([sys.executable, "-m", "engine", "cartoonize", str(tmp_path / "x.mp4"), "-o",
                        str(tmp_path / "y.mp4")], capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 2
    assert r.stderr.strip() == f"toonflow: error: {tmp_path / 'x.mp4'}: no such file or folder; check the path"
    r = subprocess.run([sys.executable, "-m", "engine", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "cartoonize" in r.stdout and "models" in r.stdout


def test_common_options_before_or_after_command() -> None:
    p = build_parser()
    a = p.parse_args(["-v", "--model-dir", "d1", "models"])
    b = p.parse_args(["models", "-vv", "--model-dir", "d2"])
    assert (a.verbose, a.model_dir) == (1, [Path("d1")])
    assert (b.verbose, b.model_dir) == (2, [Path("d2")])
