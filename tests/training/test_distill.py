"""Distillation end to end at smoke scale: the teacher, its cached targets and flows, the pair dataset, the
temporal and gradient losses, training, and export."""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.models import load_card
from tests.engine.helpers import write_model
from training.checkpoint import load_generator_state
from training.data.cartoonize.dataset import to_tensor
from training.data.cartoonize.distill_dataset import DistillDataset
from training.data.cartoonize.distill_layout import DistillLayout
from training.data.cartoonize.distill_targets import build_flows, build_targets
from training.data.cartoonize.stable_targets import StableTargetSettings, build_stable_targets
from training.data.media import read_rgb
from training.export import export_cartoonizer
from training.losses import FlowWarpLoss, GradientLoss
from training.losses.flow_warp import warp_by_flow
from training.methods.distill import REGION_FLATTEN
from training.postfilter import set_region_flatten
from training.metrics.flow import FlowPair
from training.metrics.warping import warping_error_from_pairs
from training.recipes import get_recipe
from training.teacher import TEACHER_STYLES, cartoon_abstraction, get_style
from training.train import GENERATOR_NAME, train


def _step_image(size: int = 64) -> np.ndarray:
    """A dark left half and a light right half, slightly noisy: one strong edge, two flat regions."""
    rng = np.random.default_rng(0)
    image = np.full((size, size, 3), 60, np.int16)
    image[:, size // 2:] = 200
    return np.clip(image + rng.integers(-6, 7, image.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", sorted(TEACHER_STYLES))
def test_teacher_flattens_regions_and_inks_the_edge(name):
    image = _step_image()
    out = cartoon_abstraction(image, get_style(name))
    assert out.shape == image.shape and out.dtype == np.uint8
    left, right = out[8:56, 4:24].astype(float), out[8:56, 40:60].astype(float)
    # The noise inside each half is flattened away (spread over the pixels of each channel: the half's uniform tint,
    # which the style's chroma gain enlarges, is not noise) ...
    for flat, noisy in ((left, image[8:56, 4:24]), (right, image[8:56, 40:60])):
        assert flat.reshape(-1, 3).std(axis=0).max() < 0.5 * noisy.reshape(-1, 3).std(axis=0).min()
    # ... and the border between them gets a line darker than both sides.
    edge = out[8:56, 28:36].astype(float).mean(axis=2).min(axis=1)
    assert np.all(edge < left.mean() - 10)


def test_teacher_styles_differ_and_bad_input_is_refused():
    image = _step_image()
    cel, comic = (cartoon_abstraction(image, get_style(name)) for name in ("cel", "comic"))
    assert np.abs(cel.astype(int) - comic.astype(int)).mean() > 1.0
    with pytest.raises(ValueError, match="uint8 RGB"):
        cartoon_abstraction(image.astype(np.float32), get_style("cel"))
    with pytest.raises(ValueError, match="choose from"):
        get_style("watercolour")


def test_gradient_loss_values_and_arguments():
    image = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    loss = GradientLoss(loss_weight=2.0)
    assert loss(image, image).item() == 0.0
    # A constant offset changes no gradient; a blur does.
    assert loss(image + 0.3, image).item() == pytest.approx(0.0, abs=1e-6)
    blurred = torch.nn.functional.avg_pool2d(image, 3, stride=1, padding=1)
    assert loss(blurred, image).item() > 0.1
    with pytest.raises(ValueError):
        loss(image, image[:, :, :8])
    with pytest.raises(ValueError):
        loss(image[:, :, :1], image[:, :, :1])


def test_flow_warp_loss_is_zero_along_the_true_motion_and_masked_elsewhere():
    frame = torch.rand(1, 3, 12, 20, generator=torch.Generator().manual_seed(1))
    shifted = torch.roll(frame, shifts=2, dims=-1)  # content moves 2 px right
    flow = torch.zeros(1, 2, 12, 20)
    flow[:, 0] = 2.0
    valid = torch.ones(1, 1, 12, 20)
    valid[..., 18:] = 0.0  # these pixels' targets leave the frame (the roll wrapped them)
    loss = FlowWarpLoss(loss_weight=1.0)
    assert loss(frame, shifted, flow, valid).item() == pytest.approx(0.0, abs=1e-6)
    assert loss(frame, shifted, torch.zeros_like(flow), valid).item() > 0.1
    assert loss(frame, shifted, flow, torch.zeros_like(valid)).item() == 0.0
    with pytest.raises(ValueError):
        loss(frame, shifted, flow[:, :1], valid)
    with pytest.raises(ValueError):
        loss(frame, shifted, flow[..., :6], valid)


@pytest.fixture(scope="module")
def distill_data(cartoon_data, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("distill") / "data"
    shutil.copytree(cartoon_data, root)
    layout = DistillLayout(root)
    build_flows(layout, progress=False)
    for name in TEACHER_STYLES:
        build_targets(layout, get_style(name), progress=False)
    return root


def test_targets_build_is_resumable_and_rebuilt_when_the_style_changes(distill_data):
    layout = DistillLayout(distill_data)
    assert build_flows(layout, progress=False) == 0
    assert build_targets(layout, get_style("cel"), progress=False)["computed_this_run"] == 0
    changed = replace(get_style("cel"), levels=4)
    manifest = build_targets(layout, changed, progress=False)
    assert manifest["computed_this_run"] == sum(manifest["counts"].values()) > 0
    restored = build_targets(layout, get_style("cel"), progress=False)
    assert restored["style"] == get_style("cel").as_dict() and restored["computed_this_run"] > 0


@pytest.mark.parametrize("real_pair_prob", [0.0, 1.0])
def test_pairs_carry_a_flow_that_maps_the_first_frame_onto_the_next(distill_data, real_pair_prob):
    dataset = DistillDataset(distill_data, style="cel", crop_size=32, real_pair_prob=real_pair_prob, length=8)
    for index in range(len(dataset)):
        item = dataset[index]
        assert item["photo"].shape == item["target_next"].shape == (3, 32, 32)
        assert item["flow"].shape == (2, 32, 32) and item["valid"].shape == (1, 32, 32)
        valid = item["valid"][None]
        if valid.sum() < 50:
            continue
        warped = warp_by_flow(item["photo_next"][None], item["flow"][None])
        aligned = ((warped - item["photo"][None]).abs() * valid).sum() / (3 * valid.sum())
        unaligned = ((item["photo_next"] - item["photo"]).abs()[None] * valid).sum() / (3 * valid.sum())
        assert aligned <= unaligned + 1e-4
        if real_pair_prob == 0.0:  # the affine flow is exact: only bilinear resampling remains
            assert aligned < 0.05
    assert dataset[3]["photo"].equal(dataset[3]["photo"])  # deterministic per index


def test_stable_targets_flicker_less_than_the_teachers_and_feed_the_real_pairs(distill_data):
    layout = DistillLayout(distill_data)
    with pytest.raises(FileNotFoundError, match="--stable"):
        DistillDataset(distill_data, style="cel", stable_targets=True)
    # the whole strength, so the four-frame test clip shows the recursion
    settings = StableTargetSettings(strength=1.0)
    record = build_stable_targets(layout, "cel", settings, progress=False)
    frames = sorted((distill_data / "videos" / "train" / "clip0").glob("*.png"))
    assert record["clips"] == {"clip0": len(frames)} and layout.has_stable_targets("cel")
    plain = [read_rgb(layout.target_path("cel", f)) for f in frames]
    stable = [read_rgb(layout.stable_target_path("cel", f)) for f in frames]
    assert np.array_equal(stable[0], plain[0])  # nothing before the first frame to blend
    # E_short over the stored flows and trust masks of the clip
    pairs = [FlowPair(t, t + 1, flow[..., :2].astype(np.float32), flow[..., 2] > 0.5)
             for t, flow in enumerate(np.load(layout.flow_path(f)) for f in frames[:-1])]
    assert warping_error_from_pairs(stable, pairs) < 0.8 * warping_error_from_pairs(plain, pairs)
    # complete clips are kept; other settings rebuild them
    stamp = layout.stable_target_path("cel", frames[1]).stat().st_mtime_ns
    build_stable_targets(layout, "cel", settings, progress=False)
    assert layout.stable_target_path("cel", frames[1]).stat().st_mtime_ns == stamp
    build_stable_targets(layout, "cel", StableTargetSettings(strength=0.0), progress=False)
    assert np.array_equal(read_rgb(layout.stable_target_path("cel", frames[1])), plain[1])
    build_stable_targets(layout, "cel", settings, progress=False)
    dataset = DistillDataset(distill_data, style="cel", crop_size=32, real_pair_prob=1.0, length=4,
                             stable_targets=True)
    item = dataset[0]
    crops = {name: item[name] for name in ("target", "target_next")}
    stable_stack = [to_tensor(image) for image in stable]
    # each target of the real pair is a crop (maybe mirrored) of a stable target
    for crop in crops.values():
        assert any(_is_crop(crop, whole) for whole in stable_stack)


def _is_crop(crop: torch.Tensor, whole: torch.Tensor) -> bool:
    size = crop.shape[-1]
    for flipped in (crop, crop.flip(-1)):
        windows = whole.unfold(1, size, 1).unfold(2, size, 1)  # [3, H', W', S, S]
        if (windows - flipped[:, None, None]).abs().amax(dim=(0, 3, 4)).min() < 1e-6:
            return True
    return False


def test_input_noise_is_independent_per_frame_and_leaves_the_targets_clean(distill_data):
    clean = DistillDataset(distill_data, style="cel", crop_size=32, real_pair_prob=0.5, length=6)
    noisy = DistillDataset(distill_data, style="cel", crop_size=32, real_pair_prob=0.5, length=6, input_noise=0.02)
    differences = []
    for index in range(len(clean)):
        a, b = clean[index], noisy[index]
        assert all(torch.equal(a[k], b[k]) for k in ("target", "target_next", "flow", "valid"))
        first, second = b["photo"] - a["photo"], b["photo_next"] - a["photo_next"]
        assert first.abs().max() <= 2 * 0.02 * 6 and not torch.equal(first, second)
        differences.append(first.std().item())
        assert torch.equal(noisy[index]["photo"], b["photo"])  # deterministic per index
    assert max(differences) > 0.005  # the noise is there (std in [-1, 1] units)
    with pytest.raises(ValueError, match="input_noise"):
        DistillDataset(distill_data, style="cel", input_noise=-0.1)


def test_dataset_names_the_missing_build(cartoon_data):
    with pytest.raises(FileNotFoundError, match="bootstrap-distill"):
        DistillDataset(cartoon_data, style="cel")


def test_smoke_distillation_trains_logs_every_term_and_exports(distill_data, tmp_path, caplog):
    recipe = get_recipe("cel_lite", "smoke")
    assert train(recipe, data_root=distill_data, out_dir=tmp_path, device="cpu") == recipe.steps
    records = [json.loads(line) for line in (tmp_path / "losses.jsonl").read_text().splitlines()]
    assert {r["phase"] for r in records} == {"distill"}
    assert {"pixel", "gradient", "temporal", "motion"} <= set(records[-1])
    assert all(np.isfinite(v) for r in records for v in r.values() if isinstance(v, float))
    assert records[0]["lr"] > records[-1]["lr"]  # cosine decay
    result = export_cartoonizer(tmp_path / GENERATOR_NAME, tmp_path / "cel_lite.onnx", description="smoke")
    card = json.loads(result.card_path.read_text())
    assert card["architecture"] == "distilled_generator"
    assert card["postprocess"] == {"region_flatten": REGION_FLATTEN}  # the engine flattens what the student cannot
    assert load_card(result.onnx_path).region_flatten is not None
    assert card["training"]["config"]["style"] == "cel" and card["training"]["steps"] == recipe.steps
    assert card["distilled_from"]["style"] == get_style("cel").as_dict()
    scored = export_cartoonizer(tmp_path / GENERATOR_NAME, tmp_path / "scored.onnx", score_data=distill_data).card
    assert scored["description"] == get_style("cel").description  # the style's own line when none is given
    assert scored["metrics"]["psnr_to_teacher_images"] == 6 and scored["metrics"]["psnr_to_teacher_db"] > 5
    assert scored["metrics"]["psnr_to_teacher_db_network"] > 5  # the same photos before the post-filter
    assert result.parity_max_abs_diff < 1e-4
    with caplog.at_level(logging.WARNING, logger="training.distill_score"):
        unscored = export_cartoonizer(tmp_path / GENERATOR_NAME, tmp_path / "unscored.onnx",
                                      score_data=tmp_path / "no_targets").card
    assert not any(key.startswith("psnr") for key in unscored["metrics"])
    assert "unscored.onnx: not scored against its teacher" in caplog.text
    assert f"bootstrap-distill --data {tmp_path / 'no_targets'} --style cel" in caplog.text

    # a card exported before the post-filter existed gets it, and its score, without touching the ONNX file
    old_card = {**card, "postprocess": None}
    old_card["metrics"] = {key: value for key, value in card["metrics"].items() if not key.startswith("psnr")}
    result.card_path.write_text(json.dumps(old_card))
    onnx_bytes = result.onnx_path.read_bytes()
    updated = set_region_flatten(result.onnx_path, data=distill_data, command="python -m training postfilter x").card
    assert updated["postprocess"] == {"region_flatten": REGION_FLATTEN}
    assert updated["postprocess_command"] == "python -m training postfilter x"
    assert updated["metrics"]["psnr_to_teacher_db"] == scored["metrics"]["psnr_to_teacher_db"]
    assert json.loads(result.card_path.read_text()) == updated and result.onnx_path.read_bytes() == onnx_bytes


def test_postfilter_refuses_a_model_that_was_not_distilled(tmp_path):
    onnx_path = write_model(tmp_path, "plain")
    with pytest.raises(ValueError, match="plain.json: not a distilled cartoonizer"):
        set_region_flatten(onnx_path, data=None, command="")


def test_a_run_can_start_from_another_runs_generator_and_says_so(distill_data, tmp_path):
    recipe = get_recipe("cel_lite", "smoke")
    train(recipe, data_root=distill_data, out_dir=tmp_path / "first", device="cpu")
    stronger = get_recipe("cel_lite", "smoke", weights=replace(recipe.weights, temporal=3.0))
    start = tmp_path / "first" / GENERATOR_NAME
    train(stronger, data_root=distill_data, out_dir=tmp_path / "tuned", device="cpu", stop_at_step=1,
          init_from=start)
    tuned, meta = load_generator_state(tmp_path / "tuned" / GENERATOR_NAME)
    first, first_meta = load_generator_state(start)
    # One Adam step (lr 4e-4) away from the weights it started from, not from a new initialisation.
    assert meta["step"] == 1 and max((tuned[k] - first[k]).abs().max().item() for k in first) < 2e-3
    assert meta["init_from"]["path"] == str(start) and meta["init_from"]["step"] == first_meta["step"]
    assert meta["recipe"]["weights"]["temporal"] == 3.0
    # Resumed without --init-from, the run still says where it started.
    train(stronger, data_root=distill_data, out_dir=tmp_path / "tuned", device="cpu", stop_at_step=2)
    resumed = load_generator_state(tmp_path / "tuned" / GENERATOR_NAME)[1]
    assert resumed["step"] == 2 and resumed["init_from"] == meta["init_from"]
    with pytest.raises(ValueError, match="generator"):
        train(get_recipe("cel", "smoke"), data_root=distill_data, out_dir=tmp_path / "wider", device="cpu",
              init_from=start)


def test_a_run_can_start_from_an_exported_model_through_the_cli(distill_data, tmp_path):
    """A shipped model is fine-tuned from its .onnx and card (no run folder), with loss weights overridden."""
    from training.cli import main as training_main

    recipe = get_recipe("cel", "smoke")
    train(recipe, data_root=distill_data, out_dir=tmp_path / "first", device="cpu")
    exported = export_cartoonizer(tmp_path / "first" / GENERATOR_NAME, tmp_path / "cel.onnx").onnx_path
    start, _ = load_generator_state(tmp_path / "first" / GENERATOR_NAME)
    from_onnx, meta = load_generator_state(exported)
    assert set(from_onnx) == set(start) and all(torch.equal(from_onnx[k], start[k]) for k in start)
    assert meta["step"] == recipe.steps and meta["recipe"]["generator"]["width"] == 32
    # A card written before a generator field existed (the shipped cel card predates `rgb_kernel`) still matches a
    # recipe that keeps that field's default ...
    card_path = exported.with_suffix(".json")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    assert card["training"]["config"]["generator"].pop("rgb_kernel") == 7
    card_path.write_text(json.dumps(card), encoding="utf-8")
    argv = ["train", "--scale", "smoke", "--data", str(distill_data), "--device", "cpu", "--stop-at-step", "1",
            "--init-from", str(exported)]
    # ... and not one whose field differs: the lite recipe's 3x3 RGB convs are not the 7x7 the card implies.
    with pytest.raises(ValueError, match="generator"):
        training_main(argv + ["--recipe", "cel_lite", "--out", str(tmp_path / "lite")])
    assert training_main(argv + ["--recipe", "cel", "--out", str(tmp_path / "tuned"), "--gradient-weight", "4",
                                 "--temporal-weight", "2"]) == 0
    tuned, tuned_meta = load_generator_state(tmp_path / "tuned" / GENERATOR_NAME)
    assert tuned_meta["init_from"]["path"] == str(exported)
    assert tuned_meta["recipe"]["weights"]["gradient"] == 4.0 and tuned_meta["recipe"]["weights"]["temporal"] == 2.0
    assert max((tuned[k] - start[k]).abs().max().item() for k in start) < 2e-3  # one step from the export
    with pytest.raises(SystemExit, match="no gradient loss weight"):
        training_main(["train", "--recipe", "pmc", "--scale", "smoke", "--data", str(distill_data), "--out",
                       str(tmp_path / "pmc"), "--gradient-weight", "2"])


def test_the_chroma_lift_alone_is_left_to_the_engine_only_by_a_student_that_draws_its_own_steps():
    with pytest.raises(ValueError, match="chroma_in_engine is for a student that draws the steps"):
        get_recipe("cel", "smoke", chroma_in_engine=True, tones_in_engine=True)
    assert get_recipe("cel", "smoke", chroma_in_engine=True).target_style == "cel_unlifted"


@pytest.mark.parametrize("build_flag, train_flags, targets, recipe_field, engine_steps, targets_text", [
    ("--without-ink", ["--ink-in-engine"], "comic_noink", "ink_in_engine", ["ink_lines"], "without ink lines"),
    ("--flat-only", ["--tones-in-engine"], "comic_flat", "tones_in_engine", ["tone_steps", "ink_lines"],
     "flattened frames"),
    ("--flat-only", ["--tones-in-engine", "--temporal-on-finish"], "comic_flat", "temporal_on_finish",
     ["tone_steps", "ink_lines"], "flattened frames"),
    ("--flat-only", ["--tones-in-engine", "--finish-weight", "0.5"], "comic_flat", "weights.finish",
     ["tone_steps", "ink_lines"], "flattened frames"),
    ("--unlifted", ["--chroma-in-engine"], "comic_unlifted", "chroma_in_engine", ["tone_steps"],
     "without the chroma lift"),
])
def test_a_student_can_leave_the_teachers_finish_to_the_engine(distill_data, tmp_path, build_flag, train_flags,
                                                               targets, recipe_field, engine_steps, targets_text):
    """--without-ink / --flat-only / --unlifted build the style's targets before its lines / before its tone steps
    and lines / without its chroma lift; a recipe trained with --ink-in-engine / --tones-in-engine /
    --chroma-in-engine regresses them, and its card has the engine draw the style's own lines (and tone steps) or
    lift its chroma, scored against the whole teacher."""
    from training.cli import main as training_main
    from training.data.cartoonize.distill_targets import main as bootstrap_distill

    data = tmp_path / "data"
    shutil.copytree(distill_data, data)
    argv = ["train", "--recipe", "comic_lite", "--scale", "smoke", "--data", str(data), "--device", "cpu",
            "--out", str(tmp_path / "run"), *train_flags]
    with pytest.raises(FileNotFoundError, match=f"bootstrap-distill --style comic {build_flag}"):
        training_main(argv)
    assert bootstrap_distill(["--data", str(data), "--style", "comic", build_flag, "--no-progress"]) == 0
    layout = DistillLayout(data)
    photo = sorted((layout.source / "photos" / "train").iterdir())[0]
    inked = read_rgb(layout.target_path("comic", photo)).astype(int)
    plain = read_rgb(layout.target_path(targets, photo)).astype(int)
    assert (plain - inked).max() > 50  # the same frame, its heavy lines (or its chroma lift) left out
    assert training_main(argv) == 0
    _, meta = load_generator_state(tmp_path / "run" / GENERATOR_NAME)
    setting = meta["recipe"]
    for key in recipe_field.split("."):
        setting = setting[key]
    assert setting == (0.5 if recipe_field == "weights.finish" else True)
    result = export_cartoonizer(tmp_path / "run" / GENERATOR_NAME, tmp_path / "comic_lite.onnx", score_data=data)
    assert list(result.card["postprocess"]) == ["region_flatten", *engine_steps]
    card = load_card(result.onnx_path)
    style = get_style("comic")
    assert card.ink_lines == (style.ink_lines() if "ink_lines" in engine_steps else None)
    expected_steps = style.tone_steps() if "ink_lines" in engine_steps else replace(style.tone_steps(), levels=0)
    assert card.tone_steps == (expected_steps if "tone_steps" in engine_steps else None)
    assert targets_text in result.card["distilled_from"]["targets"]
    finish_term = "L1 after a differentiable copy of the engine's finish"
    assert (finish_term in result.card["distilled_from"]["losses"]) == (recipe_field == "weights.finish")
    assert result.card["metrics"]["psnr_to_teacher_db"] != result.card["metrics"]["psnr_to_teacher_db_network"]
    # the network is also scored against what it learned, the targets without the engine's part of the finish
    assert result.card["metrics"]["psnr_own_targets"] == targets
    assert result.card["metrics"]["psnr_to_own_targets_db_network"] > result.card["metrics"][
        "psnr_to_teacher_db_network"] + 1.0
