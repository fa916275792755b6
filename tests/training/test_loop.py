"""The shared training loop on a tiny task: log lines, checkpoints, sample sheets, validation, resume, fixed fields."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from training.checkpoint import load_checkpoint_meta, load_generator_state
from training.loop import CHECKPOINT_NAME, StepResult, TrainingTask, run_training


@dataclass(frozen=True)
class _Recipe:
    name: str = "tiny"
    seed: int = 0
    batch_size: int = 2
    log_every: int = 1
    checkpoint_every: int = 2
    width: int = 3


class _Pixels(Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"image": torch.full((3, 4, 4), index / 8.0)}


class _TinyTask(TrainingTask):
    weights_name = "tiny.safetensors"

    def __init__(self, recipe: _Recipe, *, validate: bool = False) -> None:
        super().__init__(recipe, torch.device("cpu"))
        self.network = nn.Conv2d(3, recipe.width, 1)
        self.optimizer = torch.optim.SGD(self.network.parameters(), lr=0.1)
        self.second = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.5)
        self.modules, self.optimizers = {"network": self.network}, {"opt_g": self.optimizer, "opt_d": self.second}
        self.train_data, self.total_steps = _Pixels(), 5
        self.with_validation = validate
        self.resumed: dict[str, Any] | None = None

    @property
    def fixed_fields(self) -> tuple[str, ...]:
        return ("name", "width")

    def step(self, step: int, batch: dict[str, torch.Tensor]) -> StepResult:
        loss = self.network(batch["image"]).square().mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return StepResult("only", {"loss": loss.item()}, {"opt_g": 0.1, "opt_d": 0.5}, {"chosen": step})

    def sample_rows(self) -> list[torch.Tensor]:
        assert not self.network.training and not torch.is_grad_enabled()
        images = torch.zeros(2, 3, 4, 4)
        return [images, self.network(images)[:, :1]]  # a grey row is shown as grey RGB

    def validate(self) -> dict[str, Any] | None:
        return {"score": 1.5} if self.with_validation else None

    def meta_fields(self) -> dict[str, Any]:
        return {"extra": "yes"}

    def begin(self, resumed: dict[str, Any] | None) -> None:
        self.resumed = resumed


def _lines(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "losses.jsonl").read_text().splitlines()]


def test_loop_logs_checkpoints_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    first = _TinyTask(_Recipe(), validate=True)
    assert run_training(first, tmp_path, stop_at_step=3) == 3
    assert first.resumed is None
    assert [(r["step"], r["phase"]) for r in _lines(tmp_path)] == [
        (1, "only"), (2, "only"), (2, "validation"), (3, "only"), (3, "validation")]
    record = _lines(tmp_path)[0]
    assert list(record) == ["step", "phase", "lr", "lr_d", "time_s", "chosen", "loss"]
    assert (record["lr"], record["lr_d"], record["chosen"]) == (0.1, 0.5, 0)
    meta = load_checkpoint_meta(tmp_path / CHECKPOINT_NAME)
    assert meta["step"] == 3 and meta["extra"] == "yes" and meta["validation"] == {"score": 1.5}
    assert meta["recipe"]["name"] == "tiny" and json.loads((tmp_path / "config.json").read_text())["width"] == 3
    weights, weights_meta = load_generator_state(tmp_path / "tiny.safetensors")
    assert set(weights) == {"weight", "bias"} and weights_meta["step"] == 3
    assert cv2.imread(str(tmp_path / "samples" / "step_000003.png")).shape == (2 * 4, 2 * 4, 3)
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["step_000002.png", "step_000003.png"]

    second = _TinyTask(_Recipe())
    assert run_training(second, tmp_path) == 5
    assert second.resumed is not None and second.resumed["step"] == 3
    steps = [r["step"] for r in _lines(tmp_path) if r["phase"] == "only"]
    assert steps == [1, 2, 3, 4, 5]  # resumed at 3, not restarted
    assert "validation" not in load_checkpoint_meta(tmp_path / CHECKPOINT_NAME)

    with pytest.raises(ValueError, match="different width"):
        run_training(_TinyTask(_Recipe(width=4)), tmp_path)


def test_loop_saves_the_last_step_between_checkpoints(tmp_path: Path) -> None:
    assert run_training(_TinyTask(_Recipe(checkpoint_every=100)), tmp_path, stop_at_step=1) == 1
    assert load_checkpoint_meta(tmp_path / CHECKPOINT_NAME)["step"] == 1
