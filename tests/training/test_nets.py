"""Networks: shapes, SSA semantics, parameter count of the paper's generator, VGG19 weights."""
from __future__ import annotations

import pytest
import torch

from training.nets.discriminator import PatchDiscriminator
from training.nets.generator import CartoonGenerator, GeneratorConfig
from training.nets.ssa import SpatiallyAdaptiveAlignment
from training.nets.vgg import VGG19Features


def test_generator_shapes_range_and_paper_size():
    generator = CartoonGenerator()
    # About 1.5 M parameters at width 32 (docs/METHODS.md, "White-box and PMC").
    assert 1.4e6 < sum(p.numel() for p in generator.parameters()) < 1.6e6
    out = generator(torch.rand(2, 3, 36, 44) * 2 - 1)
    assert out.shape == (2, 3, 36, 44) and out.abs().max() <= 1


def test_ssa_and_baseline_generators_share_weights_but_differ():
    torch.manual_seed(0)
    with_ssa = CartoonGenerator(config=GeneratorConfig(width=8))
    without = CartoonGenerator(config=GeneratorConfig(width=8, use_ssa=False))
    without.load_state_dict(with_ssa.state_dict())  # SSA has no parameters
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert not torch.allclose(with_ssa(x), without(x))


def test_residual_output_starts_from_the_input_and_learns_a_change_of_it():
    generator = CartoonGenerator(config=GeneratorConfig(width=8, residual_blocks=1, use_ssa=False,
                                                        residual_output=True))
    image = torch.rand(1, 3, 16, 20, generator=torch.Generator().manual_seed(0)) * 1.8 - 0.9
    torch.nn.init.zeros_(generator.head.weight)
    torch.nn.init.zeros_(generator.head.bias)
    assert torch.allclose(generator(image), image, atol=1e-5)  # no change predicted: the input comes back
    torch.nn.init.constant_(generator.head.bias, 0.5)
    assert (generator(image) > image).all()  # a positive change brightens every pixel, within (-1, 1)
    assert generator(torch.ones(1, 3, 8, 8)).isfinite().all()


def test_lite_rgb_kernel_keeps_the_size_and_rejects_even_or_empty_kernels():
    small = CartoonGenerator(config=GeneratorConfig(width=8, residual_blocks=1, use_ssa=False, rgb_kernel=3))
    assert small.stem.kernel_size == small.head.kernel_size == (3, 3)
    assert small(torch.rand(1, 3, 20, 28) * 2 - 1).shape == (1, 3, 20, 28)
    for bad in (0, 4, -3):
        with pytest.raises(ValueError, match="rgb_kernel"):
            GeneratorConfig(rgb_kernel=bad)


def test_ssa_matches_a_direct_window_softmax():
    torch.manual_seed(0)
    query, keys = torch.randn(1, 4, 5, 6), torch.randn(1, 4, 5, 6)
    out = SpatiallyAdaptiveAlignment(window=3)(query, keys)
    y, x = 2, 0  # a border position: neighbours outside the image are zero vectors with logit 0
    padded = torch.nn.functional.pad(keys, (1, 1, 1, 1))
    window = padded[0, :, y : y + 3, x : x + 3].reshape(4, 9)
    weights = torch.softmax(query[0, :, y, x] @ window, dim=0)
    assert torch.allclose(out[0, :, y, x], window @ weights, atol=1e-5)


def test_ssa_rejects_even_window_and_mismatched_shapes():
    with pytest.raises(ValueError):
        SpatiallyAdaptiveAlignment(window=4)
    with pytest.raises(ValueError):
        SpatiallyAdaptiveAlignment()(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 5))


def test_discriminator_patch_map():
    assert PatchDiscriminator(in_channels=1, width=8)(torch.zeros(2, 1, 64, 48)).shape == (2, 1, 8, 6)


def test_vgg19_features_are_real_imagenet_weights():
    vgg = VGG19Features(layers=["relu1_1", "conv4_4"])
    assert all(not p.requires_grad for p in vgg.parameters())
    # conv1_1 biases of the ImageNet VGG19 (Keras/Caffe release): not a random init.
    assert vgg.convs["conv1_1"].bias[:2].tolist() == pytest.approx([0.7302, 0.0649], abs=1e-3)
    features = vgg(torch.zeros(1, 3, 64, 64))
    assert features["relu1_1"].shape == (1, 64, 64, 64) and features["conv4_4"].shape == (1, 512, 8, 8)
    assert "conv5_1" not in vgg.convs  # only the layers up to the deepest requested one are built
    with pytest.raises(ValueError):
        VGG19Features(layers=["conv9_9"])
