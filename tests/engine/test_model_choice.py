"""Several cartoon models side by side: the shipped default, a copy of it under another name in
TOONFLOW_MODEL_PATH, and a second architecture; `toonflow models` lists them all and `--model NAME` picks each one."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.cli import main
from engine.models import DEFAULT_MODELS, MODEL_PATH_ENV, WEIGHTS_DIR, find_models, load_card, resolve_model

from .helpers import pattern, write_model

DEFAULT = DEFAULT_MODELS["cartoonize"]
COPY = f"{DEFAULT}_copy"

pytestmark = pytest.mark.skipif(not (WEIGHTS_DIR / f"{DEFAULT}.onnx").is_file(),
                                reason=f"shipped default weights engine/weights/{DEFAULT}.onnx missing")


@pytest.fixture()
def two_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user model folder with `<default>_copy` (the shipped default file under another name) and `tiny_style`."""
    folder = tmp_path / "user_models"
    folder.mkdir()
    shutil.copyfile(WEIGHTS_DIR / f"{DEFAULT}.onnx", folder / f"{COPY}.onnx")
    card = json.loads((WEIGHTS_DIR / f"{DEFAULT}.json").read_text())
    card.update(name=COPY, description=f"the shipped {DEFAULT} under another name")
    if (card.get("int8") or {}).get("file"):  # its int8 copy too, so that both names run the same precision
        card["int8"]["file"] = f"{COPY}.int8.onnx"
        shutil.copyfile(WEIGHTS_DIR / f"{DEFAULT}.int8.onnx", folder / f"{COPY}.int8.onnx")
    (folder / f"{COPY}.json").write_text(json.dumps(card))
    write_model(folder, "tiny_style", seed=3, architecture="tiny_conv", supports_tiling=False)
    monkeypatch.setenv(MODEL_PATH_ENV, str(folder))
    return folder


def test_listing_shows_every_installed_model_in_search_order(two_models: Path, capsys) -> None:
    names = [card.name for card in find_models(task="cartoonize")]
    assert names[:2] == [COPY, "tiny_style"] and DEFAULT in names
    assert main(["models", "--task", "cartoonize"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == names  # one line per model
    default_at, description_at = header.index("DEFAULT"), header.index("DESCRIPTION")
    marked = {line.split()[0]: line[default_at:description_at].strip() for line in lines}
    assert marked == {name: "yes" if name == DEFAULT else "" for name in names}
    assert lines[0][description_at:] == f"the shipped {DEFAULT} under another name"
    assert main(["models", "--task", "cartoonize", "--long"]) == 0
    out = capsys.readouterr().out
    shipped = load_card(WEIGHTS_DIR / f"{DEFAULT}.onnx")
    assert f"{DEFAULT}  (default cartoonize model)\n" in out and f"{COPY}\n" in out and "tiny_style\n" in out
    assert (f"network:     {shipped.architecture} (tiling {'yes' if shipped.supports_tiling else 'no'})" in out
            and "network:     tiny_conv (tiling no)" in out)
    assert f"file:        {two_models / f'{COPY}.onnx'}" in out


def test_picking_a_model_by_name(two_models: Path, tmp_path: Path, capsys) -> None:
    assert resolve_model(COPY, "cartoonize").onnx_path == two_models / f"{COPY}.onnx"
    assert resolve_model(None, "cartoonize").onnx_path == WEIGHTS_DIR / f"{DEFAULT}.onnx"
    source = tmp_path / "frame.png"
    cv2.imwrite(str(source), cv2.cvtColor(pattern(3, 60, 84), cv2.COLOR_RGB2BGR))
    outputs = {}
    for name in (DEFAULT, COPY, "tiny_style"):
        target = tmp_path / f"{name}.png"
        assert main(["cartoonize", str(source), "-o", str(target), "--model", name]) == 0
        outputs[name] = cv2.imread(str(target))
        assert outputs[name].shape == (60, 84, 3)
    assert np.array_equal(outputs[DEFAULT], outputs[COPY])  # same weights under two names
    assert not np.array_equal(outputs[DEFAULT], outputs["tiny_style"])
    capsys.readouterr()
    assert main(["cartoonize", str(source), "-o", str(tmp_path / "x.png"), "--model", "nope"]) == 2
    installed = sorted(card.name for card in find_models(task="cartoonize"))
    assert {DEFAULT, COPY, "tiny_style"} <= set(installed)
    assert f"installed cartoonize models: {', '.join(installed)}" in capsys.readouterr().err
