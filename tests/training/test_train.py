"""The trainer end to end at smoke scale: both recipes, resume, export with ONNX parity, DDP on CPU (gloo)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from training.checkpoint import load_generator_state
from training.export import export_cartoonizer
from training.loop import CHECKPOINT_NAME
from training.recipes import get_recipe
from training.train import GENERATOR_NAME, train

_SMOKE = {"init_steps": 1, "gan_steps": 2}


@pytest.mark.parametrize("name", ["pmc", "whitebox"])
def test_smoke_training_writes_checkpoint_log_and_samples(name, cartoon_data, tmp_path):
    recipe = get_recipe(name, "smoke", **_SMOKE)
    assert train(recipe, data_root=cartoon_data, out_dir=tmp_path, device="cpu") == 3
    assert (tmp_path / CHECKPOINT_NAME).is_file() and (tmp_path / GENERATOR_NAME).is_file()
    records = [json.loads(line) for line in (tmp_path / "losses.jsonl").read_text().splitlines()]
    assert [r["phase"] for r in records] == ["init", "gan", "gan"]
    assert ("motion" in records[-1]) == (name == "pmc")
    assert all(np.isfinite(v) for r in records for v in r.values() if isinstance(v, float))
    assert sorted(p.name for p in (tmp_path / "samples").iterdir())[-1] == "step_000003.png"


def test_resume_continues_from_the_checkpoint_and_refuses_another_recipe(cartoon_data, tmp_path):
    first = get_recipe("whitebox", "smoke", init_steps=1, gan_steps=1)
    train(first, data_root=cartoon_data, out_dir=tmp_path, device="cpu")
    before, _ = load_generator_state(tmp_path / GENERATOR_NAME)
    longer = get_recipe("whitebox", "smoke", init_steps=1, gan_steps=3)
    assert train(longer, data_root=cartoon_data, out_dir=tmp_path, device="cpu") == 4
    after, meta = load_generator_state(tmp_path / GENERATOR_NAME)
    assert meta["step"] == 4
    assert any(not torch.equal(before[k], after[k]) for k in before)
    steps = [json.loads(line)["step"] for line in (tmp_path / "losses.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]  # resumed at 2, not restarted
    with pytest.raises(ValueError, match="different"):
        train(get_recipe("pmc", "smoke"), data_root=cartoon_data, out_dir=tmp_path, device="cpu")


def test_stop_at_step_keeps_the_schedule_and_resumes_past_it(cartoon_data, tmp_path):
    recipe = get_recipe("whitebox", "smoke", init_steps=1, gan_steps=4)
    assert train(recipe, data_root=cartoon_data, out_dir=tmp_path / "full", device="cpu") == 5
    assert train(recipe, data_root=cartoon_data, out_dir=tmp_path / "stopped", device="cpu", stop_at_step=3) == 3
    assert load_generator_state(tmp_path / "stopped" / GENERATOR_NAME)[1]["step"] == 3
    assert train(recipe, data_root=cartoon_data, out_dir=tmp_path / "stopped", device="cpu") == 5

    def rates(run: str) -> list[tuple[int, float]]:
        lines = (tmp_path / run / "losses.jsonl").read_text().splitlines()
        return [(record["step"], record["lr"]) for record in map(json.loads, lines)]

    assert len({lr for _, lr in rates("full")}) > 1  # the schedule decays, so a shortened one would show
    assert rates("stopped") == rates("full")


def test_export_matches_pytorch_in_onnx_runtime_at_any_size(cartoon_data, tmp_path):
    train(get_recipe("pmc", "smoke", **_SMOKE), data_root=cartoon_data, out_dir=tmp_path, device="cpu")
    result = export_cartoonizer(tmp_path / GENERATOR_NAME, tmp_path / "m.onnx", description="smoke", command="x")
    card = json.loads(result.card_path.read_text())
    assert card["task"] == "cartoonize" and card["training"]["steps"] == 3 and card["size_multiple"] == 4
    # Trained with White-box's guided filter in the loop, so the engine must apply its inference filter.
    assert card["postprocess"] == {"guided_filter": {"radius": 1, "eps": 5e-3}}
    assert result.parity_max_abs_diff < 1e-4
    session = onnxruntime.InferenceSession(str(result.onnx_path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"image": np.zeros((2, 3, 20, 36), np.float32)})
    assert out.shape == (2, 3, 20, 36)


def test_ddp_two_cpu_processes(cartoon_data, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
        "-m", "training", "train", "--recipe", "pmc", "--scale", "smoke", "--init-steps", "1", "--gan-steps", "1",
        "--data", str(cartoon_data), "--out", str(tmp_path / "ddp"), "--device", "cpu",
    ]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert completed.returncode == 0, completed.stderr[-3000:]
    _, meta = load_generator_state(tmp_path / "ddp" / GENERATOR_NAME)
    assert meta["world_size"] == 2 and meta["step"] == 2
