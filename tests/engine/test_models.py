from __future__ import annotations

import json
import subprocess
import sys
import logging
from pathlib import Path

import pytest

from engine import models
from engine.cartoonize import Cartoonizer
from engine.errors import ModelError
from engine.models import find_models, load_card, resolve_model

from .helpers import write_model


def test_find_models_lists_cards(model_dir: Path) -> None:
    names = [c.name for c in find_models([model_dir])]
    assert {"tiny", "tiny_gf", "tiny_notile"} <= set(names)
    card = next(c for c in find_models([model_dir]) if c.name == "tiny_gf")
    assert card.guided_filter is not None and card.guided_filter.radius == 1
    assert card.guided_filter.eps == pytest.approx(0.005)
    assert card.size_multiple == 4 and card.tile_overlap == 8 and card.training_steps == 0


def test_a_symlink_loop_as_model_folder_is_skipped_with_a_warning(
    model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with caplog.at_level(logging.WARNING, logger="engine.models"):
        names = {c.name for c in find_models([loop, model_dir])}
    assert "tiny" in names
    assert f"model folder {loop} does not exist or is not a readable folder" in caplog.text


def test_env_model_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_model(a, "alpha")
    write_model(b, "beta")
    monkeypatch.setenv("TOONFLOW_MODEL_PATH", f"{a}{__import__('os').pathsep}{b}")
    assert {"alpha", "beta"} <= {c.name for c in find_models()}
    assert resolve_model("beta", "cartoonize").onnx_path == b / "beta.onnx"


def test_first_folder_wins_on_duplicate_names(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_model(tmp_path / "one", "dup", seed=0)
    write_model(tmp_path / "two", "dup", seed=1)
    with caplog.at_level(logging.WARNING):
        cards = [c for c in find_models([tmp_path / "one", tmp_path / "two"]) if c.name == "dup"]
    assert len(cards) == 1 and cards[0].onnx_path.parent.name == "one"
    assert "shadowed" in caplog.text


def test_resolve_by_name_and_by_path(model_dir: Path, tiny_model: Path) -> None:
    assert resolve_model("tiny", "cartoonize", [model_dir]).onnx_path == tiny_model
    assert resolve_model(str(tiny_model), "cartoonize").name == "tiny"
    assert resolve_model(tiny_model.with_suffix(".json"), "cartoonize").name == "tiny"


def test_default_model_is_cel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(models, "WEIGHTS_DIR", tmp_path / "empty")
    with pytest.raises(ModelError, match="model 'cel' not found"):
        resolve_model(None, "cartoonize")


@pytest.mark.parametrize("task", sorted(models.DEFAULT_MODELS))
def test_each_default_model_is_shipped(task: str) -> None:
    """What `toonflow cartoonize` / `colorize` (and `make demo`) use without --model is in engine/weights."""
    card = load_card(models.WEIGHTS_DIR / f"{models.DEFAULT_MODELS[task]}.onnx")
    assert card.name == models.DEFAULT_MODELS[task] and card.task == task


def test_unknown_name_lists_installed(model_dir: Path) -> None:
    with pytest.raises(ModelError, match=r"'nope' not found; installed cartoonize models: .*tiny"):
        resolve_model("nope", "cartoonize", [model_dir])


def test_missing_onnx_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found"):
        resolve_model(tmp_path / "missing.onnx", "cartoonize")


def test_missing_card(tmp_path: Path) -> None:
    p = write_model(tmp_path, "nocard")
    p.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="no model card nocard.json"):
        resolve_model(p, "cartoonize")


def test_sha_mismatch_is_corrupt(tmp_path: Path) -> None:
    p = write_model(tmp_path, "bad")
    data = bytearray(p.read_bytes())
    data[-10] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"bad.onnx: model file is corrupt"):
        resolve_model(p, "cartoonize")


def test_truncated_model_is_corrupt(tmp_path: Path) -> None:
    p = write_model(tmp_path, "trunc")
    p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(ModelError, match="corrupt"):
        resolve_model(p, "cartoonize")


def test_not_onnx_with_matching_hash(tmp_path: Path) -> None:
    p = write_model(tmp_path, "text", model_bytes=b"this is not an onnx model\n")
    with pytest.raises(ModelError, match="not an ONNX model"):
        resolve_model(p, "cartoonize")


def test_protobuf_garbage_rejected_by_onnxruntime(tmp_path: Path) -> None:
    p = write_model(tmp_path, "garbage", model_bytes=b"\x08\x07" + bytes(range(200)))
    with pytest.raises(ModelError, match="onnxruntime cannot load this model"):
        Cartoonizer(p, device="cpu")


def test_unparsable_card(tmp_path: Path) -> None:
    p = write_model(tmp_path, "badjson")
    p.with_suffix(".json").write_text("{not json")
    with pytest.raises(ModelError, match="badjson.json: model card is not valid JSON"):
        resolve_model(p, "cartoonize")


def test_card_field_types(tmp_path: Path) -> None:
    p = write_model(tmp_path, "types", size_multiple="4")
    with pytest.raises(ModelError, match="'size_multiple' must be int"):
        load_card(p)
    card = json.loads(p.with_suffix(".json").read_text())
    card["size_multiple"] = 4
    del card["input_name"]
    p.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="lacks the required field 'input_name'"):
        load_card(p)


def test_broken_cards_skipped_in_listing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_model(tmp_path, "good")
    bad = write_model(tmp_path, "broken")
    bad.with_suffix(".json").write_text("[]")
    with caplog.at_level(logging.WARNING):
        names = [c.name for c in find_models([tmp_path])]
    assert "good" in names and "broken" not in names
    assert "broken.json: model card must be a JSON object" in caplog.text


def test_model_for_another_task(tmp_path: Path) -> None:
    p = write_model(tmp_path, "colour", task="colorize")
    with pytest.raises(ModelError, match=r"'colour' is a 'colorize' model, not a 'cartoonize' model"):
        resolve_model(p, "cartoonize")
    with pytest.raises(ModelError, match="not a 'cartoonize' model"):
        Cartoonizer("colour", extra_model_dirs=[tmp_path])


def test_card_graph_name_mismatch(tmp_path: Path) -> None:
    p = write_model(tmp_path, "names", input_name="input")
    with pytest.raises(ModelError, match="do not match the card's input_name 'input'"):
        Cartoonizer(p, device="cpu")


def test_no_scan_at_import() -> None:
    code = (
        "import pathlib, os\n"
        "calls = []\n"
        "orig = pathlib.Path.glob\n"
        "pathlib.Path.glob = lambda self, pat: calls.append(str(self)) or orig(self, pat)\n"
        "import engine, engine.cli\n"
        "print(len([c for c in calls if 'weights' in c]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "0"


def test_model_line_names_the_task_marks_the_default_and_folds_the_description() -> None:
    cards = {card.name: card for card in models.find_models(())}
    assert models.model_line(cards["cel"]).startswith("cel (cartoonize, default): clean flat cel look")
    line = models.model_line(cards["comic"])
    assert line.startswith("comic (cartoonize): ") and "\n" not in line
