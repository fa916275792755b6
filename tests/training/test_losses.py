"""Every loss over valid shapes and bad arguments (BasicSR style)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from training.losses import (
    ContentLoss,
    GateSelectionLoss,
    LSGANLoss,
    MotionConsistencyLoss,
    StructureLoss,
    SurfaceLoss,
    TextureLoss,
    TotalVariationLoss,
    guided_filter,
    random_color_shift,
    superpixel_target,
)
from training.losses.structure import superpixel_image
from training.nets.reference_gate import candidate_logits
from training.nets.discriminator import PatchDiscriminator


def _images(n: int = 2, c: int = 3, h: int = 32, w: int = 40, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("shape", [(1, 3, 8, 8), (2, 3, 17, 23), (3, 1, 32, 32)])
def test_guided_filter_keeps_shape_and_constant_images(shape):
    image = _images(*shape)
    assert guided_filter(image, image, radius=2, eps=0.1).shape == shape
    constant = torch.full(shape, 0.3)
    assert torch.allclose(guided_filter(constant, constant, radius=2, eps=0.1), constant, atol=1e-6)


def test_guided_filter_smooths_noise_and_rejects_bad_arguments():
    # Texture (variance << eps) is flattened while a strong edge (variance >> eps) survives.
    noisy = 0.1 * _images(1, 3, 64, 64)
    noisy[..., 32:] += 0.8
    smoothed = guided_filter(noisy, noisy, radius=5, eps=0.2)
    assert smoothed[..., 8:24].std() < 0.3 * noisy[..., 8:24].std()
    assert smoothed[..., 40:].mean() - smoothed[..., :24].mean() > 0.6
    with pytest.raises(ValueError):
        guided_filter(noisy, noisy, radius=0, eps=0.1)
    with pytest.raises(ValueError):
        guided_filter(noisy, noisy, radius=1, eps=0.0)


def test_lsgan_values_at_the_optimum():
    loss = LSGANLoss(loss_weight=2.0)
    ones, zeros = torch.ones(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)
    assert loss.discriminator(ones, zeros).item() == 0.0
    assert loss.generator(ones).item() == 0.0
    assert loss.generator(zeros).item() == pytest.approx(2.0)
    assert loss.discriminator(zeros, ones).item() == pytest.approx(2.0)


@pytest.mark.parametrize("loss_cls", [LSGANLoss, ContentLoss, StructureLoss, TotalVariationLoss, MotionConsistencyLoss,
                                      GateSelectionLoss])
def test_negative_weight_is_refused(loss_cls):
    with pytest.raises(ValueError):
        loss_cls(loss_weight=-1.0)


def test_random_color_shift_shares_one_draw_and_stays_in_range():
    a, b = _images(seed=1), _images(seed=2)
    gray_a, gray_b = random_color_shift(a, b, generator=torch.Generator().manual_seed(3))
    assert gray_a.shape == (2, 1, 32, 40)
    assert gray_a.abs().max() <= 1.0 + 1e-6
    # The same draw applied to the same image twice gives the same result.
    same_a, same_a2 = random_color_shift(a, a, generator=torch.Generator().manual_seed(4))
    assert torch.equal(same_a, same_a2)
    with pytest.raises(ValueError):
        random_color_shift(_images(c=1))


@pytest.mark.parametrize("loss_cls,channels", [(SurfaceLoss, 3), (TextureLoss, 1)])
def test_adversarial_representation_losses_backpropagate(loss_cls, channels):
    discriminator = PatchDiscriminator(in_channels=channels, width=8)
    loss = loss_cls(discriminator, loss_weight=0.5)
    fake = _images().requires_grad_()
    g_loss = loss.generator_loss(fake)
    g_loss.backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    d_loss = loss.discriminator_loss(fake.detach(), _images(seed=5))
    assert d_loss.dim() == 0 and torch.isfinite(d_loss)
    with pytest.raises(ValueError):
        loss.generator_loss(_images(c=2))


def test_feature_losses_compare_same_shapes_only():
    a, b = torch.randn(2, 8, 4, 4), torch.randn(2, 8, 4, 4)
    assert ContentLoss(loss_weight=1.0)(a, a).item() == 0.0
    assert ContentLoss(loss_weight=1.0)(a, b).item() == pytest.approx((a - b).abs().mean().item())
    assert StructureLoss(loss_weight=2.0)(a, b).item() == pytest.approx(2 * (a - b).abs().mean().item())
    with pytest.raises(ValueError):
        ContentLoss()(a, torch.randn(2, 8, 4, 5))
    with pytest.raises(ValueError):
        ContentLoss()(torch.randn(8, 4, 4), torch.randn(8, 4, 4))


def test_superpixel_fill_is_piecewise_flat():
    rng = np.random.default_rng(0)
    image = np.zeros((48, 48, 3))
    image[:, 24:] = 0.8
    image += rng.normal(0, 0.02, image.shape)
    flat = superpixel_image(np.clip(image, 0, 1), segments=8)
    # Low-variance segments are filled by their mean: far fewer distinct colours than pixels.
    assert len(np.unique(flat.reshape(-1, 3), axis=0)) <= 16
    assert abs(flat[:, :20].mean() - 0.0) < 0.05 and abs(flat[:, 28:].mean() - 0.8) < 0.05


def test_superpixel_target_shape_range_and_no_gradient():
    photo, output = _images(), _images(seed=1).requires_grad_()
    target = superpixel_target(photo, output, segments=10)
    assert target.shape == photo.shape and not target.requires_grad
    assert target.min() >= -1 - 1e-6 and target.max() <= 1 + 1e-6
    with pytest.raises(ValueError):
        superpixel_target(photo, _images(h=16))


def test_total_variation_is_zero_on_flat_and_positive_on_noise():
    tv = TotalVariationLoss(loss_weight=1.0)
    assert tv(torch.ones(1, 3, 8, 8)).item() == 0.0
    assert tv(_images()).item() > 0.1
    with pytest.raises(ValueError):
        tv(torch.ones(1, 3, 1, 8))


def _features(seed: int, shapes=((2, 16, 40, 40), (2, 32, 8, 8))) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {f"layer{i}": torch.randn(*shape, generator=generator) for i, shape in enumerate(shapes)}


def test_motion_loss_is_zero_when_cartoon_correlations_match_photo():
    torch.manual_seed(0)
    loss = MotionConsistencyLoss(loss_weight=1.0, queries=32, window=32)
    p1, p2 = _features(1), _features(2)
    # Scaling features by a positive constant keeps normalised correlations: the loss must vanish.
    same = loss(p1, p2, {k: 3 * v for k, v in p1.items()}, {k: 3 * v for k, v in p2.items()})
    assert same.item() == pytest.approx(0.0, abs=1e-5)
    different = loss(p1, p2, _features(3), _features(4))
    assert different.item() > 0.5


def test_motion_loss_gradients_reach_both_cartoon_frames_and_bad_inputs_fail():
    loss = MotionConsistencyLoss(queries=16)
    c1 = {k: v.requires_grad_() for k, v in _features(3).items()}
    c2 = {k: v.requires_grad_() for k, v in _features(4).items()}
    loss(_features(1), _features(2), c1, c2).backward()
    assert all(v.grad is not None and v.grad.abs().sum() > 0 for v in [*c1.values(), *c2.values()])
    with pytest.raises(ValueError):
        loss({}, {}, {}, {})
    bad = _features(5, shapes=((2, 16, 40, 40), (2, 32, 8, 9)))
    with pytest.raises(ValueError):
        loss(_features(1), _features(2), _features(3), bad)


def test_gate_selection_picks_the_closest_candidate_weighted_by_how_much_it_matters():
    # One reference: at pixel (0, 0) it is exact and the network is off by 0.5; at (0, 1) the reverse; at (0, 2) both
    # are exact (margin 0: does not count); at (0, 3) both are off by the same amount (margin 0).
    target = torch.zeros(1, 3, 1, 4)
    reference = torch.tensor([0.0, 0.5, 0.0, 0.3]).view(1, 1, 1, 1, 4).expand(1, 1, 3, 1, 4)
    network = torch.tensor([0.5, 0.0, 0.0, -0.3]).view(1, 1, 1, 4).expand(1, 3, 1, 4)
    candidates = torch.cat([reference, network.unsqueeze(1)], dim=1)
    loss = GateSelectionLoss(loss_weight=2.0)
    right = torch.tensor([20.0, -20.0, 0.0, 0.0]).view(1, 1, 1, 4)  # keeps the reference at 0, defers at 1
    assert loss(candidate_logits(right), candidates, target).item() < 1e-6
    wrong = -right
    expected = 2.0 * (torch.nn.functional.softplus(torch.tensor(20.0)).item())  # -log(sigmoid(-20)) at both pixels
    assert loss(candidate_logits(wrong), candidates, target).item() == pytest.approx(expected, rel=1e-5)
    logits = torch.zeros(1, 1, 1, 4, requires_grad=True)
    candidates = candidates.clone().requires_grad_()
    loss(candidate_logits(logits), candidates, target).backward()
    assert logits.grad[0, 0, 0, 0] < 0 < logits.grad[0, 0, 0, 1]  # raise the reference at 0, lower it at 1
    assert logits.grad[0, 0, 0, 2:].abs().max() == 0  # margin 0: no push either way
    assert candidates.grad is None  # the choice trains the gate only, not the network through the margins


def test_gate_selection_counts_a_reference_given_twice_as_one_choice():
    # The same frame as both references (the keyframe next to the target is also the previous frame), exact at
    # pixel 0 where the network is off by 0.5, off by 0.5 at pixel 1 where the network is exact.
    target = torch.zeros(1, 3, 1, 2)
    reference = torch.tensor([0.0, 0.5]).view(1, 1, 1, 1, 2).expand(1, 1, 3, 1, 2)
    network = torch.tensor([0.5, 0.0]).view(1, 1, 1, 1, 2).expand(1, 1, 3, 1, 2)
    loss = GateSelectionLoss()
    twice = torch.cat([reference, reference, network], dim=1)
    logits = torch.zeros(1, 2, 1, 2, requires_grad=True)
    value = loss(candidate_logits(logits), twice, target)
    # Uniform softmax over 3: the two copies hold 2/3 at pixel 0, the network 1/3 at pixel 1; both margins 0.5.
    assert value.item() == pytest.approx(-(math.log(2 / 3) + math.log(1 / 3)) / 2, rel=1e-5)
    value.backward()
    assert (logits.grad[0, :, 0, 0] < 0).all() and (logits.grad[0, :, 0, 1] > 0).all()  # both copies, both ways
    assert logits.grad[0, 0, 0, 0] == pytest.approx(logits.grad[0, 1, 0, 0].item())
    sure = torch.tensor([20.0, -20.0]).view(1, 1, 1, 2).expand(1, 2, 1, 2)
    assert loss(candidate_logits(sure), twice, target).item() < 1e-6
    every_tie = torch.cat([reference, reference, reference], dim=1)
    assert loss(candidate_logits(logits.detach()), every_tie, target).item() == 0


def test_gate_selection_rejects_mismatched_shapes():
    loss = GateSelectionLoss()
    logits, target = candidate_logits(torch.zeros(2, 2, 8, 8)), torch.zeros(2, 3, 8, 8)
    assert loss(logits, torch.rand(2, 3, 3, 8, 8), target).dim() == 0  # K = 2 references + the network
    with pytest.raises(ValueError, match="K \\+ 1"):
        loss(logits, torch.rand(2, 2, 3, 8, 8), target)  # the network's candidate is missing
    with pytest.raises(ValueError, match="K \\+ 1"):
        loss(logits, torch.rand(2, 3, 3, 8, 8), torch.zeros(2, 3, 8, 9))
    with pytest.raises(ValueError):
        loss(torch.zeros(2, 8, 8), torch.rand(2, 3, 3, 8, 8), target)
