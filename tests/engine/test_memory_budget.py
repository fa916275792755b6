"""Tiles from a memory budget (--max-memory): the estimate, the tile it picks, and the peak it really gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Cartoonizer
from engine.errors import SettingsError
from engine.memory_budget import network_bytes_per_pixel, tile_for_budget
from engine.models import WEIGHTS_DIR
from engine.tiling import run_tiled

needs_cel = pytest.mark.skipif(not (WEIGHTS_DIR / "cel.onnx").is_file(), reason="cel is not in this checkout")


@needs_cel
def test_graph_estimate_orders_the_shipped_models() -> None:
    full = network_bytes_per_pixel(WEIGHTS_DIR / "cel.onnx")
    lite = network_bytes_per_pixel(WEIGHTS_DIR / "cel_lite.onnx")
    assert 200 < full < 2000 and lite < 0.75 * full  # the lite network is half as wide


def test_tile_shrinks_with_the_budget_and_refuses_an_impossible_one() -> None:
    sides = [tile_for_budget(mb * 2**20, 3840, 2160, network_per_pixel=500.0, temporal=True, multiple=4,
                             minimum=69) for mb in (1536, 2048, 3072)]
    assert sides == sorted(sides) and len(set(sides)) == 3 and all(s % 4 == 0 for s in sides)
    assert tile_for_budget(2048 * 2**20, 3840, 2160, network_per_pixel=500.0, temporal=False, multiple=4,
                           minimum=69) > sides[1]  # the stabiliser's buffers leave less for the network
    with pytest.raises(SettingsError, match=r"3840x2160 frame needs about \d+ MB"):
        tile_for_budget(400 * 2**20, 3840, 2160, network_per_pixel=500.0, temporal=True, multiple=4, minimum=69)


@needs_cel
def test_cartoonizer_uses_the_budget_tile() -> None:
    rgb = cv2.resize(np.random.default_rng(0).integers(0, 256, (45, 80, 3), np.uint8), (800, 450))
    toon = Cartoonizer("cel", device="cpu", precision="fp32", max_memory_mb=300)
    tile = toon.tile_for(450, 800)
    assert 0 < tile < 450  # a tight budget: tiles smaller than the frame
    from engine.frames import from_network, to_network

    expected = from_network(run_tiled(to_network(rgb), toon._net, multiple=4, tile=tile, overlap=32))
    np.testing.assert_array_equal(toon.network_rgb(rgb), expected)  # the card's region flattening comes after
    with pytest.raises(SettingsError, match="max memory"):
        Cartoonizer("cel", device="cpu", max_memory_mb=0)


@needs_cel
def test_peak_memory_stays_under_the_budget(tmp_path: Path) -> None:
    """A 2560x1440 frame through the default style with the stabiliser, in a fresh process: its peak resident
    memory (VmHWM: the child's own, not the test runner's) stays under --max-memory."""
    frame = cv2.resize(np.random.default_rng(1).integers(0, 256, (36, 64, 3), np.uint8), (2560, 1440))
    src = tmp_path / "frames"
    src.mkdir()
    for i in range(2):
        cv2.imwrite(str(src / f"{i}.png"), np.roll(frame, 8 * i, 1))
    budget = 900
    code = ("import sys; from engine.cli import main; from engine.memory_budget import peak_resident_bytes; "
            f"rc = main(['cartoonize', {str(src)!r}, '-o', {str(tmp_path / 'out')!r}, '--temporal', '--device', "
            f"'cpu', '--precision', 'fp32', '--max-memory', '{budget}']); "
            "print('peak', peak_resident_bytes() // 2**20); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    peak = int(done.stdout.split("peak")[-1])
    assert peak <= budget, f"peak {peak} MB over the {budget} MB budget"


def test_peak_is_the_process_own_not_its_parents() -> None:
    """A child started from a process that holds 600 MB reports its own peak (Linux carries ru_maxrss across exec)."""
    held = np.ones(600 * 2**20, np.uint8)  # touched pages: resident in this process
    code = "from engine.memory_budget import peak_resident_bytes; print(peak_resident_bytes() // 2**20)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert int(done.stdout) < 300 < held.size // 2**20
