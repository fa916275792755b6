"""Several cartoon models side by side: the shipped pmc, a copy of it under another name in TOONFLOW_MODEL_PATH,
and a second architecture; `toonflow models` lists them all and `--model NAME` picks each one."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.cli import main
from engine.models import MODEL_PATH_ENV, WEIGHTS_DIR, find_models, resolve_model

from .helpers import pattern, write_model

pytestmark = pytest.mark.skipif(not (WEIGHTS_DIR / "pmc.onnx").is_file(), reason="shipped pmc weights missing")


@pytest.fixture()
def two_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user model folder with `pmc_copy` (the shipped pmc file under another name) and `tiny_style`."""
    folder = tmp_path / "user_models"
    folder.mkdir()
    shutil.copyfile(WEIGHTS_DIR / "pmc.onnx", folder / "pmc_copy.onnx")
    card = json.loads((WEIGHTS_DIR / "pmc.json").read_text())
    card.update(name="pmc_copy", description="the shipped pmc under another name")
    (folder / "pmc_copy.json").write_text(json.dumps(card))
    write_model(folder, "tiny_style", seed=3, architecture="tiny_conv", supports_tiling=False)
    monkeypatch.setenv(MODEL_PATH_ENV, str(folder))
    return folder


def test_listing_shows_every_installed_model_in_search_order(two_models: Path, capsys) -> None:
    names = [card.name for card in find_models(task="cartoonize")]
    assert names[:2] == ["pmc_copy", "tiny_style"] and "pmc" in names
    assert main(["models", "--task", "cartoonize"]) == 0
    out = capsys.readouterr().out
    assert "pmc  (default)" in out and "pmc_copy\n" in out and "tiny_style\n" in out
    assert "network:     ssa_generator (tiling yes)" in out and "network:     tiny_conv (tiling no)" in out
    assert f"file:        {two_models / 'pmc_copy.onnx'}" in out


def test_picking_a_model_by_name(two_models: Path, tmp_path: Path, capsys) -> None:
    assert resolve_model("pmc_copy", "cartoonize").onnx_path == two_models / "pmc_copy.onnx"
    assert resolve_model(None, "cartoonize").onnx_path == WEIGHTS_DIR / "pmc.onnx"
    source = tmp_path / "frame.png"
    cv2.imwrite(str(source), cv2.cvtColor(pattern(3, 60, 84), cv2.COLOR_RGB2BGR))
    outputs = {}
    for name in ("pmc", "pmc_copy", "tiny_style"):
        target = tmp_path / f"{name}.png"
        assert main(["cartoonize", str(source), "-o", str(target), "--model", name]) == 0
        outputs[name] = cv2.imread(str(target))
        assert outputs[name].shape == (60, 84, 3)
    assert np.array_equal(outputs["pmc"], outputs["pmc_copy"])  # same weights under two names
    assert not np.array_equal(outputs["pmc"], outputs["tiny_style"])
    capsys.readouterr()
    assert main(["cartoonize", str(source), "-o", str(tmp_path / "x.png"), "--model", "nope"]) == 2
    assert "installed cartoonize models: pmc, pmc_copy, tiny_style" in capsys.readouterr().err
