# SPDX-License-Identifier: GPL-3.0-or-later
"""The Line Art Colorize node, Colorize Strip and the colorize CLI under the real bpy wheels (4.5 LTS and 5.0).

One subprocess per version runs every scenario (tests/addon/bpy_colorize_scenarios.py) against the installed zip,
with a contract-conforming fixture model (fixed weights, not trained) in the add-on's model folder.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import H, W, assert_clean_exit, doubled_prefix_lines, scenario_result
from tests.engine.colorize_fixtures import clip, write_colorize_model, write_video

SCENARIOS = ["install", "model_search", "colorize_node", "colorize_animation", "colorize_strip", "colorize_bad_inputs",
             "colorize_cli", "colorize_movie_holds", "colorize_shipped", "colorize_two_sided", "unregister"]
N_LINES = 6


@pytest.fixture(scope="session")
def scenario_media(tmp_path_factory: pytest.TempPathFactory, media: dict) -> dict:
    """The driver's media for these scenarios: `media` plus a 6-frame line-art PNG sequence, keyframe colours for
    frames 1 and 6, a keyframe of another size, and two colorize models."""
    root = tmp_path_factory.mktemp("colorize_media")
    model_dir = root / "models"
    write_colorize_model(model_dir, "mix")
    write_colorize_model(model_dir, "mix2")
    lines, colours = clip(N_LINES, H, W)
    folder = root / "lines"
    folder.mkdir()
    paths = []
    for i, line in enumerate(lines, start=1):
        p = folder / f"lines_{i:04d}.png"
        cv2.imwrite(str(p), line)
        paths.append(str(p))
    keys = {}
    for frame in (1, N_LINES):
        p = root / f"key_{frame:04d}.png"
        cv2.imwrite(str(p), cv2.cvtColor(colours[frame - 1], cv2.COLOR_RGB2BGR))
        keys[frame] = str(p)
    big = root / "key_big.png"
    cv2.imwrite(str(big), cv2.resize(cv2.cvtColor(colours[0], cv2.COLOR_RGB2BGR), (W * 2, H * 2)))
    # two drawings, each twice: the copy 16 levels darker in one patch (coding noise on a hold)
    twos = []
    for line in lines[:2]:
        noisy = line.copy()
        noisy[4:14, 4:14] = np.clip(noisy[4:14, 4:14].astype(np.int16) - 16, 0, 255).astype(np.uint8)
        twos += [line, noisy]
    hold_movie = write_video(root / "hold_twos.mkv", twos)
    hold_folder = root / "hold_twos"
    hold_folder.mkdir()
    for i, line in enumerate(twos):  # numbered from 0 like the movie's frames
        cv2.imwrite(str(hold_folder / f"hold_{i:04d}.png"), line)
    return {**media, "root": str(root), "model_dir": str(model_dir), "color_model": "mix", "color_model_copy": "mix2",
            "hold_movie": str(hold_movie), "hold_lines": str(hold_folder / "hold_0000.png"),
            "lines": paths, "key1": keys[1], "key6": keys[N_LINES],
            "key_big": str(big), "n_frames": N_LINES}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(bpy_results: tuple[str, dict], scenario: str) -> None:
    res = scenario_result(bpy_results, scenario)
    if str(res["detail"]).startswith("SKIPPED"):
        pytest.skip(f"bpy {bpy_results[0]}: {res['detail']}")


def test_bad_input_messages_on_stderr(bpy_results: tuple[str, dict]) -> None:
    version, results = bpy_results
    err = str(results["_stderr"]["detail"])
    assert "no keyframe" in err and "keyframe image for frame 6 not found" in err, err[-3000:]
    assert "model 'no_such_colour_model' not found" in err
    # the add-on's own echo (the engine also logs the warning, on a line without a prefix)
    resized = [line for line in err.splitlines()
               if line.startswith("Toonflow") and "is 128x96 but the line art is 64x48" in line]
    assert resized and all(line.startswith("Toonflow warning: keyframe at frame 1 ") for line in resized), resized
    assert not doubled_prefix_lines(err)
    assert "skipped: a sound strip has no pictures" in err and "a colour strip is a flat colour" in err


def test_clean_exit(bpy_results: tuple[str, dict]) -> None:
    assert_clean_exit(bpy_results)
