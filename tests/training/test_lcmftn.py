"""LCMFTN colorization network, CMFT attention, perceptual loss, PSNR and recipes."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from training.losses.perceptual import PerceptualLoss
from training.metrics.psnr import psnr
from training.nets.attention import CorrelationTransfer, global_attention, window_attention
from training.nets.lcmftn import LCMFTN, LCMFTNConfig
from training.nets.reference_gate import ReferenceGate
from training.recipes.colorize import get_colorize_recipe

_SMALL = dict(width=8, key_dim=8, resnext_blocks=(1, 1, 1))


def _rand(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _inputs(n: int = 1, k: int = 1, h: int = 32, w: int = 40, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    u = lambda *s: torch.rand(*s, generator=g) * 2 - 1  # noqa: E731
    return u(n, 1, h, w), u(n, k, 1, h, w), u(n, k, 3, h, w)


def test_global_attention_is_a_softmax_over_all_positions_of_all_references():
    query, keys, values = _rand(1, 4, 3, 2), _rand(1, 2, 4, 2, 3, seed=1), _rand(1, 2, 5, 2, 3, seed=2)
    out = global_attention(query, keys, values, scale=0.5)
    assert out.shape == (1, 5, 3, 2)
    flat_keys = keys[0].permute(1, 0, 2, 3).reshape(4, -1)  # [D, K*h*w]
    flat_values = values[0].permute(1, 0, 2, 3).reshape(5, -1)
    weights = torch.softmax(0.5 * query[0, :, 2, 1] @ flat_keys, dim=0)
    assert torch.allclose(out[0, :, 2, 1], flat_values @ weights, atol=1e-5)


def test_window_attention_masks_the_border_and_covers_global_when_wide_enough():
    query, keys, values = _rand(1, 4, 5, 6), _rand(1, 1, 4, 5, 6, seed=1), _rand(1, 1, 3, 5, 6, seed=2)
    out = window_attention(query, keys, values, scale=0.5, window=3)
    y, x = 0, 5  # a corner: only the 2 x 2 in-frame neighbours count
    neighbours = [(yy, xx) for yy in (0, 1) for xx in (4, 5)]
    logits = torch.stack([0.5 * query[0, :, y, x] @ keys[0, 0, :, yy, xx] for yy, xx in neighbours])
    expected = sum(w * values[0, 0, :, yy, xx] for w, (yy, xx) in zip(torch.softmax(logits, 0), neighbours))
    assert torch.allclose(out[0, :, y, x], expected, atol=1e-5)
    # A window reaching every position of the frame from every position is global attention.
    wide = window_attention(query, keys, values, scale=0.5, window=11)
    assert torch.allclose(wide, global_attention(query, keys, values, scale=0.5), atol=1e-5)


def test_window_position_bias_starts_as_a_little_motion_prior_and_can_pin_the_own_position():
    transfer = CorrelationTransfer(query_channels=4, key_channels=4, key_dim=4, mode="window", window=5)
    bias = transfer.position_bias.detach().view(5, 5)
    assert bias[2, 2] == 0 and bias[2, 3] == bias[1, 2] == -2 and bias[0, 0] == -16  # -2 d^2, centre largest
    steeper = CorrelationTransfer(query_channels=4, key_channels=4, key_dim=4, mode="window", window=5,
                                  prior_strength=4.0).position_bias.detach()
    assert torch.equal(steeper, 2 * transfer.position_bias.detach())
    assert 0.9 < torch.softmax(steeper, 0)[12] < 0.95
    # With features that tell nothing apart (zero queries), the weights are softmax(bias): the own position ~60 %.
    query, keys, values = torch.zeros(1, 4, 6, 6), _rand(1, 1, 4, 6, 6, seed=1), _rand(1, 1, 3, 6, 6, seed=2)
    out = window_attention(query, keys, values, scale=0.5, window=5, position_bias=transfer.position_bias.detach())
    weights = torch.softmax(transfer.position_bias.detach(), 0)
    assert 0.55 < weights[12] < 0.65
    expected = sum(weights[i * 5 + j] * values[0, 0, :, 3 + i - 2, 3 + j - 2] for i in range(5) for j in range(5))
    assert torch.allclose(out[0, :, 3, 3], expected, atol=1e-5)
    # A steep bias copies the reference at the same position, whatever the features say.
    steep = torch.full((25,), -1e3)
    steep[12] = 0
    pinned = window_attention(_rand(1, 4, 6, 6, seed=3), keys, values, scale=0.5, window=5, position_bias=steep)
    assert torch.allclose(pinned, values[:, 0], atol=1e-5)
    assert CorrelationTransfer(query_channels=4, key_channels=4, key_dim=4, mode="global").position_bias is None


@pytest.mark.parametrize("mode", ["global", "window"])
def test_a_duplicated_reference_changes_nothing(mode):
    # Attention over the union of references: two copies of one reference give the same weighted average.
    transfer = CorrelationTransfer(query_channels=6, key_channels=5, key_dim=4, mode=mode, window=3)
    query, keys, values = _rand(2, 6, 4, 4), _rand(2, 1, 5, 4, 4, seed=1), _rand(2, 1, 3, 4, 4, seed=2)
    single = transfer(query, keys, values)
    double = transfer(query, keys.repeat(1, 2, 1, 1, 1), values.repeat(1, 2, 1, 1, 1))
    assert single.shape == (2, 3, 4, 4) and torch.allclose(single, double, atol=1e-5)


def test_correlation_transfer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        CorrelationTransfer(query_channels=4, key_channels=4, key_dim=4, mode="local")
    with pytest.raises(ValueError, match="odd"):
        CorrelationTransfer(query_channels=4, key_channels=4, key_dim=4, mode="window", window=4)
    with pytest.raises(ValueError, match="shared"):
        CorrelationTransfer(query_channels=4, key_channels=5, key_dim=4, mode="global", shared_projection=True)
    transfer = CorrelationTransfer(query_channels=4, key_channels=4, key_dim=4, mode="global")
    with pytest.raises(ValueError, match="K"):
        transfer(_rand(1, 4, 2, 2), _rand(1, 4, 2, 2), _rand(1, 1, 4, 2, 2))


@pytest.mark.parametrize("references", [1, 3])
def test_lcmftn_shapes_range_and_reference_dependence(references):
    torch.manual_seed(0)
    network = LCMFTN(config=LCMFTNConfig(**_SMALL)).eval()
    sketch, reference_sketch, reference_color = _inputs(n=2, k=references)
    with torch.no_grad():
        out = network(sketch, reference_sketch, reference_color)
        recoloured = network(sketch, reference_sketch, -reference_color)
    assert out.shape == (2, 3, 32, 40) and out.abs().max() <= 1
    assert (out - recoloured).abs().mean() > 1e-4  # the colour comes from the references


def test_semantic_encoder_is_frozen_imagenet_vgg_and_the_ablation_drops_matching():
    full = LCMFTN(config=LCMFTNConfig(**_SMALL))
    ablation = LCMFTN(config=LCMFTNConfig(**_SMALL, cmft=False))
    frozen = [name for name, p in full.named_parameters() if not p.requires_grad]
    assert frozen and all(name.startswith("semantic.") for name in frozen)
    assert full.semantic.convs["conv1_1"].bias[:2].tolist() == pytest.approx([0.7302, 0.0649], abs=1e-3)
    assert ablation.semantic is None and ablation.matching_encoder is None
    assert not any(isinstance(m, CorrelationTransfer) for m in ablation.modules())
    out = ablation(*_inputs(k=2))
    assert out.shape == (1, 3, 32, 40)
    out.mean().backward()  # every parameter of the ablation is used
    assert all(p.grad is not None for p in ablation.parameters())


def test_every_level_mode_builds_and_runs():
    config = LCMFTNConfig(**_SMALL, attention=("global", "window", "none", "window"), window=3)
    network = LCMFTN(config=config)
    assert [type(t).__name__ for t in network.transfers] == ["CorrelationTransfer", "CorrelationTransfer",
                                                             "Identity", "CorrelationTransfer"]
    assert network(*_inputs(h=16, w=24)).shape == (1, 3, 16, 24)


def test_lcmftn_rejects_bad_configs_and_inputs():
    with pytest.raises(ValueError, match="attention"):
        LCMFTNConfig(attention=("global", "global", "window"))
    with pytest.raises(ValueError, match="attention"):
        LCMFTNConfig(attention=("global", "global", "window", "full"))
    with pytest.raises(ValueError, match="cardinality"):
        LCMFTNConfig(width=12, cardinality=8)
    network = LCMFTN(config=LCMFTNConfig(**_SMALL, cmft=False))
    sketch, reference_sketch, reference_color = _inputs()
    with pytest.raises(ValueError, match="multiples of 8"):
        network(sketch[..., :30], reference_sketch[..., :30], reference_color[..., :30])
    with pytest.raises(ValueError, match="reference_sketch"):
        network(sketch, reference_sketch[:, 0], reference_color)
    with pytest.raises(ValueError, match="reference_color"):
        network(sketch, reference_sketch, reference_color[:, :, :1])


def test_perceptual_loss_values_weight_and_arguments():
    loss = PerceptualLoss(loss_weight=2e-2)
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    assert loss(image, image).item() == 0.0
    different = loss(image, image.flip(-1))
    assert different.item() > 0
    assert PerceptualLoss(loss_weight=4e-2)(image, image.flip(-1)).item() == pytest.approx(
        2 * different.item(), rel=1e-5)
    with pytest.raises(ValueError):
        PerceptualLoss(loss_weight=-1.0)
    with pytest.raises(ValueError, match="16"):
        loss(image[..., :8, :8], image[..., :8, :8])
    with pytest.raises(ValueError, match="channels"):
        loss(image[:, :1], image[:, :1])
    with pytest.raises(ValueError, match="same shape"):
        loss(image, image[:1])


def test_psnr_known_values():
    a = torch.zeros(2, 3, 4, 4)
    b = a.clone()
    b[1] += 2 * 10 / 255  # 10 levels of 8 bits: MSE 100
    values = psnr(b, a)
    assert math.isinf(values[0].item()) and values[1].item() == pytest.approx(10 * math.log10(255**2 / 100), abs=0.05)
    with pytest.raises(ValueError):
        psnr(a, a[:1])


def test_recipes_and_scales():
    paper = get_colorize_recipe("lcmftn")
    assert (paper.l1_weight, paper.perceptual_weight, paper.lr, paper.betas) == (10.0, 2e-2, 1e-4, (0.5, 0.9))
    assert (paper.batch_size, paper.crop_size, paper.epochs) == (2, 256, 40.0)
    cpu_ablation = get_colorize_recipe("lcmftn_nocmft", "cpu")
    assert cpu_ablation.network.cmft is False and cpu_ablation.network.width == 16
    assert get_colorize_recipe("lcmftn", "smoke", network={"window": 3}).network.window == 3
    with pytest.raises(ValueError, match="recipe"):
        get_colorize_recipe("pix2pix")
    with pytest.raises(ValueError, match="scale"):
        get_colorize_recipe("lcmftn", "huge")


def test_colour_skip_base_is_the_transferred_reference_colour():
    # With the head's last conv zeroed the output is the base alone: in the ablation, the reference colour itself at
    # full resolution (blocks are moved whole, not pooled); with CMFT, a convex mix of reference colours.
    sketch, reference_sketch, reference_color = _inputs(k=1)
    for cmft in (False, True):
        network = LCMFTN(config=LCMFTNConfig(**_SMALL, cmft=cmft, gate_width=0)).eval()
        torch.nn.init.zeros_(network.head[-1].weight)
        torch.nn.init.zeros_(network.head[-1].bias)
        with torch.no_grad():
            out = network(sketch, reference_sketch, reference_color)
        if not cmft:
            assert torch.allclose(out, 0.999 * reference_color[:, 0], atol=1e-5)
        else:  # a flat reference colour: whatever the attention matches, the base is that colour
            flat = torch.tensor([0.5, -0.2, 0.1]).view(1, 1, 3, 1, 1).expand_as(reference_color)
            with torch.no_grad():
                out = network(sketch, reference_sketch, flat)
            assert torch.allclose(out, 0.999 * flat[:, 0], atol=1e-5)
    without = LCMFTN(config=LCMFTNConfig(**_SMALL, color_skip=False))
    assert without(sketch, reference_sketch, reference_color).shape == (1, 3, 32, 40)


def test_head_sees_the_line_art_and_the_reference_line_art_moved_with_the_base_colour():
    # Grey references whose colour is their line art: the matched line art the head gets must equal the base (the
    # same attention weights move both), so the head can tell where the base agrees with the line art.
    sketch, reference_sketch, _ = _inputs(k=2)
    grey = reference_sketch.expand(-1, -1, 3, -1, -1)
    for cmft in (False, True):
        network = LCMFTN(config=LCMFTNConfig(**_SMALL, cmft=cmft, gate_width=0)).eval()
        torch.nn.init.zeros_(network.head[-1].weight)
        torch.nn.init.zeros_(network.head[-1].bias)
        seen = {}
        network.head.register_forward_pre_hook(lambda module, args: seen.update(x=args[0]))
        with torch.no_grad():
            base = network(sketch, reference_sketch, grey)
        current, matched = seen["x"][:, -2:-1], seen["x"][:, -1:]
        assert torch.equal(current, sketch)
        assert torch.allclose(0.999 * matched, base[:, :1], atol=1e-5)
        if not cmft:  # the ablation moves nothing: the references' line art as given, averaged over K
            assert torch.allclose(matched, reference_sketch.mean(dim=1), atol=1e-6)
    without = LCMFTN(config=LCMFTNConfig(**_SMALL, head_sees_lines=False))
    assert without.head[0].in_channels == network.head[0].in_channels - 2


def test_dead_zone_lets_the_base_through_unless_the_correction_is_definite():
    # Ablation with K=1: the base is the reference colour itself. A head correction of a constant 0.02 (inside the
    # 0.03 dead zone) leaves it exactly; 0.5 is applied shrunk by 0.03. A fresh network's head starts with
    # corrections on both sides of the threshold, so it gets a gradient (an all-zero start would get none).
    sketch, reference_sketch, reference_color = _inputs(k=1)
    network = LCMFTN(config=LCMFTNConfig(**_SMALL, cmft=False, correction_deadzone=0.03, gate_width=0)).eval()
    base = torch.atanh(0.999 * reference_color[:, 0])
    for correction, applied in ((0.02, 0.0), (0.5, 0.47), (-0.5, -0.47)):
        torch.nn.init.zeros_(network.head[-1].weight)
        torch.nn.init.constant_(network.head[-1].bias, correction)
        with torch.no_grad():
            out = network(sketch, reference_sketch, reference_color)
        assert torch.allclose(out, torch.tanh(base + applied), atol=1e-5), correction
    fresh = LCMFTN(config=LCMFTNConfig(**_SMALL, cmft=False, correction_deadzone=0.03)).train()
    fresh(sketch, reference_sketch, reference_color).sum().backward()
    assert fresh.head[-1].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="correction_deadzone"):
        LCMFTNConfig(correction_deadzone=-0.1)


def test_saved_configs_rebuild_the_network_they_were_trained_as():
    # A network saved before a field existed did what the field's "off" value does, not what today's default does.
    old = LCMFTNConfig.from_saved({"width": 16, "attention": ["global", "global", "window", "none"]})
    assert old.attention == ("global", "global", "window", "none")
    assert (old.width, old.head_sees_lines, old.correction_deadzone, old.gate_width) == (16, False, 0.0, 0)
    assert LCMFTN(config=replace(old, **_SMALL)).gate is None
    new = LCMFTNConfig.from_saved({"width": 16, "head_sees_lines": True, "correction_deadzone": 0.03,
                                   "gate_width": 8})
    assert (new.head_sees_lines, new.correction_deadzone, new.gate_width) == (True, 0.03, 8)


def _two_references_one_agreeing(h: int = 32, w: int = 40):
    """A current line art, reference 0 with the same line art and reference 1 with a line moved, flat colours."""
    sketch = torch.ones(1, 1, h, w)
    sketch[..., 10, :] = -1
    moved = torch.ones(1, 1, h, w)
    moved[..., 20, :] = -1
    reference_sketch = torch.stack([sketch, moved], dim=1)  # [1, 2, 1, H, W]
    colours = torch.tensor([[0.6, -0.4, 0.2], [-0.5, 0.3, 0.7]]).view(1, 2, 3, 1, 1).expand(1, 2, 3, h, w)
    return sketch, reference_sketch, colours.contiguous()


def test_reference_gate_passes_an_agreeing_reference_exactly_and_leaves_the_rest_to_the_network():
    # Fresh gate (its learned convs start at zero): where a reference's line art matches the current one throughout
    # the neighbourhood, that reference's colour comes through; where none matches, the network's output; where
    # two match, both (a convex mix, ~99.8 % together).
    sketch, reference_sketch, reference_color = _two_references_one_agreeing()
    gate = ReferenceGate(8)
    network_output = torch.zeros(1, 3, 32, 40)
    with torch.no_grad():
        out = gate(sketch, reference_sketch, reference_color, network_output)
    for row in (10, 20):  # reference 1's line art differs within the radius (3) of rows 10 and 20
        assert torch.allclose(out[..., row - 3 : row + 4, :], reference_color[:, 0, :, row - 3 : row + 4], atol=0.01)
    assert torch.allclose(out[..., 0:6, :], reference_color[:, :, :, 0:6].mean(dim=1), atol=0.01)
    with torch.no_grad():  # reference 0 withdrawn: reference 1 where it agrees, the network at the moved line
        out = gate(sketch, reference_sketch[:, 1:], reference_color[:, 1:], network_output)
    assert torch.allclose(out[..., 0:6, :], reference_color[:, 1, :, 0:6], atol=0.01)
    assert torch.allclose(out[..., 10, :], network_output[..., 10, :], atol=0.01)
    assert torch.allclose(out[..., 20, :], network_output[..., 20, :], atol=0.01)
    # Inside the network the gate is the last step: one reference that agrees everywhere comes through.
    network = LCMFTN(config=LCMFTNConfig(**_SMALL)).eval()
    with torch.no_grad():
        out = network(sketch, reference_sketch[:, :1], reference_color[:, :1])
    assert torch.allclose(out, reference_color[:, 0], atol=0.01)


def test_reference_gate_learns_from_its_prior_and_rejects_bad_widths():
    sketch, reference_sketch, reference_color = _two_references_one_agreeing()
    gate = ReferenceGate(8)
    network_output = torch.zeros(1, 3, 32, 40, requires_grad=True)
    gate(sketch, reference_sketch[:, 1:], reference_color[:, 1:], network_output).square().sum().backward()
    assert gate.convs[-1].weight.grad.abs().sum() > 0  # the zero-initialised correction gets a gradient
    assert gate.prior_bias.grad != 0 and gate.prior_slope.grad != 0
    assert network_output.grad[..., 10, :].abs().min() > 0  # where the gate defers, the network is trained
    with pytest.raises(ValueError, match="gate_width"):
        LCMFTNConfig(gate_width=-1)


def test_forward_with_parts_exposes_what_the_gate_mixed():
    sketch, reference_sketch, reference_color = _two_references_one_agreeing()
    network = LCMFTN(config=LCMFTNConfig(**_SMALL)).eval()
    with torch.no_grad():
        parts = network(sketch, reference_sketch, reference_color, with_parts=True)
        assert torch.equal(parts.output, network(sketch, reference_sketch, reference_color))
        assert torch.allclose(parts.output, network.gate.mix(parts.gate_logits, reference_color, parts.network_output))
    assert parts.gate_logits.shape == (1, 2, 32, 40) and parts.network_output.shape == (1, 3, 32, 40)
    ungated = LCMFTN(config=LCMFTNConfig(**{**_SMALL, "gate_width": 0})).eval()
    with torch.no_grad():
        parts = ungated(sketch, reference_sketch, reference_color, with_parts=True)
    assert parts.gate_logits is None and parts.output is parts.network_output
