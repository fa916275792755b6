"""The `animegan` and `semantic` recipes end to end at smoke scale: training, resume, export, CLI, segmenter."""
from __future__ import annotations

import json

import numpy as np
import onnxruntime
import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from training.cli import main as training_main
from training.data.cartoonize.dataset import CartoonizeDataset
from training.export import export_cartoonizer
from training.loop import CHECKPOINT_NAME
from training.methods import method_for
from training.recipes import get_recipe
from training.train import GENERATOR_NAME, train

_SMOKE = {"init_steps": 1, "gan_steps": 2}


def _records(folder) -> list[dict]:
    return [json.loads(line) for line in (folder / "losses.jsonl").read_text().splitlines()]


def test_animegan_smoke_training_uses_content_init_and_its_own_rates(cartoon_data, tmp_path):
    assert train(get_recipe("animegan", "smoke", **_SMOKE), data_root=cartoon_data, out_dir=tmp_path,
                 device="cpu") == 3
    records = _records(tmp_path)
    assert [r["phase"] for r in records] == ["init", "gan", "gan"]
    assert set(records[0]) >= {"content", "lr"} and records[0]["lr"] == 1e-4 and "lr_d" not in records[0]
    assert records[1]["lr"] == 8e-5 and records[1]["lr_d"] == 1.6e-4
    assert {"adversarial_g", "content", "gram", "color", "discriminator"} <= set(records[-1])
    assert all(np.isfinite(v) for r in records for v in r.values() if isinstance(v, float))
    assert (tmp_path / "samples" / "step_000003.png").is_file()


def test_animegan_resume_and_export(cartoon_data, tmp_path):
    train(get_recipe("animegan", "smoke", init_steps=1, gan_steps=1), data_root=cartoon_data, out_dir=tmp_path,
          device="cpu")
    assert train(get_recipe("animegan", "smoke", init_steps=1, gan_steps=2), data_root=cartoon_data,
                 out_dir=tmp_path, device="cpu") == 3
    assert [r["step"] for r in _records(tmp_path)] == [1, 2, 3]
    with pytest.raises(ValueError, match="different"):
        train(get_recipe("semantic", "smoke"), data_root=cartoon_data, out_dir=tmp_path, device="cpu")
    result = export_cartoonizer(tmp_path / GENERATOR_NAME, tmp_path / "anime.onnx", description="smoke")
    card = result.card
    assert card["architecture"] == "animegan_generator" and card["recipe"] == "animegan"
    assert card["supports_tiling"] is False and card["postprocess"] is None and card["size_multiple"] == 4
    assert card["parameters"] == 3_956_096 and card["training"]["steps"] == 3
    assert result.parity_max_abs_diff < 1e-4


def test_semantic_smoke_training_resume_and_export(cartoon_data, tmp_path):
    train(get_recipe("semantic", "smoke", init_steps=1, gan_steps=1), data_root=cartoon_data, out_dir=tmp_path,
          device="cpu")
    assert train(get_recipe("semantic", "smoke", init_steps=1, gan_steps=2), data_root=cartoon_data,
                 out_dir=tmp_path, device="cpu") == 3
    records = _records(tmp_path)
    assert [r["phase"] for r in records] == ["init", "gan", "gan"]
    assert {"semantic", "content", "surface_g", "texture_g", "total_variation"} <= set(records[-1])
    assert load_file(str(tmp_path / CHECKPOINT_NAME))["segment_centres.centres"].shape == (4, 512)
    result = export_cartoonizer(tmp_path / GENERATOR_NAME, tmp_path / "sem.onnx")
    assert result.card["architecture"] == "unet_generator" and result.card["size_multiple"] == 8
    assert result.card["supports_tiling"] is True and result.parity_max_abs_diff < 1e-4
    session = onnxruntime.InferenceSession(str(result.onnx_path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"image": np.zeros((1, 3, 24, 40), np.float32)})
    assert out.shape == (1, 3, 24, 40)


class _ColourClasses(nn.Module):
    """A user's 'segmentation network': 3 soft classes from the dominant colour channel."""

    def __init__(self) -> None:
        super().__init__()
        self.sharpness = nn.Parameter(torch.tensor(4.0))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.sharpness * image, dim=1)


def test_semantic_takes_a_user_segmenter(cartoon_data, tmp_path):
    segmenter = _ColourClasses()
    train(get_recipe("semantic", "smoke", **_SMOKE), data_root=cartoon_data, out_dir=tmp_path, device="cpu",
          segmenter=segmenter)
    assert segmenter.sharpness.item() == 4.0 and segmenter.sharpness.grad is None  # frozen
    assert "segment_centres.centres" not in load_file(str(tmp_path / CHECKPOINT_NAME))
    with pytest.raises(ValueError, match="semantic recipe only"):
        train(get_recipe("pmc", "smoke"), data_root=cartoon_data, out_dir=tmp_path / "x", device="cpu",
              segmenter=segmenter)


def test_cli_trains_a_new_recipe(cartoon_data, tmp_path, capsys):
    out = tmp_path / "cli"
    code = training_main(["train", "--recipe", "animegan", "--scale", "smoke", "--init-steps", "1",
                          "--gan-steps", "1", "--data", str(cartoon_data), "--out", str(out), "--device", "cpu"])
    assert code == 0 and "animegan: step 2 of 2" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["discriminator_lr"] == 1.6e-4


def test_scales_share_the_schedule_and_keep_each_recipes_rates():
    pmc, anime, semantic = (get_recipe(name, "cpu") for name in ("pmc", "animegan", "semantic"))
    for recipe in (anime, semantic):
        assert (recipe.crop_size, recipe.batch_size, recipe.init_steps, recipe.gan_steps) == (96, 6, 200, 600)
        assert recipe.content_scale == pmc.content_scale
    # The cpu scale's loss gains multiply each recipe's own weights: pmc keeps its motion term, whitebox has none.
    whitebox, pmc_paper = get_recipe("whitebox", "cpu"), get_recipe("pmc")
    assert pmc.weights.content == whitebox.weights.content == 10 * pmc_paper.weights.content
    assert pmc.weights.structure == 10 * pmc_paper.weights.structure
    assert (pmc.weights.motion, whitebox.weights.motion) == (1.0, 0.0)
    assert pmc.weights.texture == pmc_paper.weights.texture
    assert (anime.lr, anime.discriminator_lr, anime.init_lr) == (8e-5, 1.6e-4, 1e-4)
    assert pmc.lr == semantic.lr == 1e-4
    paper = get_recipe("animegan")
    assert (paper.batch_size, paper.init_steps, paper.gan_steps) == (4, 1_664, 166_400)
    with pytest.raises(ValueError):
        get_recipe("animegan", "huge")
    with pytest.raises(TypeError):
        method_for(object())


def test_edge_smoothed_items_leave_the_other_items_unchanged(cartoon_data):
    plain = CartoonizeDataset(cartoon_data, crop_size=32, length=3, seed=1)
    smoothed = CartoonizeDataset(cartoon_data, crop_size=32, length=3, seed=1, edge_smoothed=True)
    for index in range(3):
        a, b = plain[index], smoothed[index]
        assert "cartoon_smooth" not in a and b["cartoon_smooth"].shape == (3, 32, 32)
        assert all(torch.equal(a[key], b[key]) for key in a)
