"""`python -m training quantize` on a tiny real convolution net: the int8 file, its measurements, the card."""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest

from engine import Cartoonizer
from engine.models import find_models, load_card
from tests.engine.quantized_fixtures import trunk_model, write_trunk_model
from training.cli import main as training_main
from training.quantize import TASK_NODE_SCOPE, QuantizeSettings, float_ends, quantize_model

@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    return write_trunk_model(tmp_path / "weights", "tiny")


def _settings(data: Path) -> QuantizeSettings:
    return QuantizeSettings(data=data, calibration_frames=4, speed_size=(48, 64), speed_repeats=2, command="test")


def test_trunk_is_quantized_and_its_ends_stay_float() -> None:
    kept = float_ends(trunk_model(), ("Conv", "LeakyRelu", "Add"))
    # stem and head convolutions, the stem's activation is inside (a conv on both sides), the residual is outside
    assert kept == ["stem", "head", "residual"]


def test_quantize_writes_int8_copy_and_card_section(tiny: Path, cartoon_data: Path) -> None:
    result = quantize_model(tiny, _settings(cartoon_data))
    section = result.section
    int8_path = tiny.with_name("tiny.int8.onnx")
    assert section["quality_held"] is True and result.int8_path == int8_path and int8_path.is_file()
    assert section["file"] == "tiny.int8.onnx"
    assert section["sha256"] == hashlib.sha256(int8_path.read_bytes()).hexdigest()
    quality = section["quality"]
    assert quality["frames"] == 6 and len(quality["frame_names"]) == 6  # every held-out photo, none calibrated on
    assert 40.0 <= quality["psnr_vs_fp32_db"]["min"] <= quality["psnr_vs_fp32_db"]["mean"] < 100.0
    flicker = quality["e_short"]  # the fixture's training clip: 4 frames moving 2 px each
    assert list(flicker["clips"]) == ["clip0"] and flicker["frames_per_clip"] == 4
    assert 0 < flicker["fp32"] and flicker["int8_over_fp32"] == pytest.approx(flicker["int8"] / flicker["fp32"])
    assert flicker["int8_over_fp32"] <= 1.05 and "E_short of int8" in quality["rule"]
    assert section["calibration"]["samples"] == 4 and section["calibration"]["source"].endswith("photos/train")
    # the trunk's ends and, by the cartoonize scope, its nodes outside the quarter-resolution stage stay float
    assert sorted(section["quantization"]["kept_float"]) == ["head", "residual", "skip", "stem", "stem_act"]
    assert section["quantization"]["node_scope"] == TASK_NODE_SCOPE["cartoonize"]
    assert section["speed"]["fp32"]["best_s"] > 0 and section["cpu_speedup"] > 0 and section["command"] == "test"
    # QDQ: the inner convolutions carry int8 weights
    ops = [n.op_type for n in onnx.load(str(int8_path)).graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    card = load_card(tiny)
    assert card.int8 is not None and card.int8.path == int8_path and card.int8.quality_held
    assert json.loads(tiny.with_suffix(".json").read_text())["int8"] == section
    # the copy is not a model of its own, and the engine runs it when asked
    assert [c.name for c in find_models([tiny.parent])].count("tiny") == 1
    frame = np.random.default_rng(1).integers(0, 255, (20, 24, 3), dtype=np.uint8)
    toon = Cartoonizer(tiny, device="cpu", precision="int8", extra_model_dirs=[tiny.parent])
    assert toon.precision == "int8"
    reference = Cartoonizer(tiny, device="cpu", precision="fp32").process(frame)
    assert np.abs(toon.process(frame).astype(int) - reference).max() <= 6


def test_an_empty_scope_quantizes_the_whole_trunk(tiny: Path, cartoon_data: Path) -> None:
    section = quantize_model(tiny, replace(_settings(cartoon_data), node_scope="")).section
    assert sorted(section["quantization"]["kept_float"]) == ["head", "residual", "stem"]
    assert section["quantization"]["node_scope"] is None


def test_failed_quality_keeps_no_file_and_says_why(tiny: Path, cartoon_data: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("training.quantize.CARTOONIZE_TARGET_DB", 99.0)
    result = quantize_model(tiny, _settings(cartoon_data))
    assert result.int8_path is None and not tiny.with_name("tiny.int8.onnx").exists()
    assert result.section["file"] is None and result.section["quality_held"] is False
    assert "target >= 99 dB" in result.section["why_not_shipped"]
    card = load_card(tiny)
    assert card.int8 is not None and card.int8.path is None and not card.int8.preferred_on_cpu
    assert Cartoonizer(tiny, device="cpu").precision == "fp32"


def test_more_flicker_keeps_fp32_even_when_psnr_held(tiny: Path, cartoon_data: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("training.quantize.CARTOONIZE_FLICKER_RATIO", 0.5)  # int8 must halve fp32's flicker
    result = quantize_model(tiny, _settings(cartoon_data))
    assert result.section["quality"]["psnr_vs_fp32_db"]["mean"] >= 40.0  # per-frame quality held ...
    assert result.int8_path is None and "(target <= 0.5)" in result.section["why_not_shipped"]  # ... flicker did not
    assert Cartoonizer(tiny, device="cpu").precision == "fp32"


def test_cli_quantize_records_its_command(tiny: Path, cartoon_data: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["quantize", str(tiny), "--data", str(cartoon_data), "--calibration-frames", "3", "--speed-repeats", "1"]
    assert training_main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    section = json.loads(tiny.with_suffix(".json").read_text())["int8"]
    assert section["command"] == "python -m training " + " ".join(argv)


def test_cli_quantize_without_data_names_the_bootstrap(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no cartoonize train data; build it with `python -m training bootstrap"):
        training_main(["quantize", str(tiny), "--data", str(tmp_path / "nothing")])


def test_colorize_pairs_keyframe_and_previous_frame(tmp_path: Path) -> None:
    from training.quantize_data import COLORIZE_INTERVALS, _colorize_pairs, split_files

    for shot in ("a", "b"):
        (tmp_path / "train" / shot / "lineart" / "xdog").mkdir(parents=True)
        for i in range(12):
            (tmp_path / "train" / shot / "color").mkdir(exist_ok=True)
            (tmp_path / "train" / shot / "color" / f"{i:06d}.png").touch()
    shots = split_files(tmp_path, "colorize", "train")
    calibration = _colorize_pairs(shots, two_references=True)
    assert len(calibration) == 2 * len(COLORIZE_INTERVALS) * 2  # shots x intervals x targets per shot
    assert all(refs[1] == t - 1 and t - refs[0] in COLORIZE_INTERVALS for _, t, refs in calibration)
    assert all(len(refs) == 1 for _, _, refs in _colorize_pairs(shots, two_references=False))
