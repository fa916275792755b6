"""Colorization trainer end to end at smoke scale: both recipes, resume, CLI, export with ONNX parity, DDP (gloo)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnxruntime
import pytest
import torch

from engine.colorize import Colorizer, Reference
from engine.models import load_card, verify_model_file
from training.checkpoint import load_generator_state
from training.cli import main as training_main
from training.export_colorize import INPUT_NAMES, export_colorizer, score_colorizer
from training.recipes.colorize import get_colorize_recipe
from training.nets.lcmftn import LCMFTN
from training.evaluate_colorize import stack_references
from training.loop import CHECKPOINT_NAME
from training.train_colorize import NETWORK_NAME, parameter_groups, step_references, train_colorize


def _frame(seed: int, t: int, size: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """A flat-coloured cartoon frame (discs on a background moving with t) and its black-on-white line art."""
    rng = np.random.default_rng(seed)
    color = np.full((size, size, 3), rng.integers(60, 255, 3), np.uint8)
    lines = np.full((size, size), 255, np.uint8)
    for _ in range(3):
        x, y = rng.integers(8, size - 8, 2)
        radius, fill = int(rng.integers(5, 10)), rng.integers(0, 255, 3).tolist()
        centre = (int(x) + t, int(y))
        cv2.circle(color, centre, radius, fill, -1)
        cv2.circle(color, centre, radius, (0, 0, 0), 1)
        cv2.circle(lines, centre, radius, 0, 1)
    return color, lines


@pytest.fixture(scope="session")
def colorize_data(tmp_path_factory) -> Path:
    """Two train shots and one test shot of 12 frames in the colorize bootstrap layout, styles "true" and "xdog"."""
    root = tmp_path_factory.mktemp("colorize")
    for split, seeds in (("train", (1, 2)), ("test", (3,))):
        for seed in seeds:
            sequence = root / split / f"shot{seed}"
            for frame in range(12):
                color, lines = _frame(seed, frame)
                (sequence / "color").mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(sequence / "color" / f"{frame:06d}.png"), cv2.cvtColor(color, cv2.COLOR_RGB2BGR))
                for style in ("true", "xdog"):
                    (sequence / "lineart" / style).mkdir(parents=True, exist_ok=True)
                    cv2.imwrite(str(sequence / "lineart" / style / f"{frame:06d}.png"), lines)
    (root / "manifest.json").write_text(json.dumps({"sources": [{"name": "test fixture", "licence": "n/a"}]}))
    return root


def _records(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "losses.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("name", ["lcmftn", "lcmftn_nocmft"])
def test_smoke_training_writes_checkpoint_log_samples_and_validation(name, colorize_data, tmp_path):
    recipe = get_colorize_recipe(name, "smoke", steps=3, pair_window=6, pair_stride=2)
    assert train_colorize(recipe, data_root=colorize_data, out_dir=tmp_path, device="cpu") == 3
    assert (tmp_path / CHECKPOINT_NAME).is_file() and (tmp_path / NETWORK_NAME).is_file()
    records = _records(tmp_path)
    assert [r["step"] for r in records if r["phase"] == "train"] == [1, 2, 3]
    validation = [r for r in records if r["phase"] == "validation"]
    assert [r["step"] for r in validation] == [2, 3]
    assert all(np.isfinite(r["psnr"]) and np.isfinite(r["psnr_copy_reference"]) for r in validation)
    assert all(np.isfinite(v) for r in records for v in r.values() if isinstance(v, float))
    sheet = cv2.imread(str(tmp_path / "samples" / "step_000003.png"))
    assert sheet.shape == (4 * 32, 2 * 32, 3)  # 4 rows (reference, line art, output, truth) x 2 validation pairs


def test_gate_training_logs_its_terms_and_learns_at_its_own_rate(colorize_data, tmp_path):
    recipe = get_colorize_recipe("lcmftn", "smoke", steps=2, gate_lr_scale=5.0)
    train_colorize(recipe, data_root=colorize_data, out_dir=tmp_path, device="cpu")
    first = _records(tmp_path)[0]
    assert first["gate"] > 0 and first["network_l1"] > 0
    assert first["loss"] == pytest.approx(first["l1"] + first["perceptual"] + first["gate"] + first["network_l1"],
                                          rel=1e-5)
    network = LCMFTN(config=recipe.network)
    groups = parameter_groups(network, recipe)
    assert groups[1]["lr"] == 5.0 * recipe.lr and "lr" not in groups[0]
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in network.gate.parameters()}
    assert sum(len(g["params"]) for g in groups) == sum(p.requires_grad for p in network.parameters())
    # Without a gate the gate terms are not computed, and one group remains.
    plain = get_colorize_recipe("lcmftn", "smoke", steps=1, network={"gate_width": 0})
    train_colorize(plain, data_root=colorize_data, out_dir=tmp_path / "plain", device="cpu")
    assert "gate" not in _records(tmp_path / "plain")[0]
    assert len(parameter_groups(LCMFTN(config=plain.network), plain)) == 1


def test_a_share_of_the_steps_trains_with_the_next_frame_as_second_reference(colorize_data, tmp_path):
    both = get_colorize_recipe("lcmftn", "smoke", steps=3, previous_reference_prob=1.0)
    train_colorize(both, data_root=colorize_data, out_dir=tmp_path / "both", device="cpu")
    records = [r for r in _records(tmp_path / "both") if r["phase"] == "train"]
    assert [r["references"] for r in records] == [2, 2, 2]
    assert all(np.isfinite(r["gate"]) and r["gate"] > 0 for r in records)
    one = get_colorize_recipe("lcmftn_nocmft", "smoke", steps=2, previous_reference_prob=0.0)
    train_colorize(one, data_root=colorize_data, out_dir=tmp_path / "one", device="cpu")
    assert {r["references"] for r in _records(tmp_path / "one") if r["phase"] == "train"} == {1}
    # the draw depends on (seed, step) only: a resumed run and every DDP process agree
    half = get_colorize_recipe("lcmftn", "cpu")
    draws = [step_references(half, step) for step in range(1, 1001)]
    assert draws == [step_references(half, step) for step in range(1, 1001)]
    assert set(draws) == {(1, False), (2, False)} and 400 < draws.count((2, False)) < 600
    # own_previous_prob picks among the two-reference steps and leaves the reference counts as they were
    own = get_colorize_recipe("lcmftn", "cpu", own_previous_prob=0.5)
    own_draws = [step_references(own, step) for step in range(1, 1001)]
    assert [count for count, _ in own_draws] == [count for count, _ in draws]
    assert not any(flag for count, flag in own_draws if count == 1)
    assert 200 < sum(flag for _, flag in own_draws) < 300
    batch = {name: torch.full((2, 3 if "color" in name else 1, 8, 8), float(k))
             for k, name in enumerate(("reference_sketch", "reference_color", "previous_sketch", "previous_color"))}
    sketches, colours = stack_references(batch, 2)
    assert sketches.shape == (2, 2, 1, 8, 8) and colours[:, 1].eq(3.0).all() and colours[:, 0].eq(1.0).all()
    with pytest.raises(ValueError, match="1 or 2 references"):
        stack_references(batch, 3)


def test_recipe_shares_must_lie_between_0_and_1() -> None:
    # a uniform draw is compared with each share, so 1.5 would act as 1 without a word
    for share in ("gap_prob", "previous_reference_prob", "own_previous_prob"):
        for bad in (-0.1, 1.5):
            with pytest.raises(ValueError, match=f"{share} must be between 0 and 1, got {bad}"):
                get_colorize_recipe("lcmftn", "cpu", **{share: bad})
    with pytest.raises(SystemExit, match="train-colorize: error: .*own_previous_prob must be between 0 and 1"):
        training_main(["train-colorize", "--recipe", "lcmftn", "--scale", "smoke", "--own-previous-prob", "2",
                       "--data", "unused", "--out", "unused"])


def test_own_previous_steps_give_the_network_its_own_output_as_second_reference(colorize_data, tmp_path, monkeypatch):
    recipe = get_colorize_recipe("lcmftn", "smoke", steps=2, previous_reference_prob=1.0, own_previous_prob=1.0)
    second_colours: list[torch.Tensor] = []
    outputs: list[torch.Tensor] = []
    forward = LCMFTN.forward

    def spy(self, sketch, reference_sketch, reference_color, **kwargs):
        result = forward(self, sketch, reference_sketch, reference_color, **kwargs)
        if reference_sketch.shape[1] == 1 and not kwargs:  # the no-gradient pass colouring the previous frame
            outputs.append(result)
        elif reference_sketch.shape[1] == 2:
            second_colours.append(reference_color[:, 1])
        return result

    monkeypatch.setattr(LCMFTN, "forward", spy)
    train_colorize(recipe, data_root=colorize_data, out_dir=tmp_path, device="cpu")
    records = [r for r in _records(tmp_path) if r["phase"] == "train"]
    assert [(r["references"], r["own_previous"]) for r in records] == [(2, True), (2, True)]
    assert len(second_colours) == 2 and len(outputs) >= 2
    # the second reference of each step is exactly the network's own (detached) output for that frame
    for colour, output in zip(second_colours, outputs[:2]):
        assert torch.equal(colour, output) and not colour.requires_grad


def test_resume_continues_and_refuses_another_network(colorize_data, tmp_path):
    train_colorize(get_colorize_recipe("lcmftn", "smoke", steps=2), data_root=colorize_data, out_dir=tmp_path,
                   device="cpu")
    before, _ = load_generator_state(tmp_path / NETWORK_NAME)
    assert train_colorize(get_colorize_recipe("lcmftn", "smoke", steps=4), data_root=colorize_data,
                          out_dir=tmp_path, device="cpu") == 4
    after, meta = load_generator_state(tmp_path / NETWORK_NAME)
    assert meta["step"] == 4 and any(not torch.equal(before[k], after[k]) for k in before)
    assert [r["step"] for r in _records(tmp_path) if r["phase"] == "train"] == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="different"):
        train_colorize(get_colorize_recipe("lcmftn_nocmft", "smoke", steps=6), data_root=colorize_data,
                       out_dir=tmp_path, device="cpu")
    with pytest.raises(ValueError, match="different gate_lr_scale"):  # the optimiser's groups would not match
        train_colorize(get_colorize_recipe("lcmftn", "smoke", steps=6, gate_lr_scale=1.0), data_root=colorize_data,
                       out_dir=tmp_path, device="cpu")


def test_cli_trains_and_exports_an_onnx_model_that_matches_pytorch_for_any_k_h_w(colorize_data, tmp_path):
    run, onnx_path = tmp_path / "run", tmp_path / "models" / "tiny.onnx"
    assert training_main(["train-colorize", "--recipe", "lcmftn", "--scale", "smoke", "--steps", "2",
                          "--attention", "global,window,window,none", "--data", str(colorize_data),
                          "--out", str(run), "--device", "cpu"]) == 0
    assert training_main(["export-colorize", str(run), "-o", str(onnx_path), "--name", "tiny", "--data",
                          str(colorize_data), "--eval-pairs", "2", "--eval-crop", "32",
                          "--data-manifest", str(colorize_data / "manifest.json")]) == 0
    card = json.loads(onnx_path.with_suffix(".json").read_text())
    assert card["task"] == "colorize" and card["name"] == "tiny" and card["cmft"] is True
    assert card["input_names"] == list(INPUT_NAMES) and card["output_names"] == ["color"]
    assert card["size_multiple"] == 8 and card["max_side"] > 0 and card["training"]["steps"] == 2
    assert card["attention"] == {"1/8": "global", "1/4": "window", "1/2": "window", "1/1": "none"}
    # recipes train on flow-aligned references by default, so the engine must align them too
    assert card["reference_alignment"] == "dis" and "warped" in card["metrics"]["heldout_references"]
    assert Colorizer(onnx_path, device="cpu").card.reference_alignment == "dis"
    assert card["metrics"]["onnx_parity_max_abs_diff"] < 1e-4
    scores = card["metrics"]["heldout_psnr_db"]["window_10"]
    assert scores["pairs"] == 2 and np.isfinite(scores["psnr"]) and np.isfinite(scores["psnr_copy_reference"])
    assert card["data"]["sources"] == [{"name": "test fixture", "licence": "n/a"}]
    assert card["data"]["scored_build"]["same_as_manifest"] is True  # scored on the build the manifest describes
    verify_model_file(load_card(onnx_path))  # the engine accepts the file and its hash

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {"sketch": rng.uniform(-1, 1, (1, 1, 40, 56)), "reference_sketch": rng.uniform(-1, 1, (4, 1, 40, 56)),
             "reference_color": rng.uniform(-1, 1, (4, 3, 40, 56))}
    (color,) = session.run(None, {k: v.astype(np.float32) for k, v in feeds.items()})
    assert color.shape == (1, 3, 40, 56) and np.abs(color).max() <= 1

    # The engine runs the exported file through its own contract (padding to 8, K = 2 references).
    colorizer = Colorizer(onnx_path, device="cpu")
    key_colour, key_lines = _frame(3, 0)
    _, lines = _frame(3, 2)
    out = colorizer.colorize_frame(lines[:45, :47], [Reference(key_lines[:45, :47], key_colour[:45, :47])] * 2)
    assert out.shape == (45, 47, 3) and out.dtype == np.uint8


def test_export_of_the_ablation_names_it_and_scores_against_the_copy_baseline(colorize_data, tmp_path):
    train_colorize(get_colorize_recipe("lcmftn_nocmft", "smoke", steps=1, align_references=False),
                   data_root=colorize_data, out_dir=tmp_path, device="cpu")
    metrics = score_colorizer(tmp_path / NETWORK_NAME, colorize_data, pairs=2, crop_size=32, windows=(4,))
    result = export_colorizer(tmp_path / NETWORK_NAME, tmp_path / "ablation.onnx", metrics=metrics)
    assert result.card["architecture"] == "lcmftn_nocmft" and result.card["cmft"] is False
    assert result.card["reference_alignment"] == "none" and "keyframe" in metrics["heldout_references"]
    assert set(result.card["attention"].values()) <= {"concat", "none"}
    assert result.parity_max_abs_diff < 1e-4 and "window_4" in result.card["metrics"]["heldout_psnr_db"]


def test_ddp_two_cpu_processes(colorize_data, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "training", "train-colorize", "--recipe", "lcmftn", "--scale", "smoke", "--steps", "2",
        "--data", str(colorize_data), "--out", str(tmp_path / "ddp"), "--device", "cpu",
    ]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert completed.returncode == 0, completed.stderr[-3000:]
    _, meta = load_generator_state(tmp_path / "ddp" / NETWORK_NAME)
    assert meta["world_size"] == 2 and meta["step"] == 2
