"""AnimeGAN and semantic-aware networks: shapes, the paper's size, the complexity counter, the segmenter."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from training.nets.animegan import AnimeGANConfig, AnimeGANGenerator
from training.nets.animegan_discriminator import AnimeGANDiscriminator
from training.nets.complexity import measure_complexity
from training.nets.discriminator import PatchDiscriminator
from training.nets.segmenter import Segmenter, VGGClusterSegmenter, spherical_kmeans
from training.nets.unet import UNetConfig, UNetGenerator


def test_animegan_generator_matches_table_1_parameters_and_counts_31_gmac():
    generator = AnimeGANGenerator()
    size = measure_complexity(generator, 256, 256)
    # Paper Table 1: 3.96 M parameters (matches); 38.66 "GFLOPs" (does not; see the module docstring).
    assert size.parameters == 3_956_096
    assert size.macs == 31_057_772_544 and round(size.flops / 1e9, 1) == 62.1


def test_animegan_generator_shape_range_and_size_multiple():
    generator = AnimeGANGenerator(config=AnimeGANConfig(width=8, residual_blocks=2)).eval()
    out = generator(torch.rand(2, 3, 36, 44) * 2 - 1)
    assert out.shape == (2, 3, 36, 44) and out.abs().max() <= 1
    assert AnimeGANGenerator.size_multiple == 4


def test_animegan_discriminator_patch_map_and_spectral_norm_everywhere():
    discriminator = AnimeGANDiscriminator(width=8)
    assert discriminator(torch.zeros(2, 3, 64, 48)).shape == (2, 1, 16, 12)
    convs = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 7 and all(hasattr(c, "parametrizations") for c in convs)


def test_patchgan_without_spectral_head_keeps_the_rest_normalised():
    default = PatchDiscriminator(in_channels=3, width=8)
    bai = PatchDiscriminator(in_channels=3, width=8, spectral_head=False)
    assert default(torch.zeros(1, 3, 32, 32)).shape == bai(torch.zeros(1, 3, 32, 32)).shape == (1, 1, 4, 4)
    convs = [m for m in bai.modules() if isinstance(m, nn.Conv2d)]
    assert [hasattr(c, "parametrizations") for c in convs] == [True] * 6 + [False]


@pytest.mark.parametrize("depth, shape", [(3, (2, 3, 40, 48)), (2, (1, 3, 12, 20))])
def test_unet_generator_shapes_and_size_multiple(depth, shape):
    generator = UNetGenerator(config=UNetConfig(width=8, depth=depth))
    assert generator.size_multiple == 2**depth
    out = generator(torch.rand(*shape) * 2 - 1)
    assert out.shape == shape and out.abs().max() <= 1


def test_unet_default_size():
    size = measure_complexity(UNetGenerator(), 256, 256)
    assert size.parameters == 3_118_627 and 11e9 < size.macs < 11.5e9
    with pytest.raises(ValueError):
        UNetGenerator(config=UNetConfig(depth=0))


def test_complexity_counts_a_known_conv_stack():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4))
    size = measure_complexity(net, 8, 8)
    assert size.parameters == (3 * 4 * 9 + 4) + (4 * 9 + 4)
    assert size.macs == 8 * 8 * 4 * 27 + 4 * 4 * 4 * 9
    assert net.training  # restored


def test_spherical_kmeans_separates_two_directions():
    torch.manual_seed(0)
    a = torch.tensor([1.0, 0.0, 0.0]) + 0.05 * torch.randn(20, 3)
    b = torch.tensor([0.0, 1.0, 0.0]) + 0.05 * torch.randn(20, 3)
    centres = spherical_kmeans(torch.cat([a, b]), 2, seed=1)
    assert torch.allclose(centres.norm(dim=1), torch.ones(2))
    assert sorted(centres.argmax(dim=1).tolist()) == [0, 1]
    with pytest.raises(ValueError):
        spherical_kmeans(torch.zeros(3, 2), 4)


def test_vgg_cluster_segmenter_gives_soft_assignments():
    images = torch.rand(3, 3, 32, 32) * 2 - 1
    segmenter = VGGClusterSegmenter.fit(images, clusters=4)
    assert isinstance(segmenter, Segmenter)
    scores = segmenter(images)
    assert scores.shape == (3, 4, 4, 4)
    assert torch.allclose(scores.sum(dim=1), torch.ones(3, 4, 4), atol=1e-5)
    assert not any(p.requires_grad for p in segmenter.parameters())
    with pytest.raises(ValueError):
        VGGClusterSegmenter(torch.zeros(4), temperature=0.1)
    with pytest.raises(ValueError):
        VGGClusterSegmenter(torch.ones(4, 512), temperature=0.0)
